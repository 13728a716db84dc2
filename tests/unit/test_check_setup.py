"""scripts/check_setup.py: every check's ✔ and ✘ line and its fix per OS, driven with fakes (no
network, no servers), and the script itself: standard library only, Python 3.8 syntax."""

import ast
import importlib.util
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_setup.py"


def load():
    spec = importlib.util.spec_from_file_location("check_setup", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_setup"] = module
    spec.loader.exec_module(module)
    return module


cs = load()

DEBIAN12 = cs.OSInfo("debian", (12,))
DEBIAN13 = cs.OSInfo("debian", (13,))
UBUNTU2404 = cs.OSInfo("ubuntu", (24, 4))
FEDORA = cs.OSInfo("fedora", (41,))
MACOS = cs.OSInfo("macos", brew=True)
WINDOWS = cs.OSInfo("windows")
MARKS = ("✔", "✘", "—")


def which_from(tools):
    """A PATH holding exactly `tools` (name → path)."""
    return lambda name: tools.get(name)


class FakeRun:
    """Answers commands by their first word(s); records what was run."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def __call__(self, cmd, timeout=None):
        self.calls.append(list(cmd))
        for prefix, answer in self.answers.items():
            if tuple(cmd[: len(prefix)]) == prefix:
                return answer
        return 127, f"{cmd[0]}: not found"


PY312 = (0, "3.12.7\n/usr/bin/python3.12")


# --- the OS and its install commands ------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "os_release", "expected"),
    [
        ("darwin", "", cs.OSInfo("macos", brew=True)),
        ("win32", "", cs.OSInfo("windows")),
        ("linux", 'ID=debian\nVERSION_ID="12"\n', cs.OSInfo("debian", (12,))),
        ("linux", 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n', cs.OSInfo("ubuntu", (24, 4))),
        ("linux", 'ID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="22"\n', cs.OSInfo("ubuntu", ())),
        ("linux", "ID=fedora\nVERSION_ID=41\n", cs.OSInfo("fedora", (41,))),
        ("linux", 'ID="rocky"\nID_LIKE="rhel centos fedora"\n', cs.OSInfo("fedora", ())),
        ("linux", "ID=debian\n", cs.OSInfo("debian", (99,))),
        ("linux", "ID=arch\n", cs.OSInfo("linux")),
        ("linux", "", cs.OSInfo("linux")),
    ],
)
def test_detect_os(platform, os_release, expected):
    assert cs.detect_os(platform, os_release, which_from({"brew": "/opt/homebrew/bin/brew"})) == expected


@pytest.mark.parametrize(
    ("tool", "osi", "expected"),
    [
        ("python312", MACOS, "brew install python@3.12"),
        ("python312", UBUNTU2404, "sudo apt-get install python3.12 python3.12-venv"),
        ("python312", cs.OSInfo("ubuntu", (22, 4)), "pyenv install 3.12"),
        ("python312", DEBIAN12, "pyenv install 3.12"),
        ("python312", FEDORA, "sudo dnf install python3.12"),
        ("venv", UBUNTU2404, "sudo apt-get install python3.12-venv"),
        ("venv", DEBIAN12, "sudo apt-get install python3.12-venv"),
        ("node", MACOS, "brew install node"),
        ("node", DEBIAN12, "nvm install 20"),
        ("node", DEBIAN13, "sudo apt-get install nodejs npm"),
        ("node", UBUNTU2404, "nvm install 20"),
        ("node", FEDORA, "sudo dnf install nodejs npm"),
        ("chromium", MACOS, "brew install --cask google-chrome"),
        ("chromium", DEBIAN12, "sudo apt-get install chromium"),
        ("chromium", UBUNTU2404, "sudo snap install chromium"),
        ("chromium", FEDORA, "sudo dnf install chromium"),
        ("chromium", cs.OSInfo("linux"), "your distribution's packages"),
    ],
)
def test_install_hint(tool, osi, expected):
    assert expected in cs.install_hint(tool, osi)


@pytest.mark.parametrize("tool", ["python312", "venv", "node", "npm", "chromium"])
def test_windows_is_sent_to_wsl2_or_the_dev_container(tool):
    hint = cs.install_hint(tool, WINDOWS)
    assert "WSL2" in hint and "wsl --install" in hint and "dev container" in hint


def test_macos_without_homebrew_is_told_to_get_it():
    assert cs.install_hint("node", cs.OSInfo("macos", brew=False)) == (
        "install Homebrew (https://brew.sh), then: brew install node"
    )


# --- Python 3.12 and its venv -------------------------------------------------------------------


def test_python312_on_path(tmp_path):
    run = FakeRun({("/usr/bin/python3.12",): PY312})
    env = {"HOME": str(tmp_path)}
    check, python = cs.check_python312(
        env, which_from({"python3.12": "/usr/bin/python3.12"}), run, "linux", DEBIAN12
    )
    assert python == ["/usr/bin/python3.12"]
    assert cs.render(check, MARKS) == "✔ Python 3.12: /usr/bin/python3.12 (3.12.7)"


def test_python312_from_pyenv_newest_first_past_a_failing_shim(tmp_path):
    """pyenv's python3.12 shim is on PATH and fails when 3.12 is not the active version."""
    for version in ("3.12.1", "3.12.10", "3.11.9"):
        binary = tmp_path / "versions" / version / "bin" / ("python" + version[:4])
        binary.parent.mkdir(parents=True)
        binary.touch()
    newest = str(tmp_path / "versions/3.12.10/bin/python3.12")
    run = FakeRun({("/shims/python3.12",): (127, "pyenv: python3.12: command not found"), (newest,): PY312})
    env = {"PYENV_ROOT": str(tmp_path)}
    check, python = cs.check_python312(
        env, which_from({"python3.12": "/shims/python3.12"}), run, "linux", DEBIAN12
    )
    assert check.ok and python == [newest]
    assert run.calls[0][0] == "/shims/python3.12" and run.calls[1][0] == newest


def test_python312_from_the_python_variable_first(tmp_path):
    run = FakeRun({("/opt/py/bin/python",): (0, "3.12.2\n/opt/py/bin/python")})
    env = {"PYTHON": "/opt/py/bin/python", "HOME": str(tmp_path)}
    check, python = cs.check_python312(env, which_from({}), run, "linux", DEBIAN12)
    assert check.ok and python == ["/opt/py/bin/python"]


def test_python312_by_the_windows_launcher(tmp_path):
    launcher = r"C:\Windows\py.exe"
    run = FakeRun({(launcher, "-3.12"): (0, "3.12.4\nC:\\Python312\\python.exe")})
    check, python = cs.check_python312(
        {"HOME": str(tmp_path)}, which_from({"py": launcher}), run, "win32", WINDOWS
    )
    assert check.ok and python == [launcher, "-3.12"]


def test_python_that_is_not_312_does_not_count(tmp_path):
    run = FakeRun({("/usr/bin/python3.12",): (0, "3.11.9\n/usr/bin/python3.11")})
    check, python = cs.check_python312(
        {"HOME": str(tmp_path)}, which_from({"python3.12": "/usr/bin/python3.12"}), run, "linux", DEBIAN12
    )
    assert not check.ok and python is None


@pytest.mark.parametrize(
    ("osi", "fix"),
    [
        (MACOS, "brew install python@3.12"),
        (UBUNTU2404, "sudo apt-get install python3.12 python3.12-venv"),
        (DEBIAN12, "pyenv install 3.12"),
        (FEDORA, "sudo dnf install python3.12"),
        (WINDOWS, "on Windows use WSL2"),
    ],
)
def test_no_python312_says_how_to_get_one(tmp_path, osi, fix):
    check, python = cs.check_python312({"HOME": str(tmp_path)}, which_from({}), FakeRun({}), "linux", osi)
    line = cs.render(check, MARKS)
    assert python is None and check.required
    assert line.startswith("✘ Python 3.12: not found") and f"— {fix}" in line


def test_venv_works():
    check = cs.check_venv(
        ["/usr/bin/python3.12"], FakeRun({("/usr/bin/python3.12", "-m", "venv"): (0, "")}), DEBIAN12
    )
    assert cs.render(check, MARKS) == "✔ venv with pip: /usr/bin/python3.12 -m venv works"


def test_venv_without_ensurepip_on_debian_names_the_package():
    failure = (1, "The virtual environment was not created successfully because ensurepip is not available.")
    check = cs.check_venv(["/usr/bin/python3.12"], FakeRun({("/usr/bin/python3.12",): failure}), UBUNTU2404)
    line = cs.render(check, MARKS)
    assert line.startswith("✘ venv with pip: /usr/bin/python3.12 -m venv failed: The virtual environment")
    assert line.endswith("— sudo apt-get install python3.12-venv")


def test_venv_of_a_broken_pyenv_python_says_reinstall():
    python = ["/home/me/.pyenv/versions/3.12.1/bin/python3.12"]
    check = cs.check_venv(python, FakeRun({tuple(python): (1, "Error: ensurepip failed")}), DEBIAN12)
    assert not check.ok and check.fix.startswith(f"reinstall {python[0]}")


def test_venv_needs_python312_first():
    check = cs.check_venv(None, FakeRun({}), MACOS)
    assert (
        not check.ok and check.detail == "needs Python 3.12 first" and check.fix == "brew install python@3.12"
    )


def test_venv_for_real():
    """The one check run for real: this interpreter (the project's 3.12) makes a venv with pip."""
    check = cs.check_venv([sys.executable], cs.run_command, DEBIAN12)
    assert check.ok, check


# --- Node.js and npm ----------------------------------------------------------------------------

NODE = {"node": "/usr/bin/node", "npm": "/usr/bin/npm"}


def test_node_and_npm():
    run = FakeRun({("/usr/bin/node",): (0, "v20.20.2"), ("/usr/bin/npm",): (0, "11.19.1")})
    check = cs.check_node(which_from(NODE), run, DEBIAN12)
    assert cs.render(check, MARKS) == "✔ Node.js 20+ and npm: node v20.20.2, npm 11.19.1"


@pytest.mark.parametrize(("osi", "fix"), [(DEBIAN12, "nvm install 20"), (MACOS, "brew install node")])
def test_node_too_old(osi, fix):
    run = FakeRun({("/usr/bin/node",): (0, "v18.19.0"), ("/usr/bin/npm",): (0, "9.2.0")})
    line = cs.render(cs.check_node(which_from(NODE), run, osi), MARKS)
    assert line.startswith("✘ Node.js 20+ and npm: node v18.19.0 is older than 20 — " + fix)


@pytest.mark.parametrize(
    ("osi", "fix"),
    [
        (DEBIAN13, "sudo apt-get install nodejs npm"),
        (FEDORA, "sudo dnf install nodejs npm"),
        (WINDOWS, "WSL2"),
    ],
)
def test_no_node(osi, fix):
    line = cs.render(cs.check_node(which_from({}), FakeRun({}), osi), MARKS)
    assert line.startswith("✘ Node.js 20+ and npm: node not found — ") and fix in line


def test_node_without_npm():
    run = FakeRun({("/usr/bin/node",): (0, "v20.11.1")})
    line = cs.render(cs.check_node(which_from({"node": "/usr/bin/node"}), run, DEBIAN13), MARKS)
    assert line == "✘ Node.js 20+ and npm: node v20.11.1, but npm not found — sudo apt-get install npm"


# --- disk and ports -----------------------------------------------------------------------------


def test_disk_enough(tmp_path):
    check = cs.check_disk(tmp_path, lambda path: 50 * 10**9)
    assert check.ok and cs.render(check, MARKS) == f"✔ free disk: 50.0 GB free on {tmp_path}'s filesystem"


def test_disk_too_little(tmp_path):
    line = cs.render(cs.check_disk(tmp_path, lambda path: 10**9), MARKS)
    assert line.startswith(f"✘ free disk: 1.0 GB free on {tmp_path}'s filesystem — make room for 3 GB")


def test_ports_free_read_from_their_variables():
    asked = []
    checks = cs.check_ports(
        {"PORT": "5050", "LAB_PORT": ""}, lambda port: asked.append(port) or True, DEBIAN12
    )
    assert asked == [5050, 4566, 3002, 8888]
    assert [cs.render(c, MARKS) for c in checks] == [
        "✔ ports free on 127.0.0.1: 5050 (PORT), 4566 (MOTO_PORT), 3002 (LAMBDA_PORT), 8888 (LAB_PORT)"
    ]


def test_busy_port_says_what_to_do():
    checks = cs.check_ports({}, lambda port: port != 4566, DEBIAN12)
    assert [c.ok for c in checks] == [True, False]
    assert cs.render(checks[1], MARKS) == (
        "✘ port 4566 for local AWS (moto): in use on 127.0.0.1 — stop what listens there "
        "(see: ss -ltnp 'sport = :4566'), or use another: MOTO_PORT=4567"
    )


def test_busy_5000_on_macos_is_airplay():
    (check,) = cs.check_ports({}, lambda port: port != 5000, MACOS)[1:]
    assert "AirPlay Receiver" in check.fix and "PORT=5001" in check.fix and "lsof" in check.fix


def test_port_variable_that_is_no_port():
    checks = cs.check_ports({"MOTO_PORT": "abc"}, lambda port: True, DEBIAN12)
    bad = [c for c in checks if not c.ok]
    assert len(bad) == 1 and bad[0].detail == "MOTO_PORT='abc'" and "unset MOTO_PORT" in bad[0].fix


def test_a_bound_port_is_reported_busy():
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        assert not cs.port_is_free(port)
        bound.listen()
        assert not cs.port_is_free(port)
    with socket.socket() as probe:  # a port nothing holds
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert cs.port_is_free(free)


# --- chromium -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["chromium", "chromium-browser", "google-chrome"])
def test_chromium_on_path(name):
    check = cs.check_chromium(which_from({name: f"/usr/bin/{name}"}), lambda p: False, "linux", DEBIAN12)
    assert cs.render(check, MARKS) == f"✔ chromium (browser tests only): /usr/bin/{name}"


def test_chromium_as_a_macos_app():
    app = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
    check = cs.check_chromium(which_from({}), lambda path: path == app, "darwin", MACOS)
    assert check.ok and check.detail == app


def test_no_chromium_is_a_warning():
    check = cs.check_chromium(which_from({}), lambda p: False, "linux", DEBIAN12)
    assert not check.ok and not check.required
    assert (
        cs.render(check, MARKS)
        == "✘ chromium (browser tests only): not found — sudo apt-get install chromium"
    )


# --- the package registries ---------------------------------------------------------------------


class FakeFetch:
    def __init__(self, errors=None):
        self.errors, self.calls = errors or {}, []

    def __call__(self, url, headers, timeout, cafile):
        self.calls.append((url, headers, timeout, cafile))
        return self.errors.get((url, cafile), self.errors.get(url))


def test_pypi_from_pip_index_url():
    fetch = FakeFetch()
    env = {"PIP_INDEX_URL": "https://mirror.example/simple", "PIP_CERT": "/etc/ca.pem"}
    (check,) = cs.check_pypi(env, which_from({}), FakeRun({}), fetch, lambda p: False, None, DEBIAN12)
    assert cs.render(check, MARKS) == "✔ package index (pip): https://mirror.example/simple/pip/ answers"
    assert fetch.calls == [
        ("https://mirror.example/simple/pip/", {"Accept": "text/html"}, 5.0, "/etc/ca.pem")
    ]


def test_pypi_from_pip_config():
    run = FakeRun({("/py312", "-m", "pip", "config"): (0, "https://corp.example/pypi/simple/")})
    fetch = FakeFetch()
    cs.check_pypi({}, which_from({}), run, fetch, lambda p: False, ["/py312"], DEBIAN12)
    assert run.calls == [["/py312", "-m", "pip", "config", "get", "global.index-url"]]
    assert fetch.calls[0][0] == "https://corp.example/pypi/simple/pip/"


def test_pypi_default_when_pip_has_no_index_configured():
    run = FakeRun({("/usr/bin/pip3",): (1, "ERROR: No such key - global.index-url")})
    fetch = FakeFetch()
    cs.check_pypi({}, which_from({"pip3": "/usr/bin/pip3"}), run, fetch, lambda p: False, None, DEBIAN12)
    assert fetch.calls[0][0] == "https://pypi.org/simple/pip/"


def test_uv_index_checked_too_when_it_differs():
    fetch = FakeFetch()
    env = {"PIP_INDEX_URL": "https://pypi.org/simple/", "UV_DEFAULT_INDEX": "https://uv.example/simple"}
    checks = cs.check_pypi(env, which_from({}), FakeRun({}), fetch, lambda p: False, None, DEBIAN12)
    assert [c.id for c in checks] == ["pypi", "pypi:uv"]
    assert fetch.calls[1][0] == "https://uv.example/simple/pip/"


def test_pypi_unreachable():
    fetch = FakeFetch({"https://pypi.org/simple/pip/": "timed out"})
    (check,) = cs.check_pypi({}, which_from({}), FakeRun({}), fetch, lambda p: False, None, DEBIAN12)
    assert cs.render(check, MARKS) == (
        "✘ package index (pip): https://pypi.org/simple/pip/: timed out — check the network; behind a proxy "
        "set HTTPS_PROXY; to use a mirror: PIP_INDEX_URL=<url>"
    )


def test_certificate_failure_on_macos_retries_with_the_system_bundle_then_says_why():
    url = "https://pypi.org/simple/pip/"
    error = (
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"
    )
    fetch = FakeFetch({url: error})
    (check,) = cs.check_pypi({}, which_from({}), FakeRun({}), fetch, lambda p: True, None, MACOS)
    assert [call[3] for call in fetch.calls] == [None, "/etc/ssl/cert.pem"]
    assert "SSL_CERT_FILE" in check.fix and "Install Certificates.command" in check.fix
    fetch = FakeFetch({(url, None): error})  # the system's bundle works: fine
    (check,) = cs.check_pypi({}, which_from({}), FakeRun({}), fetch, lambda p: True, None, MACOS)
    assert check.ok


def test_npm_registry_from_npm_config():
    run = FakeRun({("/usr/bin/npm", "config"): (0, "https://npm.example/\n")})
    fetch = FakeFetch()
    check = cs.check_npm_registry(which_from({"npm": "/usr/bin/npm"}), run, fetch, lambda p: False, DEBIAN12)
    assert cs.render(check, MARKS) == "✔ npm registry: https://npm.example/npm answers"
    assert fetch.calls[0][1] == {"Accept": "application/vnd.npm.install-v1+json"}


def test_npm_registry_default_and_unreachable():
    fetch = FakeFetch({"https://registry.npmjs.org/npm": "HTTP 407 Proxy Authentication Required"})
    check = cs.check_npm_registry(which_from({}), FakeRun({}), fetch, lambda p: False, FEDORA)
    assert not check.ok and "HTTP 407" in check.detail and "npm config set registry" in check.fix


def test_fetch_refuses_other_schemes_and_reads_file_indexes(tmp_path):
    assert cs.fetch("ftp://example/simple/pip/", {}) == "not an http(s) URL: ftp://example/simple/pip/"
    (tmp_path / "pip").mkdir()
    assert cs.fetch(tmp_path.as_uri() + "/pip/", {}) is None
    assert cs.fetch(tmp_path.as_uri() + "/nothing/", {}) == "no such path"


# --- the whole run ------------------------------------------------------------------------------


class FakeMachine:
    """Debian 12 with everything the workshop needs, unless told otherwise."""

    def __init__(self, tools=None, fetch_errors=None, busy=(), platform="linux"):
        self.env = {"HOME": "/nonexistent"}
        self.platform = platform
        self.repo = ROOT
        self.tools = (
            dict({"python3.12": "/opt/fake/python3.12", "chromium": "/usr/bin/chromium"}, **NODE)
            if tools is None
            else tools
        )
        self.run = FakeRun(
            {
                ("/opt/fake/python3.12", "-c"): (0, "3.12.7\n/opt/fake/python3.12"),
                ("/opt/fake/python3.12", "-m", "venv"): (0, ""),
                ("/opt/fake/python3.12", "-m", "pip"): (1, "ERROR: No such key"),
                ("/usr/bin/node",): (0, "v20.20.2"),
                ("/usr/bin/npm", "--version"): (0, "11.19.1"),
                ("/usr/bin/npm", "config"): (0, "https://registry.npmjs.org/"),
            }
        )
        self.fetch = FakeFetch(fetch_errors)
        self.port_free = lambda port: port not in busy
        self.exists = lambda path: False

    def which(self, name):
        return self.tools.get(name)

    def os_release(self):
        return 'ID=debian\nVERSION_ID="12"\n'

    def disk_free(self, path):
        return 40 * 10**9


def run_main(argv, machine):
    out = io.StringIO()
    status = cs.main(argv, machine=machine, out=out)
    return status, out.getvalue().splitlines()


def test_everything_fine():
    status, lines = run_main([], FakeMachine())
    assert status == 0
    assert [line.split(":")[0] for line in lines] == [
        "✔ Python 3.12",
        "✔ venv with pip",
        "✔ Node.js 20+ and npm",
        "✔ free disk",
        "✔ ports free on 127.0.0.1",
        "✔ chromium (browser tests only)",
        "✔ package index (pip)",
        "✔ npm registry",
        "✔ ready",
    ]
    assert lines[-1] == "✔ ready: every required check passed"


def test_path_without_chromium_is_a_warning_and_exit_0():
    tools = {"python3.12": "/opt/fake/python3.12", **NODE}
    status, lines = run_main([], FakeMachine(tools=tools))
    assert status == 0
    assert "✘ chromium (browser tests only): not found — sudo apt-get install chromium" in lines
    assert lines[-1] == "✔ ready: every required check passed (1 warning: chromium (browser tests only))"


def test_a_failure_is_exit_1_and_named_in_the_summary():
    status, lines = run_main(
        [], FakeMachine(busy={5000}, fetch_errors={"https://registry.npmjs.org/npm": "x"})
    )
    assert status == 1
    assert lines[-1].startswith("✘ not ready: 2 of 9 checks failed (port 5000 for the API")
    assert "npm registry" in lines[-1] and "make check-setup" in lines[-1]


def test_require_chromium_with_an_empty_path():
    status, lines = run_main(["--require", "chromium"], FakeMachine(tools={}))
    assert status == 1
    assert lines == ["✘ chromium (browser tests only): not found — sudo apt-get install chromium"]


def test_require_is_silent_when_everything_is_there():
    assert run_main(["--require", "python312", "node", "chromium"], FakeMachine()) == (0, [])


def test_require_names_each_missing_tool_on_one_line():
    status, lines = run_main(["--require", "node", "chromium", "python312"], FakeMachine(tools={}))
    assert status == 1
    assert [line.split(":")[0] for line in lines] == [
        "✘ Node.js 20+ and npm",
        "✘ chromium (browser tests only)",
        "✘ Python 3.12",
    ]


def test_require_refuses_unknown_tools(capsys):
    with pytest.raises(SystemExit) as stop:
        cs.main(["--require", "tesseract"], machine=FakeMachine())
    assert stop.value.code == 2 and "invalid choice: 'tesseract'" in capsys.readouterr().err


def test_json():
    status, lines = run_main(["--json"], FakeMachine(tools={"python3.12": "/opt/fake/python3.12", **NODE}))
    document = json.loads("\n".join(lines))
    assert status == 0 and document["ready"] is True and document["os"] == "debian"
    assert [c["id"] for c in document["checks"]] == [
        "python312",
        "venv",
        "node",
        "disk",
        "ports",
        "chromium",
        "pypi",
        "npm",
    ]
    for check in document["checks"]:
        assert set(check) == {"id", "name", "ok", "detail", "fix", "required"}
    chromium = document["checks"][5]
    assert chromium["ok"] is False and chromium["required"] is False and "apt-get" in chromium["fix"]


def test_ascii_marks_where_the_terminal_cannot_print_them():
    out = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    assert cs.symbols(out) == ("+", "x", "-")
    assert cs.symbols(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) == MARKS


# --- the script itself --------------------------------------------------------------------------


def test_standard_library_only():
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add(node.module.split(".")[0])
    assert imported, "found no imports at all"
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported - set(sys.stdlib_module_names)


def test_python38_syntax():
    ast.parse(SCRIPT.read_text(encoding="utf-8"), feature_version=(3, 8))


def python38():
    home = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for candidate in ["python3.8", *sorted(map(str, home.glob("versions/3.8*/bin/python3.8")))]:
        try:
            done = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True
            )
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == b"(3, 8)":
            return candidate
    return None


def run_script(python, *args):
    env = {"PATH": "", "HOME": os.environ.get("HOME", "/"), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([python, str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60)


def test_require_chromium_with_an_empty_path_for_real():
    done = run_script(sys.executable, "--require", "chromium")
    osi = cs.detect_os(sys.platform, cs.Machine().os_release())
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        f"✘ chromium (browser tests only): not found — {cs.install_hint('chromium', osi)}"
    ]


def test_runs_under_python38():
    """Imports and runs on 3.8 (what annotations and subscripts need at run time, not only syntax)."""
    python = python38()
    if python is None:
        pytest.skip("no Python 3.8 here")
    done = run_script(python, "--require", "chromium", "node", "--json")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert [c["id"] for c in document["checks"]] == ["chromium", "node"]
    assert not any(c["ok"] for c in document["checks"])


def test_python312_prints_the_interpreter_make_builds_the_venv_with(tmp_path):
    script = str(Path(__file__).resolve().parents[2] / "scripts" / "check_setup.py")
    found = subprocess.run(
        [sys.executable, script, "--python312"],
        env={"PATH": os.defpath, "PYTHON": sys.executable, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0 and Path(found.stdout.strip()).resolve() == Path(sys.executable).resolve()
    missing = subprocess.run(
        [sys.executable, script, "--python312"],
        env={"PATH": str(tmp_path), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    installed = [
        p for p in ("/usr/local/bin/python3.12", "/usr/bin/python3.12", "/opt/homebrew/bin/python3.12")
    ]
    if any(Path(p).exists() for p in installed):  # found in a common install place, PATH or not
        assert missing.returncode == 0 and missing.stdout.strip() in installed
    else:
        assert missing.returncode == 1 and missing.stdout == ""
        assert "Python 3.12: not found" in missing.stderr and "pyenv install 3.12" in missing.stderr

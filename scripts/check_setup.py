#!/usr/bin/env python3
"""Is this machine ready for the workshop? One line per check, ✔ or ✘ with the fix for this OS.

    python3 scripts/check_setup.py                       every check, then a summary line
    python3 scripts/check_setup.py --require chromium    only those tools (python312, node,
                                                         chromium): silent when present, one line
                                                         naming each missing one and its install
    python3 scripts/check_setup.py --json                the same, machine-readable

Standard library only, Python 3.8 syntax: attendees run it with whatever python3 they have, before
anything is installed (`make check-setup`). Exit status 0 when everything required is there, 1
otherwise. Chromium is needed by the browser tests only: without it, a warning and still 0 (unless
asked for with --require). Every check is a small function of what it looks at (PATH, env, the
platform, a runner), so the tests drive each one with fakes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

REPO = Path(__file__).resolve().parents[1]

# Free disk on the repo's filesystem. Measured on a set-up clone: .venv 990 MB, node_modules
# 152 MB, models + the generated corpus 20 MB, uv's wheel cache (~/.cache/uv) 1.1 GB, npm's cache
# (~/.npm) 115 MB: about 2.4 GB, plus room for the Lambda packages `sls package` builds.
MIN_FREE_BYTES = 3 * 10**9
# The ports the local stack binds on 127.0.0.1: the variable that moves each one, its default.
PORTS = (
    ("PORT", 5000, "the API (make serve, make demo)"),
    ("MOTO_PORT", 4566, "local AWS (moto)"),
    ("LAMBDA_PORT", 3002, "serverless-offline's Lambda"),
    ("LAB_PORT", 8888, "JupyterLab (make lab)"),
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_MACOS_APPS = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
DEFAULT_PYPI = "https://pypi.org/simple/"
DEFAULT_NPM = "https://registry.npmjs.org/"
# The abbreviated metadata npm itself asks for: a few kB where the full document is megabytes.
NPM_ACCEPT = "application/vnd.npm.install-v1+json"
NETWORK_TIMEOUT = 5.0
TOOLS = ("python312", "node", "chromium")

PYENV = "pyenv install 3.12 (pyenv: https://github.com/pyenv/pyenv#installation)"
NVM = "nvm install 20 (nvm: https://github.com/nvm-sh/nvm#installing-and-updating)"
WINDOWS = (
    "on Windows use WSL2 (wsl --install -d Ubuntu-24.04, then clone and run `make check-setup` inside "
    "Ubuntu) or open the repo in its dev container (VS Code Dev Containers or GitHub Codespaces)"
)


class Check(NamedTuple):
    id: str
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


class OSInfo(NamedTuple):
    name: str  # macos, debian, ubuntu, fedora, windows or linux
    version: tuple = ()
    brew: bool = False


if TYPE_CHECKING:  # only annotations use them: Python 3.8 cannot subscript Callable at run time
    Which = Callable[[str], str | None]
    Run = Callable[..., tuple[int, str]]


# --- the machine --------------------------------------------------------------------------------


def detect_os(platform: str, os_release: str = "", which: Which = lambda name: None) -> OSInfo:
    """Which install commands to suggest: from sys.platform and the text of /etc/os-release."""
    if platform == "darwin":
        return OSInfo("macos", brew=bool(which("brew")))
    if platform.startswith(("win", "cygwin", "msys")):
        return OSInfo("windows")
    fields = dict(re.findall(r'^(\w+)=["\']?([^"\'\n]*)', os_release, re.MULTILINE))
    ids = [fields.get("ID", "")] + fields.get("ID_LIKE", "").split()
    version = tuple(int(n) for n in re.findall(r"\d+", fields.get("VERSION_ID", "")))
    for known, family in (
        ("ubuntu", "ubuntu"),
        ("debian", "debian"),
        ("fedora", "fedora"),
        ("rhel", "fedora"),
        ("centos", "fedora"),
    ):
        if known in ids:
            if family != fields.get("ID"):  # a derivative (Mint, Raspberry Pi OS): its base's version
                version = ()
            if family == "debian" and not version:  # testing and sid have no VERSION_ID
                version = (99,)
            return OSInfo(family, version)
    return OSInfo("linux")


def install_hint(tool: str, osi: OSInfo) -> str:
    """The command that installs `tool` (python312, venv, node, npm, chromium) on this OS."""
    name, version = osi.name, osi.version
    if name == "windows":
        return WINDOWS
    if name == "macos":
        command = {
            "python312": "brew install python@3.12",
            "venv": "brew reinstall python@3.12",
            "node": "brew install node",
            "npm": "brew install node",
            # Homebrew's chromium cask fails Gatekeeper (unsigned); Chrome is signed, Playwright drives it.
            "chromium": "brew install --cask google-chrome",
        }[tool]
        return command if osi.brew else f"install Homebrew (https://brew.sh), then: {command}"
    if name == "ubuntu":
        hints = {
            "python312": "sudo apt-get install python3.12 python3.12-venv"
            if version >= (24, 4)
            else f"{PYENV} (Ubuntu before 24.04 has no python3.12 package)",
            "venv": "sudo apt-get install python3.12-venv",
            "node": "sudo apt-get install nodejs npm"
            if version >= (25, 4)
            else f"{NVM} (Ubuntu's nodejs before 25.04 is older than 20)",
            "npm": "sudo apt-get install npm",
            "chromium": "sudo snap install chromium",
        }
    elif name == "debian":
        hints = {
            "python312": f"{PYENV} (Debian has no python3.12 package)",
            "venv": "sudo apt-get install python3.12-venv",
            "node": "sudo apt-get install nodejs npm"
            if version >= (13,)
            else f"{NVM} (Debian 12's nodejs is 18)",
            "npm": "sudo apt-get install npm",
            "chromium": "sudo apt-get install chromium",
        }
    elif name == "fedora":
        hints = {
            "python312": "sudo dnf install python3.12",
            "venv": "sudo dnf reinstall python3.12",
            "node": "sudo dnf install nodejs npm",
            "npm": "sudo dnf install npm",
            "chromium": "sudo dnf install chromium",
        }
    else:
        hints = {
            "python312": PYENV,
            "venv": f"reinstall that Python, or {PYENV}",
            "node": NVM,
            "npm": NVM,
            "chromium": "install Chromium from your distribution's packages",
        }
    return hints[tool]


def run_command(cmd: list, timeout: float = 60) -> tuple:
    """(exit status, stdout and stderr) of cmd; 127 and the reason when it cannot be started."""
    try:
        done = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        return 127, str(error)
    return done.returncode, (done.stdout + done.stderr).strip()


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Nothing listens on host:port and we could bind it (what the stack's servers will do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Linux: a port in TIME_WAIT after the stack stopped is free for its servers (they set
        # SO_REUSEADDR too). Not on macOS, where it would let us bind beside a listener on
        # 0.0.0.0 (AirPlay's on 5000), nor on Windows, where it means stealing the port.
        if sys.platform.startswith("linux"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def fetch(url: str, headers: dict, timeout: float = NETWORK_TIMEOUT, cafile: str | None = None) -> str | None:
    """None when url answers with a success, else what went wrong, in a few words."""
    if url.startswith("file://"):  # a local index (pip's file:// URLs)
        return None if Path(urllib.request.url2pathname(url[len("file://") :])).exists() else "no such path"
    if not url.startswith(("https://", "http://")):
        return f"not an http(s) URL: {url}"
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked above)
    try:
        context = ssl.create_default_context(cafile=cafile) if cafile else None
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310 (scheme checked)
            response.read(1024)
        return None
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code} {error.reason}"
    except urllib.error.URLError as error:
        return str(error.reason)
    except (OSError, ValueError) as error:  # timeouts, resets, a bad cafile
        return str(error) or type(error).__name__


class Machine:
    """The real machine, as the checks see it. The tests pass an object with the same attributes."""

    def __init__(self, env: dict | None = None, platform: str | None = None, repo: Path = REPO):
        self.env = dict(os.environ if env is None else env)
        self.platform = platform or sys.platform
        self.repo = repo
        self.run = run_command
        self.port_free = port_is_free
        self.fetch = fetch
        self.exists = os.path.exists

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self.env.get("PATH", os.defpath))

    def os_release(self) -> str:
        for path in ("/etc/os-release", "/usr/lib/os-release"):
            try:
                return Path(path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
        return ""

    def disk_free(self, path: Path) -> int:
        return shutil.disk_usage(str(path)).free


# --- the checks ---------------------------------------------------------------------------------


def _version_key(path: Path) -> tuple:
    return tuple(int(n) for n in re.findall(r"\d+", path.parts[-3]))


def python312_candidates(env: dict, which: Which, platform: str) -> list:
    """Commands that may run a Python 3.12, in order: $PYTHON, python3.12 on PATH, pyenv's 3.12.x
    newest first, the common install places; on Windows also the launcher's `py -3.12`. (`make`
    builds its venv with the first that runs: `--python312`.)"""
    candidates = []
    if env.get("PYTHON"):
        candidates.append([env["PYTHON"]])
    on_path = which("python3.12")
    if on_path:
        candidates.append([on_path])
    pyenv_root = Path(env.get("PYENV_ROOT") or Path(env.get("HOME") or Path.home()) / ".pyenv")
    pyenvs = sorted(pyenv_root.glob("versions/3.12*/bin/python3.12"), key=_version_key, reverse=True)
    candidates += [[str(path)] for path in pyenvs]
    candidates += [
        [p] for p in ("/usr/local/bin/python3.12", "/usr/bin/python3.12", "/opt/homebrew/bin/python3.12")
    ]
    launcher = which("py") if platform.startswith("win") else None
    if launcher:
        candidates.append([launcher, "-3.12"])
    return candidates


PROBE = "import sys; print(sys.version.split()[0]); print(sys.executable)"


def check_python312(env: dict, which: Which, run: Run, platform: str, osi: OSInfo) -> tuple:
    """(the check, the command that runs Python 3.12 or None). A candidate counts only if it runs
    and says 3.12: pyenv's python3.12 shim is on PATH even when no 3.12 is active."""
    seen = set()
    for command in python312_candidates(env, which, platform):
        key = tuple(command)
        if key in seen:
            continue
        seen.add(key)
        status, out = run([*command, "-c", PROBE], timeout=20)
        lines = out.splitlines()
        if status == 0 and len(lines) >= 2 and lines[0].startswith("3.12."):
            version, executable = lines[0], lines[1]
            return Check("python312", "Python 3.12", True, f"{executable} ({version})"), command
    fix = install_hint("python312", osi) + ("" if osi.name == "windows" else "; or point PYTHON at one")
    return Check("python312", "Python 3.12", False, "not found (AWS Lambda runs python3.12)", fix), None


def check_venv(python: list | None, run: Run, osi: OSInfo) -> Check:
    """`python3.12 -m venv` makes a venv with pip (ensurepip), as `make setup` does."""
    name = "venv with pip"
    if python is None:
        return Check("venv", name, False, "needs Python 3.12 first", install_hint("python312", osi))
    with tempfile.TemporaryDirectory(prefix="check-setup-") as scratch:
        status, out = run([*python, "-m", "venv", str(Path(scratch) / "venv")], timeout=120)
    if status == 0:
        return Check("venv", name, True, f"{' '.join(python)} -m venv works")
    last = out.splitlines()[-1] if out else f"exit status {status}"
    system_python = python[0].startswith("/usr/bin/")
    if osi.name in ("debian", "ubuntu") and system_python:
        fix = install_hint("venv", osi)
    else:
        fix = f"reinstall {python[0]} (its venv or ensurepip is broken), or {install_hint('python312', osi)}"
    return Check("venv", name, False, f"{' '.join(python)} -m venv failed: {last}", fix)


def check_node(which: Which, run: Run, osi: OSInfo) -> Check:
    """node 20+ (osls and its plugins) and npm (`npm ci`)."""
    name = "Node.js 20+ and npm"
    node, npm = which("node"), which("npm")
    if not node:
        return Check("node", name, False, "node not found", install_hint("node", osi))
    status, out = run([node, "--version"], timeout=20)
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", out.strip())
    if status != 0 or not match:
        return Check("node", name, False, f"{node} --version failed: {out[:80]}", install_hint("node", osi))
    if int(match.group(1)) < 20:
        return Check(
            "node", name, False, f"node {match.group(0)} is older than 20", install_hint("node", osi)
        )
    if not npm:
        return Check(
            "node", name, False, f"node {match.group(0)}, but npm not found", install_hint("npm", osi)
        )
    status, npm_version = run([npm, "--version"], timeout=30)
    if status != 0:
        return Check(
            "node", name, False, f"{npm} --version failed: {npm_version[:80]}", install_hint("npm", osi)
        )
    return Check("node", name, True, f"node {match.group(0)}, npm {npm_version.strip()}")


def check_disk(path: Path, disk_free: Callable[[Path], int], minimum: int = MIN_FREE_BYTES) -> Check:
    free = disk_free(path)
    gb = f"{free / 1e9:.1f} GB free on {path}'s filesystem"
    if free >= minimum:
        return Check("disk", "free disk", True, gb)
    fix = (
        f"make room for {minimum / 1e9:.0f} GB (the venv, node_modules, models and the uv/npm caches): "
        "`make clean` in old clones, empty ~/.cache"
    )
    return Check("disk", "free disk", False, gb, fix)


def _who_listens(port: int, osi: OSInfo) -> str:
    if osi.name == "windows":
        return f"netstat -ano | findstr :{port}"
    if osi.name == "macos":
        return f"lsof -nP -iTCP:{port} -sTCP:LISTEN"
    return f"ss -ltnp 'sport = :{port}'"


def check_ports(env: dict, port_free: Callable[[int], bool], osi: OSInfo) -> list:
    """The stack's ports on 127.0.0.1, each read from its variable as the Makefile and
    workshop.stack do: one ✔ line for all of them, a ✘ line for each that is busy."""
    checks, free = [], []
    for variable, default, what in PORTS:
        raw = (env.get(variable) or "").strip()
        if raw and not (raw.isdigit() and 0 < int(raw) < 65536):
            fix = f"unset {variable}, or set it to a port number (1-65535)"
            checks.append(Check(f"port:{variable}", f"port for {what}", False, f"{variable}={raw!r}", fix))
            continue
        port = int(raw) if raw else default
        if port_free(port):
            free.append(f"{port} ({variable})")
            continue
        fix = (
            f"stop what listens there (see: {_who_listens(port, osi)}), or use another: {variable}={port + 1}"
        )
        if osi.name == "macos" and port == 5000:
            fix = (
                "macOS's AirPlay Receiver listens on 5000: System Settings > General > AirDrop & Handoff > "
                f"AirPlay Receiver off, or use another port: make serve PORT=5001 ({_who_listens(port, osi)})"
            )
        checks.append(Check(f"port:{variable}", f"port {port} for {what}", False, "in use on 127.0.0.1", fix))
    if free:
        checks.insert(0, Check("ports", "ports free on 127.0.0.1", True, ", ".join(free)))
    return checks


def check_chromium(which: Which, exists: Callable[[str], bool], platform: str, osi: OSInfo) -> Check:
    """A headless Chromium for the browser tests (nothing else needs it): a warning when missing."""
    name = "chromium (browser tests only)"
    for command in CHROMIUM_NAMES:
        path = which(command)
        if path:
            return Check("chromium", name, True, path, required=False)
    if platform == "darwin":
        for app in CHROMIUM_MACOS_APPS:
            if exists(app):
                return Check("chromium", name, True, app, required=False)
    return Check("chromium", name, False, "not found", install_hint("chromium", osi), required=False)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def pip_index(env: dict, which: Which, run: Run, python: list | None) -> str:
    """The index pip installs from: PIP_INDEX_URL, else pip's configured global.index-url, else PyPI."""
    if env.get("PIP_INDEX_URL"):
        return env["PIP_INDEX_URL"]
    pip = [*python, "-m", "pip"] if python else None
    if pip is None:
        found = which("pip3") or which("pip")
        pip = [found] if found else None
    if pip:
        status, out = run([*pip, "config", "get", "global.index-url"], timeout=20)
        url = _last_line(out)
        if status == 0 and "://" in url:
            return url
    return DEFAULT_PYPI


def _network_fix(url: str, error: str, osi: OSInfo, mirror: str) -> str:
    if "CERTIFICATE_VERIFY_FAILED" in error or "certificate verify failed" in error:
        fix = "a proxy that re-signs TLS? point SSL_CERT_FILE at its CA bundle"
        if osi.name == "macos":
            fix += "; python.org's Python: run 'Install Certificates.command' in /Applications/Python 3.x"
        return fix
    return f"check the network; behind a proxy set HTTPS_PROXY; to use a mirror: {mirror}"


def _reach(
    fetch: Callable, url: str, headers: dict, cafile: str | None, exists: Callable[[str], bool]
) -> str | None:
    error = fetch(url, headers, NETWORK_TIMEOUT, cafile)
    # macOS: python.org's Python may have no CA bundle of its own (pip and uv bring theirs); the
    # system's is in /etc/ssl/cert.pem. Try it before reporting a certificate failure.
    if error and "CERTIFICATE_VERIFY_FAILED" in error and not cafile and exists("/etc/ssl/cert.pem"):
        error = fetch(url, headers, NETWORK_TIMEOUT, "/etc/ssl/cert.pem")
    return error


def check_pypi(
    env: dict, which: Which, run: Run, fetch: Callable, exists: Callable, python: list | None, osi: OSInfo
) -> list:
    """pip's index, and uv's when it has one of its own (uv reads UV_DEFAULT_INDEX, not pip's
    settings): request the `pip` project's page, with a short timeout."""
    indexes = [("pypi", "package index (pip)", pip_index(env, which, run, python), "PIP_INDEX_URL=<url>")]
    uv_index = env.get("UV_DEFAULT_INDEX") or env.get("UV_INDEX_URL")
    if uv_index and uv_index.rstrip("/") != indexes[0][2].rstrip("/"):
        indexes.append(("pypi:uv", "package index (uv)", uv_index, "UV_DEFAULT_INDEX=<url>"))
    checks = []
    for check_id, name, index, mirror in indexes:
        url = index.rstrip("/") + "/pip/"
        error = _reach(fetch, url, {"Accept": "text/html"}, env.get("PIP_CERT") or None, exists)
        if error is None:
            checks.append(Check(check_id, name, True, f"{url} answers"))
        else:
            checks.append(
                Check(check_id, name, False, f"{url}: {error}", _network_fix(url, error, osi, mirror))
            )
    return checks


def check_npm_registry(which: Which, run: Run, fetch: Callable, exists: Callable, osi: OSInfo) -> Check:
    """The registry npm is configured with answers for the `npm` package."""
    registry = DEFAULT_NPM
    npm = which("npm")
    if npm:
        status, out = run([npm, "config", "get", "registry"], timeout=30)
        if status == 0 and "://" in _last_line(out):
            registry = _last_line(out)
    url = registry.rstrip("/") + "/npm"
    error = _reach(fetch, url, {"Accept": NPM_ACCEPT}, None, exists)
    if error is None:
        return Check("npm", "npm registry", True, f"{url} answers")
    mirror = "npm config set registry <url> (proxy: npm config set https-proxy <url>)"
    return Check("npm", "npm registry", False, f"{url}: {error}", _network_fix(url, error, osi, mirror))


# --- running them -------------------------------------------------------------------------------


def required_checks(tools: Iterable[str], machine) -> list:
    """--require: the checks of those tools only, each one required (chromium included)."""
    osi = detect_os(machine.platform, machine.os_release(), machine.which)
    checks = []
    for tool in tools:
        if tool == "python312":
            checks.append(check_python312(machine.env, machine.which, machine.run, machine.platform, osi)[0])
        elif tool == "node":
            checks.append(check_node(machine.which, machine.run, osi))
        elif tool == "chromium":
            checks.append(
                check_chromium(machine.which, machine.exists, machine.platform, osi)._replace(required=True)
            )
    return checks


def all_checks(machine) -> list:
    osi = detect_os(machine.platform, machine.os_release(), machine.which)
    env, which, run = machine.env, machine.which, machine.run
    python_check, python = check_python312(env, which, run, machine.platform, osi)
    return [
        python_check,
        check_venv(python, run, osi),
        check_node(which, run, osi),
        check_disk(machine.repo, machine.disk_free),
        *check_ports(env, machine.port_free, osi),
        check_chromium(which, machine.exists, machine.platform, osi),
        *check_pypi(env, which, run, machine.fetch, machine.exists, python, osi),
        check_npm_registry(which, run, machine.fetch, machine.exists, osi),
    ]


def symbols(stream) -> tuple:
    """✔, ✘ and — where the terminal can print them (a Windows console may not): else ASCII."""
    encoding = getattr(stream, "encoding", None)
    try:
        "✔✘—".encode(encoding or "utf-8")  # no encoding: a text buffer, not a terminal
    except (UnicodeEncodeError, LookupError):
        return "+", "x", "-"
    return "✔", "✘", "—"


def render(check: Check, marks: tuple) -> str:
    ok, bad, dash = marks
    line = f"{ok if check.ok else bad} {check.name}: {check.detail}"
    return line if check.ok or not check.fix else f"{line} {dash} {check.fix}"


def summary(checks: list, marks: tuple) -> str:
    failed = [c.name for c in checks if not c.ok and c.required]
    warned = [c.name for c in checks if not c.ok and not c.required]
    warnings = f" ({len(warned)} warning{'s' * (len(warned) != 1)}: {', '.join(warned)})" if warned else ""
    if failed:
        return (
            f"{marks[1]} not ready: {len(failed)} of {len(checks)} checks failed ({', '.join(failed)})"
            f"{warnings}; fix them and run `make check-setup` again"
        )
    return f"{marks[0]} ready: every required check passed{warnings}"


def main(argv: list | None = None, machine=None, out=None) -> int:
    parser = argparse.ArgumentParser(description="Check this machine for the workshop.")
    parser.add_argument(
        "--require",
        nargs="+",
        choices=TOOLS,
        metavar="TOOL",
        help=f"check only these tools ({', '.join(TOOLS)}): a line for each missing one",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--python312", action="store_true", help="print the Python 3.12 to build the venv with (make uses it)"
    )
    args = parser.parse_args(argv)
    machine = machine or Machine()
    out = out or sys.stdout
    if args.python312:
        osi = detect_os(machine.platform, machine.os_release(), machine.which)
        check, command = check_python312(machine.env, machine.which, machine.run, machine.platform, osi)
        if command is None:
            sys.stderr.write(f"{check.name}: {check.detail}. {check.fix}\n")
            return 1
        out.write(check.detail.rsplit(" (", 1)[0] + "\n")
        return 0
    checks = required_checks(args.require, machine) if args.require else all_checks(machine)
    ready = all(c.ok for c in checks if c.required)
    if args.json:
        osi = detect_os(machine.platform, machine.os_release(), machine.which)
        document = {"ready": ready, "os": osi.name, "checks": [c._asdict() for c in checks]}
        out.write(json.dumps(document, indent=2) + "\n")
        return 0 if ready else 1
    marks = symbols(out)
    for check in checks:
        if not (args.require and check.ok):
            out.write(render(check, marks) + "\n")
    if not args.require:
        out.write(summary(checks, marks) + "\n")
    out.flush()
    return 0 if ready else 1


if __name__ == "__main__":
    sys.exit(main())

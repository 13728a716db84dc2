"""The dev container (.devcontainer/): its config checked, and its post-create command run.

There is no Docker here, so the container is never built. Instead: devcontainer.json is parsed
(JSONC) and every key it uses is checked by hand against the dev container spec's rules, since no
npm package ships the spec's JSON schema (@devcontainers/cli 0.89.0 does not); and
.devcontainer/post-create.sh, the postCreateCommand, runs in a fresh clone of the repository,
where it must set the project up, and its chromium step runs against stub apt-get/sudo/id on a
PATH without chromium, to exercise the paths that need root without being root or installing.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVCONTAINER = ROOT / ".devcontainer"
POST_CREATE = DEVCONTAINER / "post-create.sh"
# The files under test: copied over a clone of HEAD, so the test checks them as they are in the
# working tree (before they are committed, too); everything else comes from HEAD.
DEVCONTAINER_FILES = [
    ".devcontainer/devcontainer.json",
    ".devcontainer/post-create.sh",
    "scripts/check_setup.py",
]
BASH = shutil.which("bash")

# The top-level properties of devcontainer.json (containers.dev/implementors/json_reference).
SPEC_PROPERTIES = {
    "$schema", "name", "image", "build", "dockerFile", "context", "dockerComposeFile", "service",
    "runServices", "workspaceFolder", "workspaceMount", "features", "overrideFeatureInstallOrder",
    "forwardPorts", "portsAttributes", "otherPortsAttributes", "appPort", "containerEnv", "remoteEnv",
    "containerUser", "remoteUser", "updateRemoteUserUID", "userEnvProbe", "mounts", "runArgs",
    "shutdownAction", "overrideCommand", "initializeCommand", "onCreateCommand", "updateContentCommand",
    "postCreateCommand", "postStartCommand", "postAttachCommand", "waitFor", "customizations",
    "hostRequirements", "privileged", "capAdd", "securityOpt", "init", "secrets",
}  # fmt: skip
ON_AUTO_FORWARD = {"notify", "openBrowser", "openBrowserOnce", "openPreview", "silent", "ignore"}
VARIABLES = {"localWorkspaceFolder", "containerWorkspaceFolder", "localWorkspaceFolderBasename",
             "containerWorkspaceFolderBasename", "devcontainerId"}  # fmt: skip


def strip_jsonc(text: str) -> str:
    """JSON from JSONC: // and /* */ comments dropped, strings (and the // in URLs) kept."""
    out, i = [], 0
    while i < len(text):
        if text[i] == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            assert end >= 0, "unterminated /* comment"
            i = end + 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def load_config() -> dict:
    return json.loads(strip_jsonc((DEVCONTAINER / "devcontainer.json").read_text(encoding="utf-8")))


def test_strip_jsonc():
    text = '// head\n{"a": "http://x//y", /* b */ "c": "q\\"//"} // tail'
    assert json.loads(strip_jsonc(text)) == {"a": "http://x//y", "c": 'q"//'}


# --- the config ---------------------------------------------------------------------------------


def test_only_spec_properties():
    config = load_config()
    assert set(config) <= SPEC_PROPERTIES, set(config) - SPEC_PROPERTIES
    assert isinstance(config["name"], str) and config["name"]


def test_python_312_and_node_20():
    config = load_config()
    image, tag = config["image"].rsplit(":", 1)
    assert image == "mcr.microsoft.com/devcontainers/python"
    assert re.fullmatch(r"(\d+-)?3\.12(-\w+)?", tag), tag  # e.g. 1-3.12-bookworm: Debian, for apt-get
    features = config["features"]
    assert all(isinstance(options, dict) for options in features.values())
    node = features["ghcr.io/devcontainers/features/node:1"]
    assert int(str(node["version"]).split(".")[0]) >= 20


def makefile_default(variable: str) -> int | None:
    match = re.search(rf"^{variable}\s*\?=\s*(\d+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    return int(match.group(1)) if match else None


def test_forwarded_ports_are_the_stacks_with_labels():
    config = load_config()
    defaults = {}
    for line in (ROOT / "scripts" / "check_setup.py").read_text().splitlines():
        match = re.match(r'\s*\("(\w+)", (\d+), "', line)  # its PORTS table
        if match:
            defaults[match.group(1)] = int(match.group(2))
    assert config["forwardPorts"] == [defaults["PORT"], defaults["MOTO_PORT"], defaults["LAB_PORT"]]
    for variable in ("PORT", "MOTO_PORT"):  # the Makefile's defaults, where it has them
        assert makefile_default(variable) in (None, defaults[variable])
    attributes = config["portsAttributes"]
    assert set(attributes) == {str(port) for port in config["forwardPorts"]}
    for port, attribute in attributes.items():
        assert re.fullmatch(r"\d+", port) and set(attribute) <= {"label", "onAutoForward", "protocol"}
        assert isinstance(attribute["label"], str) and attribute["label"]
        assert attribute.get("onAutoForward", "notify") in ON_AUTO_FORWARD


def test_host_requirements_and_customizations():
    config = load_config()
    host = config["hostRequirements"]
    assert set(host) <= {"cpus", "memory", "storage", "gpu"} and isinstance(host["cpus"], int)
    for size in (host["memory"], host["storage"]):
        assert re.fullmatch(r"\d+([tgmk]b)?", size), size
    vscode = config["customizations"]["vscode"]
    assert all(re.fullmatch(r"[\w-]+\.[\w-]+", extension) for extension in vscode["extensions"])
    used = set(re.findall(r"\$\{(\w+)\}", json.dumps(config)))
    assert used <= VARIABLES, used - VARIABLES


def test_post_create_command_is_the_script_and_its_targets_exist():
    assert load_config()["postCreateCommand"] == "bash .devcontainer/post-create.sh"
    subprocess.run([BASH, "-n", str(POST_CREATE)], check=True)
    (targets,) = re.findall(r"^\s*make ([^\n]+)$", POST_CREATE.read_text(), re.MULTILINE)
    makefile = (ROOT / "Makefile").read_text()
    variables = dict(re.findall(r"^(\w+)\s*:?=\s*(\S+)\s*$", makefile, re.MULTILINE))
    rules = {
        re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), target)
        for line in re.findall(r"^([^\s#=:][^=:\n]*):(?!=)", makefile, re.MULTILINE)
        for target in line.split()
    }
    for target in targets.split():
        assert target in rules, f"post-create.sh runs `make {target}`, which the Makefile has no rule for"


# --- post-create.sh's chromium step, with stubs ---------------------------------------------------


def stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def stub_path(tmp_path: Path, uid: int, apt_get: str | None = None, sudo: bool = False) -> tuple[dict, Path]:
    """A PATH with no chromium and no apt-get but for the stubs asked for: python3 (the real one,
    for check_setup.py), `id -u` saying `uid`, an apt-get that logs its calls and "installs" a
    chromium stub (or fails: apt_get="fail"), a sudo that logs and runs its command."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(os.path.realpath(sys.executable))
    stub(bin_dir, "id", f"echo {uid}\n")
    if apt_get:
        install = (
            "exit 100"
            if apt_get == "fail"
            else f"printf '#!/bin/sh\\n' > {bin_dir}/chromium; /bin/chmod +x {bin_dir}/chromium"
        )
        stub(
            bin_dir,
            "apt-get",
            f'echo "apt-get DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> {log}\n'
            f'case "$1" in install) {install} ;; esac\n',
        )
    if sudo:
        stub(
            bin_dir,
            "sudo",
            f'echo "sudo $*" >> {log}\n'
            "while [ $# -gt 0 ]; do\n"
            '  case "$1" in -n) shift ;; *=*) export "$1"; shift ;; *) break ;; esac\n'
            "done\n"
            '[ $# -eq 0 ] || [ "$1" = true ] && exit 0\nexec "$@"\n',
        )
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
    return env, log


def chromium_step(env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [BASH, str(POST_CREATE), "chromium"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_chromium_step_without_apt_get_names_the_install_and_goes_on(tmp_path):
    env, log = stub_path(tmp_path, uid=0)
    out = chromium_step(env).stdout
    assert "not installing chromium (no apt-get)" in out
    assert re.search(r"^✘ chromium \(browser tests only\): not found — .*chromium", out, re.MULTILINE), out


def test_chromium_step_as_root_installs_with_apt_get(tmp_path):
    env, log = stub_path(tmp_path, uid=0, apt_get="ok")
    out = chromium_step(env).stdout
    assert calls(log) == [
        "apt-get DEBIAN_FRONTEND=noninteractive update -qq",
        "apt-get DEBIAN_FRONTEND=noninteractive install -y -qq --no-install-recommends chromium",
    ]
    assert "post-create: chromium installed" in out


def test_chromium_step_with_sudo_installs_by_sudo(tmp_path):
    env, log = stub_path(tmp_path, uid=1000, apt_get="ok", sudo=True)
    out = chromium_step(env).stdout
    assert calls(log) == [
        "sudo -n true",
        "sudo -n DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "apt-get DEBIAN_FRONTEND=noninteractive update -qq",
        "sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium",
        "apt-get DEBIAN_FRONTEND=noninteractive install -y -qq --no-install-recommends chromium",
    ]
    assert "post-create: chromium installed" in out


def test_chromium_step_not_root_without_sudo_skips(tmp_path):
    env, log = stub_path(tmp_path, uid=1000, apt_get="ok")
    out = chromium_step(env).stdout
    assert calls(log) == []
    assert "not installing chromium (not root, and no sudo without a password)" in out


def test_chromium_step_when_apt_get_fails_goes_on(tmp_path):
    env, log = stub_path(tmp_path, uid=0, apt_get="fail")
    out = chromium_step(env).stdout
    assert "not installing chromium (apt-get install chromium failed)" in out and "✘ chromium" in out


def test_chromium_step_with_chromium_there_does_nothing(tmp_path):
    env, log = stub_path(tmp_path, uid=0, apt_get="ok")
    stub(Path(env["PATH"]), "chromium", "")
    assert "post-create: chromium is there" in chromium_step(env).stdout
    assert calls(log) == []


# --- post-create.sh in a fresh clone ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_post_create_sets_up_a_fresh_clone(tmp_path):
    """What a dev container does once created: chromium (already here, or skipped), then `make`'s
    setup, then the setup check, on a clone of HEAD that has never been set up."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    for name in DEVCONTAINER_FILES:
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, clone / name)
    env = {
        k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VIRTUAL_ENV"}
    }
    # Free ports for the check's port lines: other tests' servers may hold the defaults.
    env.update({name: str(free_port()) for name in ("PORT", "MOTO_PORT", "LAMBDA_PORT", "LAB_PORT")})
    started = time.monotonic()
    done = subprocess.run(
        [BASH, ".devcontainer/post-create.sh"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    print(f"post-create in a fresh clone: {took:.0f} s")
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("✔ ready"), lines[-12:]
    python = clone / ".venv" / "bin" / "python"
    probe = 'import sys, importlib.metadata as m; print(sys.version_info[:2], m.version("flask"))'
    version = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout
    assert version.startswith("(3, 12)"), version
    sls = subprocess.run(
        [str(clone / "node_modules" / ".bin" / "sls"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sls.returncode == 0 and "osls" in sls.stdout, sls.stdout + sls.stderr

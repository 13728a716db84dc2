"""workshop/lambda_builds.py: the steps of `sls package`, one by one, for notebooks 05/06 and
the benchmark. Slim must delete what the plugin's patterns mean, at any depth."""

import importlib.util
import struct
import subprocess
import sys

import pytest

from workshop.lambda_builds import _matches, compile_bytecode, slim


@pytest.mark.parametrize(
    ("relative", "pattern", "expected"),
    [
        ("pkg/tests", "**/tests", True),
        ("pkg/sub/tests", "**/tests", True),
        ("pkg/tests/test_x.py", "**/tests/**", True),
        ("tests", "**/tests/**", True),
        ("pkg/contests", "**/tests", False),
        ("pkg/mod.pyc", "**/*.py[c|o]", True),
        ("pkg/mod.py", "**/*.py[c|o]", False),
        ("numpy-2.5.5.dist-info", "**/*.dist-info*", True),
        ("pkg/__pycache__", "**/__pycache__*", True),
        ("pkg/data/x.json", "pkg/data/*", True),
        ("other/pkg/data/x.json", "pkg/data/*", False),
    ],
)
def test_patterns_mean_what_the_plugin_means(relative, pattern, expected):
    assert _matches(relative, pattern) is expected


def test_slim_removes_bytecode_metadata_and_nested_tests_and_counts_the_bytes(tmp_path):
    files = {
        "pkg/__init__.py": b"x = 1\n",
        "pkg/__pycache__/m.cpython-312.pyc": b"0" * 100,
        "pkg/sub/tests/test_a.py": b"1" * 50,
        "pkg-1.0.dist-info/RECORD": b"2" * 30,
        "pkg/testsuite.py": b"keep\n",
    }
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    removed = slim(tmp_path, ("**/tests",))
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["pkg/__init__.py", "pkg/testsuite.py"]
    assert removed == 180


def test_shipped_bytecode_is_checked_hash(tmp_path):
    (tmp_path / "mod.py").write_text("VALUE = 42\n")
    compile_bytecode(tmp_path)
    pyc = tmp_path / "__pycache__" / f"mod.{sys.implementation.cache_tag}.pyc"
    header = pyc.read_bytes()[:16]
    assert header[:4] == importlib.util.MAGIC_NUMBER
    flags = struct.unpack("<I", header[4:8])[0]
    assert flags == 0b11, "hash-based (bit 0) and checked (bit 1): stays valid after unzip"


@pytest.mark.parametrize(("pip_bytecode", "compiles"), [(False, False), (True, True)])
def test_pip_install_writes_pip_bytecode_only_when_asked(monkeypatch, tmp_path, pip_bytecode, compiles):
    """The benchmark's pip-like artifacts keep pip's timestamp .pyc; `sls package` compiles
    hash-checked bytecode itself, so its pip runs with --no-compile."""
    from workshop.lambda_builds import lambda_requirements

    commands = []

    def fake_run(command, **kwargs):
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(lambda_requirements.subprocess, "run", fake_run)
    lambda_requirements.pip_install("arm64", tmp_path, ["six==1.17.0"], None, pip_bytecode=pip_bytecode)
    (command,) = commands
    assert ("--no-compile" not in command) is compiles
    assert command[command.index("--target") + 1] == str(tmp_path)
    assert "six==1.17.0" in command and "manylinux2014_aarch64" in " ".join(command)


def test_lambda_builds_pip_install_keeps_pip_bytecode(monkeypatch, tmp_path):
    from workshop import lambda_builds

    calls = []
    monkeypatch.setattr(
        lambda_builds.lambda_requirements, "pip_install", lambda *a, **k: calls.append((a, k))
    )
    lambda_builds.pip_install(["six==1.17.0"], tmp_path)
    assert calls == [(("x86_64", tmp_path, ["six==1.17.0"], None), {"pip_bytecode": True})]

"""The e2e tier: what `sls package` builds, shared by the tests that read the template or run
the artifact."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workshop import ROOT
from workshop.lambda_builds import osls_lock


class Packaged:
    """What `sls package` wrote: one zip per function, and the CloudFormation template."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.zips = {path.stem: path for path in sorted(directory.glob("*.zip"))}
        self.zip = self.zips["api"]
        self.template = json.loads((directory / "cloudformation-template-update-stack.json").read_text())

    def function(self, name: str = "api") -> dict:
        return self.template["Resources"][f"{name.capitalize()}LambdaFunction"]["Properties"]

    def function_environment(self, name: str = "api") -> dict[str, str]:
        return self.function(name)["Environment"]["Variables"]


@pytest.fixture(scope="session")
def packaged(tmp_path_factory):
    """`sls package` (osls, as `make package` runs it) into a temporary directory, once per
    test run: the test processes (pytest-xdist) share the session's base directory."""
    return package(tmp_path_factory, "sls-package")


@pytest.fixture(scope="session")
def packaged_arm64_snapstart(tmp_path_factory):
    """The production switches at once: `make package ARCH=arm64 SNAPSTART=true`."""
    return package(tmp_path_factory, "sls-package-arm64-snapstart", ARCH="arm64", SNAPSTART="true")


def package(tmp_path_factory, name: str, **environment) -> Packaged:
    base = tmp_path_factory.getbasetemp()  # .../pytest-N, or .../pytest-N/popen-gwK with xdist
    out = (base.parent if base.name.startswith("popen-gw") else base) / name
    with osls_lock():
        if not (out / "complete").exists():
            shutil.rmtree(out, ignore_errors=True)
            venv_bin = Path(sys.executable).parent
            result = subprocess.run(
                [
                    str(ROOT / "node_modules" / ".bin" / "sls"),
                    "package",
                    "--stage",
                    "dev",
                    "--package",
                    str(out),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
                env={
                    **{k: v for k, v in os.environ.items() if k not in ("ARCH", "SNAPSTART")},
                    **environment,
                    "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
                },
            )
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            (out / "complete").touch()
    return Packaged(out)

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
    """What `sls package` wrote: the zip and the CloudFormation template."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.zip = directory / "serverless-ml-workshop.zip"
        self.template = json.loads((directory / "cloudformation-template-update-stack.json").read_text())

    @property
    def function_environment(self) -> dict[str, str]:
        function = self.template["Resources"]["ApiLambdaFunction"]["Properties"]
        return function["Environment"]["Variables"]


@pytest.fixture(scope="session")
def packaged(tmp_path_factory):
    """`sls package` (osls, as `make package` runs it) into a temporary directory, once per
    test run: the test processes (pytest-xdist) share the session's base directory."""
    base = tmp_path_factory.getbasetemp()  # .../pytest-N, or .../pytest-N/popen-gwK with xdist
    out = (base.parent if base.name.startswith("popen-gw") else base) / "sls-package"
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
                env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"},
            )
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            (out / "complete").touch()
    return Packaged(out)

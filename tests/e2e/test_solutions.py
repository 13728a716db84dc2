"""The reference deployments in solutions/ deploy on their own: copied out of the repository
(links followed, as its README says), `sls package` builds them."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from helpers import role_statements

from workshop import ROOT


def package_standalone(name: str, tmp_path: Path) -> tuple[dict, zipfile.ZipFile]:
    copy = tmp_path / name
    shutil.copytree(ROOT / "solutions" / name, copy, symlinks=False)  # like `cp -rL`
    (copy / "node_modules").symlink_to(ROOT / "node_modules")  # what `npm ci` would install
    out = tmp_path / "package"
    venv_bin = Path(sys.executable).parent
    result = subprocess.run(
        [str(copy / "node_modules" / ".bin" / "sls"), "package", "--stage", "dev", "--package", str(out)],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    template = json.loads((out / "cloudformation-template-update-stack.json").read_text())
    return template, zipfile.ZipFile(next(out.glob("*.zip")))


def test_the_car_api_reference_deployment_packages_on_its_own(tmp_path):
    template, artifact = package_standalone("cars-api", tmp_path)
    resources = template["Resources"]
    kinds = {r["Type"] for r in resources.values()}
    assert {
        "AWS::Lambda::Function",
        "AWS::DynamoDB::Table",
        "AWS::ApiGateway::ApiKey",
        "AWS::ApiGateway::UsagePlan",
    } <= kinds
    assert "AWS::SQS::Queue" not in kinds, "the car API alone: no SmartCat pipeline"
    function = resources["ApiLambdaFunction"]["Properties"]
    assert function["Runtime"] == "python3.12"
    assert function["Environment"]["Variables"]["CARS_TABLE"] == "serverless-ml-cars-dev-cars"
    names = set(artifact.namelist())
    assert {
        "wsgi_handler.py",
        "workshop_app/wsgi.py",
        "models/cars/manifest.json",
        "models/cars/model.json",
        "flask/__init__.py",
    } <= names
    assert not any(n.startswith(("pandas/", "sklearn/", "matplotlib/")) for n in names)


def test_the_smartcat_reference_deployment_packages_on_its_own(tmp_path, packaged):
    template, artifact = package_standalone("smartcat", tmp_path)
    resources = template["Resources"]
    kinds = [r["Type"] for r in resources.values()]
    assert kinds.count("AWS::SQS::Queue") == 6, "split, pages, aggregate and a DLQ for each"
    assert kinds.count("AWS::DynamoDB::Table") == 1, "the jobs table only: no cars"
    functions = {n for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions == {
        "ApiLambdaFunction",
        "SplitLambdaFunction",
        "PageLambdaFunction",
        "AggregateLambdaFunction",
    }
    mappings = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == 3
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)
    paths = {
        r["Properties"]["PathPart"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Resource"
    }
    assert "cars" not in paths and "jobs" in paths
    names = set(artifact.namelist())
    assert {
        "workshop_app/smartcat/handlers.py",
        "models/documents/manifest.json",
        "pypdfium2/__init__.py",
    } <= names
    assert "models/cars/model.json" not in names
    # The functions' roles are the top-level deployment's, which tests/e2e/test_iam.py checks
    # against what each function calls; the API's without the car API's statements.
    mine, top = role_statements(template), role_statements(packaged.template)
    for role in ("SplitRole", "PageRole", "AggregateRole"):
        assert mine[role] == top[role], role
    cars = json.dumps(["CarsTable", "ModelBucket"])[1:-1].split(", ")
    assert mine["ApiRole"] == [s for s in top["ApiRole"] if not any(c in json.dumps(s) for c in cars)]

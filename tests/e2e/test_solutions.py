"""The reference deployments in solutions/ deploy on their own: written out of the repository
as its README says (`make solution`, plain copies), `sls package` builds them there; and they are
built from deployment/'s parts, not copies of the top-level serverless.yml."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import role_statements

from workshop import ROOT
from workshop.solutions import export, names


def package_standalone(name: str, tmp_path: Path) -> tuple[dict, dict[str, zipfile.ZipFile]]:
    copy = export(name, tmp_path / name)
    assert not [p for p in copy.rglob("*") if p.is_symlink()], "plain copies only"
    (copy / "node_modules").symlink_to(ROOT / "node_modules")  # what `npm ci` would install
    out = tmp_path / "package"
    venv_bin = Path(sys.executable).parent  # python3.12 with pip, as the README's venv
    result = subprocess.run(
        [str(copy / "node_modules" / ".bin" / "sls"), "package", "--stage", "dev", "--package", str(out)],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
            # the project's wheels and built trees, so the copy needs no downloads here
            "LAMBDA_REQUIREMENTS_CACHE": str(ROOT / ".cache" / "lambda-requirements"),
        },
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    template = json.loads((out / "cloudformation-template-update-stack.json").read_text())
    return template, {p.stem: zipfile.ZipFile(p) for p in out.glob("*.zip")}


def test_the_car_api_reference_deployment_packages_on_its_own(tmp_path):
    template, artifacts = package_standalone("cars-api", tmp_path)
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
    assert function["Environment"]["Variables"]["FEATURES"] == "cars"
    assert set(artifacts) == {"api"}
    names = set(artifacts["api"].namelist())
    assert {
        "wsgi_handler.py",
        "workshop_app/wsgi.py",
        "models/cars/manifest.json",
        "models/cars/model.json",
        "flask/__init__.py",
    } <= names
    assert not any(n.startswith(("pandas/", "sklearn/", "matplotlib/", "pypdfium2/")) for n in names)


def test_the_smartcat_reference_deployment_packages_on_its_own(tmp_path, packaged):
    template, artifacts = package_standalone("smartcat", tmp_path)
    resources = template["Resources"]
    kinds = [r["Type"] for r in resources.values()]
    assert kinds.count("AWS::SQS::Queue") == 6, "split, pages, aggregate and a DLQ for each"
    assert kinds.count("AWS::DynamoDB::Table") == 1, "the jobs table only: no cars"
    functions = {n for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions == {
        "ApiLambdaFunction",
        "JobsLambdaFunction",
        "SplitLambdaFunction",
        "PageLambdaFunction",
        "AggregateLambdaFunction",
    }
    assert resources["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]["FEATURES"] == "jobs"
    mappings = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == 3
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)
    paths = {
        r["Properties"]["PathPart"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Resource"
    }
    assert "cars" not in paths and "jobs" in paths
    names = set(artifacts["page"].namelist())
    assert {
        "workshop_app/smartcat/handlers.py",
        "models/documents/manifest.json",
        "pypdfium2/__init__.py",
    } <= names
    assert not any(n.startswith("models/cars/") for z in artifacts.values() for n in z.namelist())
    # The functions' roles are the top-level deployment's, which tests/e2e/test_iam.py checks
    # against what each function calls; the API's without the car API's statements.
    mine, top = role_statements(template), role_statements(packaged.template)
    for role in ("JobsRole", "SplitRole", "PageRole", "AggregateRole"):
        assert mine[role] == top[role], role
    cars = json.dumps(["CarsTable", "ModelBucket"])[1:-1].split(", ")
    assert mine["ApiRole"] == [s for s in top["ApiRole"] if not any(c in json.dumps(s) for c in cars)]


def blocks(lines: list[str], size: int) -> set[tuple[str, ...]]:
    """Every run of `size` consecutive non-blank, non-comment lines."""
    kept = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    return {tuple(kept[i : i + size]) for i in range(len(kept) - size + 1)}


@pytest.mark.parametrize("name", names())
def test_a_reference_deployment_copies_no_block_of_the_top_level_file(name):
    """Built from deployment/'s parts: no run of more than 10 lines in common with serverless.yml."""
    top = (ROOT / "serverless.yml").read_text().splitlines()
    mine = (ROOT / "solutions" / name / "serverless.yml").read_text().splitlines()
    assert not blocks(top, 11) & blocks(mine, 11)

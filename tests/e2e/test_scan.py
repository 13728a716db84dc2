"""The offline policy scanners (`make scan`: checkov, cfn-lint with cfn-lint-serverless's rules,
parliament) find nothing unexplained in the generated template and the included serverless.yml,
and they do find what a careless change would bring in."""

import copy
import json
import subprocess

import pytest

from workshop import ROOT

SCANNER = ROOT / ".cache" / "scan-venv" / "bin" / "python"


def scan(template: dict, tmp_path) -> tuple[int, list[list[str]]]:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    result = subprocess.run(
        [str(SCANNER), str(ROOT / "workshop" / "policy_scan.py"), str(path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "finding(s)" in result.stderr, result.stderr[-2000:]
    return result.returncode, [line.split("\t") for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def template(packaged):
    assert SCANNER.exists(), "the scanner venv is missing: `make scan` (or `make test`) builds it"
    return packaged.template


def test_every_finding_is_fixed_or_skipped_with_its_reason(template, tmp_path):
    status, findings = scan(template, tmp_path)
    assert (status, findings) == (0, [])


def test_a_wildcard_action_and_a_dropped_skip_are_found(template, tmp_path):
    careless = copy.deepcopy(template)
    resources = careless["Resources"]
    statements = resources["AggregateRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    statements.append({"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"})
    del resources["CarsTable"]["Metadata"]
    status, findings = scan(careless, tmp_path)
    assert status == 1
    found = {(tool, check, resource.split(".")[-1]) for tool, check, resource, _ in findings}
    assert ("checkov:cloudformation", "CKV_AWS_119", "CarsTable") in found
    assert any(tool == "parliament" and resource == "AggregateRole" for tool, _, resource in found)

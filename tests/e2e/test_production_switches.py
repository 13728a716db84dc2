"""The production switches in the generated CloudFormation: JSON logs on every function, arm64
(`make package ARCH=arm64`: every shared object in every zip built for AArch64) and SnapStart
(`SNAPSTART=true`: a published version, and the alias API Gateway calls), cfn-lint clean."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

#: ELF e_machine values (the ELF specification): what CPU a shared object is built for.
MACHINES = {62: "x86-64", 183: "AArch64"}


def machines(zip_path: Path) -> dict[str, str]:
    """Every ELF file in the zip (shared objects, bundled libraries) and the CPU it is for."""
    found = {}
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            with archive.open(name) as f:
                head = f.read(20)
            if head[:4] == b"\x7fELF":
                found[name] = MACHINES.get(int.from_bytes(head[18:20], "little"), "other")
    return found


def functions(packaged) -> dict[str, dict]:
    return {
        n: r["Properties"]
        for n, r in packaged.template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
    }


@pytest.mark.parametrize(
    ("fixture", "architecture", "machine"),
    [("packaged", "x86_64", "x86-64"), ("packaged_arm64_snapstart", "arm64", "AArch64")],
)
def test_every_shared_object_is_built_for_the_functions_architecture(request, fixture, architecture, machine):
    packaged = request.getfixturevalue(fixture)
    assert {f["Architectures"][0] for f in functions(packaged).values()} == {architecture}
    for name in ("page", "jobs"):  # PDFium, and tesseract's bundled libraries
        found = machines(packaged.zips[name])
        assert any("pypdfium2_raw" in n for n in found), name
        assert set(found.values()) == {machine}, {n: m for n, m in found.items() if m != machine}
    assert any("tesserocr.libs" in n for n in machines(packaged.zips["page"]))


def test_every_function_logs_json_and_keeps_its_logs_14_days(packaged):
    for name, function in functions(packaged).items():
        assert function["LoggingConfig"] == {
            "LogFormat": "JSON",
            "ApplicationLogLevel": "INFO",
            "SystemLogLevel": "INFO",
        }, name
        assert function["Environment"]["Variables"]["METRICS"] == "emf", name
    groups = [
        r["Properties"] for r in packaged.template["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"
    ]
    assert len(groups) == len(functions(packaged)) and {g["RetentionInDays"] for g in groups} == {14}


def test_snapstart_is_off_unless_asked_for(packaged):
    assert not any("SnapStart" in f for f in functions(packaged).values())
    assert not [r for r in packaged.template["Resources"].values() if r["Type"] == "AWS::Lambda::Alias"]


def test_snapstart_publishes_a_version_that_api_gateway_calls_through_an_alias(packaged_arm64_snapstart):
    resources = packaged_arm64_snapstart.template["Resources"]
    api = resources["ApiLambdaFunction"]["Properties"]
    assert api["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert [n for n, f in functions(packaged_arm64_snapstart).items() if "SnapStart" in f] == [
        "ApiLambdaFunction"
    ]
    [alias] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Alias"]
    version = alias["FunctionVersion"]["Fn::GetAtt"][0]
    assert resources[version]["Type"] == "AWS::Lambda::Version"
    assert resources[version]["Properties"]["FunctionName"] == {"Ref": "ApiLambdaFunction"}
    methods = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::Method"]
    api_methods = [m for m in methods if "ApiLambdaFunction" in str(m["Properties"]["Integration"]["Uri"])]
    assert api_methods and all(
        alias["Name"] in str(m["Properties"]["Integration"]["Uri"]) for m in api_methods
    ), "every route of the API function calls the alias, not $LATEST"
    permission = resources["ApiLambdaPermissionApiGateway"]["Properties"]
    assert alias["Name"] in str(permission["FunctionName"])


def test_the_switched_on_template_passes_cfn_lint(packaged_arm64_snapstart):
    template = packaged_arm64_snapstart.dir / "cloudformation-template-update-stack.json"
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--regions", "eu-central-1", "--", str(template)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr

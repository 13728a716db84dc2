"""The CloudFormation template `sls package` generates from serverless.yml: valid, least
privilege, keyed writes, throttled; and the tool versions pinned."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import role_statements

from workshop import ROOT

WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}


def resources(template, kind):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_cfn_lint_passes(packaged):
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(packaged.dir / "cloudformation-template-update-stack.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def iam_statements(template):
    for statements in role_statements(template).values():
        yield from statements


def test_no_wildcard_actions(packaged):
    statements = list(iam_statements(packaged.template))
    assert statements
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert "*" not in action, f"wildcard IAM action {action!r}"


def test_every_function_has_its_own_role_naming_its_resources(packaged):
    """No shared role: each function its own, each statement naming resources (no "*"), and
    only a function fed by a queue may consume that queue. What each role allows is checked
    against what each function calls in tests/e2e/test_iam.py."""
    template = packaged.template
    functions = resources(template, "AWS::Lambda::Function")
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()}
    assert roles == {"ApiRole", "JobsRole", "SplitRole", "PageRole", "AggregateRole"}
    assert set(resources(template, "AWS::IAM::Role")) == roles  # no default role beside them
    for statement in iam_statements(template):
        assert statement["Resource"] not in ("*", ["*"]), statement
    for name, function in functions.items():  # logs: the function's own log group only
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        logs = [
            s["Resource"]
            for s in role_statements(template)[role]
            if any(a.startswith("logs:") for a in s["Action"])
        ]
        assert logs == [{"Fn::GetAtt": [name.replace("LambdaFunction", "LogGroup"), "Arn"]}]
    consumes = {
        name: {json.dumps(s["Resource"]) for s in statements if "sqs:ReceiveMessage" in s["Action"]}
        for name, statements in role_statements(template).items()
    }
    assert consumes == {
        "ApiRole": set(),
        "JobsRole": set(),
        "SplitRole": {json.dumps({"Fn::GetAtt": ["SplitQueue", "Arn"]})},
        "PageRole": {json.dumps({"Fn::GetAtt": ["PagesQueue", "Arn"]})},
        "AggregateRole": {json.dumps({"Fn::GetAtt": ["AggregateQueue", "Arn"]})},
    }


def methods(template):
    return resources(template, "AWS::ApiGateway::Method").values()


def test_every_write_route_needs_an_api_key(packaged):
    writes = [
        m["Properties"] for m in methods(packaged.template) if m["Properties"]["HttpMethod"] in WRITE_METHODS
    ]
    # POST /cars, PUT and DELETE /cars/{carid}, POST /predict, POST /jobs, POST /jobs/uploads,
    # DELETE /jobs/{job_id}
    assert len(writes) == 7
    assert all(m["ApiKeyRequired"] for m in writes)


def test_read_routes_stay_open(packaged):
    reads = [m["Properties"] for m in methods(packaged.template) if m["Properties"]["HttpMethod"] == "GET"]
    assert reads and not any(m.get("ApiKeyRequired") for m in reads)
    assert not any(m["Properties"]["HttpMethod"] == "ANY" for m in methods(packaged.template))


def test_usage_plan_throttles_and_limits(packaged):
    [plan] = resources(packaged.template, "AWS::ApiGateway::UsagePlan").values()
    props = plan["Properties"]
    assert props["Throttle"]["RateLimit"] > 0 and props["Throttle"]["BurstLimit"] > 0
    assert props["Quota"]["Limit"] > 0 and props["Quota"]["Period"] == "DAY"
    assert resources(packaged.template, "AWS::ApiGateway::UsagePlanKey")


def test_function_settings(packaged):
    function = packaged.template["Resources"]["ApiLambdaFunction"]["Properties"]
    assert function["Runtime"] == "python3.12" and function["Architectures"] == ["x86_64"]
    assert function["Handler"] == "wsgi_handler.handler"
    assert 10 <= function["Timeout"] < 29  # under API Gateway's integration limit
    env = function["Environment"]["Variables"]
    manifest = json.loads((ROOT / "models/cars/manifest.json").read_text())
    assert env["MODEL_SHA256"] == manifest["files"]["portable"]["sha256"]
    assert env["MODEL_URI"] == "models/cars"


def test_table_and_bucket_are_declared_and_removable(packaged):
    for kind in ("AWS::DynamoDB::Table", "AWS::S3::Bucket"):
        declared = resources(packaged.template, kind)
        assert declared
        assert all(r.get("DeletionPolicy", "Delete") == "Delete" for r in declared.values())
    [bucket] = [r for n, r in resources(packaged.template, "AWS::S3::Bucket").items() if n == "ModelBucket"]
    assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values())


@pytest.fixture(scope="module")
def package_json():
    return json.loads((ROOT / "package.json").read_text())


def test_node_tools_are_pinned_exactly_with_a_lockfile(package_json):
    pins = package_json["devDependencies"]
    assert set(pins) == {
        "osls",
        "serverless-wsgi",
        "serverless-offline",
        "reveal.js",
    }  # reveal.js: `make slides`
    assert all(v[0].isdigit() for v in pins.values()), pins
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for name, version in pins.items():
        assert lock[f"node_modules/{name}"]["version"] == version
    assert "node_modules/serverless" not in lock  # no proprietary v4 CLI beside osls


def test_python_serverless_wsgi_matches_the_plugin(package_json):
    """Notebook 04 calls the handler module from PyPI; Lambda runs the plugin's copy."""
    from importlib.metadata import version

    assert version("serverless-wsgi") == package_json["devDependencies"]["serverless-wsgi"]


def test_smartcat_queues_retry_then_dead_letter_and_outlast_their_functions(packaged):
    """Each SQS-triggered function reports partial batch failures, and its queue keeps a message
    invisible 6x the function's timeout and moves it to a dead-letter queue after
    maxReceiveCount deliveries, the value the handlers are told (MAX_RECEIVE_COUNT)."""
    resources_ = packaged.template["Resources"]
    mappings = resources(packaged.template, "AWS::Lambda::EventSourceMapping").values()
    assert len(mappings) == 3
    for mapping in mappings:
        props = mapping["Properties"]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        function = resources_[props["FunctionName"]["Fn::GetAtt"][0]]["Properties"]
        queue = resources_[props["EventSourceArn"]["Fn::GetAtt"][0]]["Properties"]
        assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
        redrive = queue["RedrivePolicy"]
        assert resources_[redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"
        assert int(function["Environment"]["Variables"]["MAX_RECEIVE_COUNT"]) == int(
            redrive["maxReceiveCount"]
        )


def test_documents_bucket_is_private_expires_files_and_notifies_the_split_queue(packaged):
    bucket = packaged.template["Resources"]["DocumentsBucket"]
    props = bucket["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert {r["Prefix"]: r["ExpirationInDays"] for r in props["LifecycleConfiguration"]["Rules"]} == {
        "uploads/": 7,
        "jobs/": 7,
    }
    [notification] = props["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Queue"] == {"Fn::GetAtt": ["SplitQueue", "Arn"]}
    assert bucket["DependsOn"] == ["SplitQueuePolicy"]
    jobs = packaged.template["Resources"]["JobsTable"]["Properties"]
    assert jobs["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_the_api_takes_pdf_bodies(packaged):
    [api] = resources(packaged.template, "AWS::ApiGateway::RestApi").values()
    assert "application/pdf" in api["Properties"]["BinaryMediaTypes"]

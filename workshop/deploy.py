"""Deployment helpers around `sls` (osls) for the Makefile: size report, model upload, checks.

    python -m workshop.deploy report [DIR]        # each function's artifact against Lambda's limits
    python -m workshop.deploy after-deploy        # upload the model to the stack's bucket, check
    python -m workshop.deploy before-remove       # empty the model bucket (CloudFormation can't)
    python -m workshop.deploy check-removed       # exit 1 if anything of the stack is left

boto3 finds AWS the usual way: real AWS with your credentials, or local AWS (moto) when
AWS_ENDPOINT_URL is set. STAGE and REGION select the stack, as for `sls`.
"""

import argparse
import os
import sys
import zipfile
from pathlib import Path

from . import CARS_MODEL_DIR, ROOT

SERVICE = "serverless-ml-workshop"
PACKAGE_DIR = ROOT / ".serverless"  # one <function>.zip each (package.individually)
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
ZIPPED_LIMIT = 50 * 1024 * 1024  # direct upload of a .zip
UNZIPPED_LIMIT = 262_144_000  # function + layers, unpacked
HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "sklearn",
    "matplotlib",
    "jupyter",
    "jupyterlab",
    "IPython",
    "notebook",
    "moto",
    "pytest",
)


def package_sizes(path: Path) -> tuple[int, int, dict[str, int]]:
    """Zipped bytes, unzipped bytes, and unzipped bytes per top-level entry."""
    with zipfile.ZipFile(path) as archive:
        per_top: dict[str, int] = {}
        for info in archive.infolist():
            top = info.filename.split("/")[0]
            per_top[top] = per_top.get(top, 0) + info.file_size
    return path.stat().st_size, sum(per_top.values()), per_top


def report(directory: Path = PACKAGE_DIR) -> int:
    """A line per function's artifact: its sizes against Lambda's limits and what is largest in
    it. 1 when one is over a limit or carries a heavy package, or there is none."""
    zips = sorted(directory.glob("*.zip"))
    shown = directory.relative_to(ROOT) if directory.is_relative_to(ROOT) else directory
    print(
        f"{shown}/: one artifact per function; limits {ZIPPED_LIMIT:,} bytes zipped (direct "
        f"upload), {UNZIPPED_LIMIT:,} unzipped (function + layers)"
    )
    print(f"  {'function':<10} {'zipped MB':>10} {'%':>6} {'unzipped MB':>12} {'%':>6}  largest")
    problems = [] if zips else [f"no artifacts in {shown}: run `make package`"]
    for path in zips:
        zipped, unzipped, per_top = package_sizes(path)
        largest = sorted(per_top.items(), key=lambda kv: -kv[1])[:4]
        print(
            f"  {path.stem:<10} {zipped / 1e6:>10.1f} {zipped / ZIPPED_LIMIT:>6.1%} {unzipped / 1e6:>12.1f} "
            f"{unzipped / UNZIPPED_LIMIT:>6.1%}  " + ", ".join(f"{n} {b / 1e6:.1f}" for n, b in largest)
        )
        if zipped > ZIPPED_LIMIT:
            problems.append(f"{path.name} is over Lambda's 50 MB direct-upload limit")
        if unzipped > UNZIPPED_LIMIT:
            problems.append(f"{path.name} unpacked is over Lambda's 262,144,000-byte limit")
        if heavy := sorted(t for t in per_top if t in HEAVY):
            problems.append(f"{path.name} carries packages no function needs: {', '.join(heavy)}")
    for problem in problems:
        print(f"  ✗ {problem}", file=sys.stderr)
    return 1 if problems else 0


def stack_name() -> str:
    return f"{SERVICE}-{os.environ.get('STAGE') or 'dev'}"


def _clients():
    import boto3

    region = os.environ.get("REGION") or "eu-central-1"
    return lambda service: boto3.client(service, region_name=region)


def physical_id(client, logical_id: str) -> str:
    """The real name of one of the stack's resources. (Read from the resource list: stack Outputs
    go missing in moto after an update, and its describe_stack_resource fails on resource types
    it does not model.)"""
    pages = client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack_name())
    for page in pages:
        for resource in page["StackResourceSummaries"]:
            if resource.get("LogicalResourceId") == logical_id:
                return resource["PhysicalResourceId"]
    raise LookupError(f"stack {stack_name()} has no resource {logical_id}")


def after_deploy() -> int:
    """Upload the model to s3://<ModelBucket>/cars/<model_id>/ and check every resource exists."""
    import json

    client = _clients()
    bucket = physical_id(client, "ModelBucket")
    manifest = json.loads((CARS_MODEL_DIR / "manifest.json").read_text())
    prefix = f"cars/{manifest['model_id']}"
    s3 = client("s3")
    for name in ["manifest.json", *(f["name"] for f in manifest["files"].values())]:
        s3.upload_file(str(CARS_MODEL_DIR / name), bucket, f"{prefix}/{name}")
    print(
        f"model uploaded to s3://{bucket}/{prefix}/ (deploy with --param=modelUri=s3://"
        f"{bucket}/{prefix} to load it from there)"
    )
    return check_deployed(client)


def _write_methods_need_a_key(apigateway, api_id: str) -> bool:
    resources = apigateway.get_resources(restApiId=api_id, embed=["methods"])["items"]
    writes = [
        (r["id"], m)
        for r in resources
        for m in r.get("resourceMethods", {})
        if m in {"POST", "PUT", "DELETE", "PATCH"}
    ]
    return bool(writes) and all(
        apigateway.get_method(restApiId=api_id, resourceId=rid, httpMethod=m)["apiKeyRequired"]
        for rid, m in writes
    )


def _dead_letters_to(sqs, queue_url: str, dead_letter_url: str) -> bool:
    import json

    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    return json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"] == dead_letter_arn


FUNCTION_ROLES = {
    "ApiLambdaFunction": "ApiRole",
    "JobsLambdaFunction": "JobsRole",
    "SplitLambdaFunction": "SplitRole",
    "PageLambdaFunction": "PageRole",
    "AggregateLambdaFunction": "AggregateRole",
}


def _own_roles(client) -> bool:
    roles = set()
    for function, role in FUNCTION_ROLES.items():
        configuration = client("lambda").get_function(FunctionName=physical_id(client, function))[
            "Configuration"
        ]
        role_name = physical_id(client, role)
        if not (configuration["Runtime"] == "python3.12" and configuration["Role"].endswith(f"/{role_name}")):
            return False
        roles.add(role_name)
    return len(roles) == len(FUNCTION_ROLES)


def check_deployed(client) -> int:
    """Print a line per resource of the stack; return 1 if any is missing."""
    cfn = client("cloudformation")

    def api_id() -> str:  # looked up inside each check: a stack without it fails the check
        return physical_id(client, "ApiGatewayRestApi")

    checks = {
        "stack": lambda: (
            cfn.describe_stacks(StackName=stack_name())["Stacks"][0]["StackStatus"]
            in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
        ),
        "DynamoDB table": lambda: (
            client("dynamodb").describe_table(TableName=physical_id(client, "CarsTable"))["Table"][
                "TableStatus"
            ]
            == "ACTIVE"
        ),
        "S3 model bucket": lambda: (
            client("s3").head_bucket(Bucket=physical_id(client, "ModelBucket")) is not None
        ),
        "Lambda function": lambda: (
            client("lambda").get_function(FunctionName=physical_id(client, "ApiLambdaFunction"))[
                "Configuration"
            ]["Runtime"]
            == "python3.12"
        ),
        "REST API": lambda: client("apigateway").get_rest_api(restApiId=api_id()) is not None,
        "write routes need an API key": lambda: _write_methods_need_a_key(client("apigateway"), api_id()),
        "SmartCat jobs table": lambda: (
            client("dynamodb").describe_table(TableName=physical_id(client, "JobsTable"))["Table"][
                "TableStatus"
            ]
            == "ACTIVE"
        ),
        "SmartCat documents bucket": lambda: (
            client("s3").head_bucket(Bucket=physical_id(client, "DocumentsBucket")) is not None
        ),
        "SmartCat queues, each with its dead-letter queue": lambda: all(
            _dead_letters_to(
                client("sqs"),
                physical_id(client, queue),
                physical_id(client, f"{queue.removesuffix('Queue')}DeadLetterQueue"),
            )
            for queue in ("SplitQueue", "PagesQueue", "AggregateQueue")
        ),
        "each function runs as its own role": lambda: _own_roles(client),
    }
    failed = []
    for name, check in checks.items():
        try:
            ok = bool(check())
        except Exception as e:  # noqa: BLE001 (report every failing check, whatever it raised)
            ok, name = False, f"{name} ({type(e).__name__}: {e})"
        print(f"  {'✓' if ok else '✗'} {name}")
        if not ok:
            failed.append(name)
    return 1 if failed else 0


def before_remove() -> int:
    """Delete every object (version) in the model bucket and SmartCat's documents bucket, so
    CloudFormation can delete them."""
    client = _clients()
    s3 = client("s3")
    for logical_id in ("ModelBucket", "DocumentsBucket"):
        try:
            bucket = physical_id(client, logical_id)
        except Exception as e:  # noqa: BLE001 (no stack, nothing to empty)
            print(f"no {logical_id} to empty ({type(e).__name__})")
            continue
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            objects = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if objects:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
        print(f"emptied s3://{bucket}")
    return 0


def check_removed() -> int:
    client = _clients()
    from botocore.exceptions import ClientError

    try:
        client("cloudformation").describe_stacks(StackName=stack_name())
    except ClientError:
        print(f"  ✓ stack {stack_name()} is gone")
    else:
        print(f"  ✗ stack {stack_name()} still exists", file=sys.stderr)
        return 1
    leftovers = {
        "tables": client("dynamodb").list_tables()["TableNames"],
        "functions": [f["FunctionName"] for f in client("lambda").list_functions()["Functions"]],
        "APIs": [a["name"] for a in client("apigateway").get_rest_apis()["items"]],
        "model buckets": [
            b["Name"] for b in client("s3").list_buckets()["Buckets"] if "modelbucket" in b["Name"].lower()
        ],
        "queues": client("sqs").list_queues().get("QueueUrls", []),
        "roles": [r["RoleName"] for r in client("iam").list_roles()["Roles"]],
    }
    mine = {
        kind: [n for n in names if SERVICE in n or "modelbucket" in n.lower()]
        for kind, names in leftovers.items()
    }
    for kind, names in mine.items():
        print(f"  {'✗' if names else '✓'} {kind}: {', '.join(names) or 'none left'}")
    return 1 if any(mine.values()) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["report", "after-deploy", "before-remove", "check-removed"])
    parser.add_argument("dir", nargs="?", type=Path, default=PACKAGE_DIR)
    args = parser.parse_args(argv)
    if args.command == "report":
        return report(args.dir)
    return {"after-deploy": after_deploy, "before-remove": before_remove, "check-removed": check_removed}[
        args.command
    ]()


if __name__ == "__main__":
    sys.exit(main())

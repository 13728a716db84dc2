"""Local AWS for the workshop: a real moto server (S3, DynamoDB, SQS over HTTP) on localhost,
with the DynamoDB tables that serverless.yml declares, and SmartCat's queues (with their
dead-letter queues) and documents bucket (with its notification to the split queue), also as
serverless.yml declares them.

The app needs no change to use it: boto3 honours AWS_ENDPOINT_URL, which `env()` sets.

    python -m workshop.local_aws [--port 4566]   # run one until Ctrl-C
"""

import argparse
import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .serverless_config import SERVERLESS_YML, read_serverless_yml, self_reference, stage_name

REGION = "eu-central-1"


def exit_on_sigterm() -> None:
    """Turn SIGTERM (`kill`, `timeout`, CI) into SystemExit, so that `with` blocks stop the
    servers they started instead of leaving them running."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(endpoint: str) -> dict[str, str]:
    """Environment for boto3 to talk to the local server. The credentials are dummies: moto
    accepts any, and setting them keeps boto3 from looking for real ones."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "workshop",
        "AWS_SECRET_ACCESS_KEY": "workshop",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def wait_for_http(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (our own localhost URL)
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def stop_process(process: subprocess.Popen | None, timeout: float = 10.0, group: bool = False) -> None:
    """Ask a child to stop (SIGTERM; SIGINT to its whole process group if `group`, as Ctrl-C
    would), and kill it if it has not stopped within `timeout` seconds."""
    import signal

    if process is None or process.poll() is not None:
        return
    send = (lambda sig: os.killpg(process.pid, sig)) if group else process.send_signal
    send(signal.SIGINT if group else signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait()


class Service:
    """A context manager for something with start() and stop()."""

    def start(self):
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class MotoServer(Service):
    """A moto server in a child process on 127.0.0.1:port. Use as a context manager or
    start()/stop(). It is a separate program speaking the AWS wire protocols, not a mock."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "MotoServer":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workshop.moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_http(f"{self.endpoint}/moto-api/", process=self.process)
        return self

    def stop(self) -> None:
        stop_process(self.process)


def declared_tables(path: Path = SERVERLESS_YML) -> dict[str, dict]:
    """The DynamoDB tables under serverless.yml's resources, keyed by the setting that names them
    (`TableName: ${self:custom.names.CARS_TABLE}`), each as create_table() keyword arguments
    without the name (locally, the settings choose it)."""
    doc = read_serverless_yml(path)
    tables = {}
    for resource in doc["resources"]["Resources"].values():
        if resource["Type"] == "AWS::DynamoDB::Table":
            props = dict(resource["Properties"])
            variable = props.pop("TableName").removeprefix("${self:custom.names.")
            tables[variable.removesuffix("}")] = props
    return tables


def stage_table_names(stage: str, path: Path = SERVERLESS_YML) -> dict[str, str]:
    """The table names serverless.yml gives a stage."""
    doc = read_serverless_yml(path)
    return {
        variable: stage_name(doc, doc["custom"]["names"][variable], stage)
        for variable in declared_tables(path)
    }


def _client(service: str, endpoint: str):
    import boto3

    local = env(endpoint)
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=local["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=local["AWS_SECRET_ACCESS_KEY"],
    )


def create_tables(names: dict[str, str], endpoint: str) -> None:
    """Create each declared table named in `names` (env variable -> table name) unless it
    exists. A TimeToLiveSpecification is applied after creation, as CloudFormation does."""
    client = _client("dynamodb", endpoint)
    existing = set(client.list_tables()["TableNames"])
    for variable, props in declared_tables().items():
        if variable in names and names[variable] not in existing:
            props = dict(props)
            ttl = props.pop("TimeToLiveSpecification", None)
            client.create_table(TableName=names[variable], **props)
            if ttl:
                client.update_time_to_live(TableName=names[variable], TimeToLiveSpecification=ttl)


# -- SmartCat: queues, bucket and the functions they trigger, from serverless.yml ------------


def _getatt_resource(value: dict) -> str:
    """The logical id in {"Fn::GetAtt": "X.Arn"} (the short !GetAtt form) or ["X", "Arn"]."""
    target = value["Fn::GetAtt"]
    return target.split(".")[0] if isinstance(target, str) else target[0]


def declared_queues(path: Path = SERVERLESS_YML) -> dict[str, dict]:
    """The SQS queues under serverless.yml's resources: logical id -> their Properties, with
    `${self:...}` resolved. A RedrivePolicy names its dead-letter queue by {"Fn::GetAtt"}."""
    doc = read_serverless_yml(path)
    queues = {}
    for name, resource in doc["resources"]["Resources"].items():
        if resource["Type"] == "AWS::SQS::Queue":
            props = dict(resource.get("Properties", {}))
            if "RedrivePolicy" in props:
                props["RedrivePolicy"] = {
                    k: self_reference(doc, v) for k, v in props["RedrivePolicy"].items()
                }
            queues[name] = props
    return queues


def create_queues(prefix: str, endpoint: str, visibility_timeout: int | None = None) -> dict[str, str]:
    """Create every declared queue as `<prefix>-<LogicalId>` (dead-letter queues first, so the
    redrive policies can name them); logical id -> queue URL. `visibility_timeout` overrides
    the declared ones (the fault tests wait for redeliveries)."""
    import json

    sqs = _client("sqs", endpoint)
    queues = declared_queues()
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}

    def create(name: str) -> None:
        props = queues[name]
        attributes = {
            k: str(v)
            for k, v in props.items()
            if k
            in (
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "DelaySeconds",
                "ReceiveMessageWaitTimeSeconds",
                "MaximumMessageSize",
            )
        }
        if visibility_timeout is not None:
            attributes["VisibilityTimeout"] = str(visibility_timeout)
        redrive = props.get("RedrivePolicy")
        if redrive:
            dead_letter = _getatt_resource(redrive["deadLetterTargetArn"])
            if dead_letter not in arns:
                create(dead_letter)
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arns[dead_letter], "maxReceiveCount": int(redrive["maxReceiveCount"])}
            )
        url = sqs.create_queue(QueueName=f"{prefix}-{name}", Attributes=attributes)["QueueUrl"]
        urls[name] = url
        arns[name] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    for name in queues:
        if name not in urls:
            create(name)
    return urls


def _documents_bucket(path: Path = SERVERLESS_YML) -> dict:
    return read_serverless_yml(path)["resources"]["Resources"]["DocumentsBucket"]["Properties"]


def create_documents_bucket(name: str, queue_arns: dict[str, str], endpoint: str) -> None:
    """The documents bucket with serverless.yml's lifecycle, CORS and notifications (each
    queue named by its logical id in `queue_arns`), unless it exists."""
    s3 = _client("s3", endpoint)
    if name in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        return
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    props = _documents_bucket()
    s3.put_bucket_lifecycle_configuration(
        Bucket=name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": rule["Id"],
                    "Status": rule["Status"],
                    "Filter": {"Prefix": rule["Prefix"]},
                    "Expiration": {"Days": rule["ExpirationInDays"]},
                }
                for rule in props["LifecycleConfiguration"]["Rules"]
            ]
        },
    )
    # CloudFormation's CORS rule keys differ from the API's in one name.
    s3.put_bucket_cors(
        Bucket=name,
        CORSConfiguration={
            "CORSRules": [
                {("MaxAgeSeconds" if k == "MaxAge" else k): v for k, v in rule.items()}
                for rule in props["CorsConfiguration"]["CorsRules"]
            ]
        },
    )
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arns[_getatt_resource(q["Queue"])],
                    "Events": [q["Event"]],
                    "Filter": {"Key": {"FilterRules": q["Filter"]["S3Key"]["Rules"]}},
                }
                for q in props["NotificationConfiguration"]["QueueConfigurations"]
            ]
        },
    )


#: Which queue URL each setting holds (the functions' `!Ref <Queue>` environment variables).
QUEUE_SETTINGS = {
    "SPLIT_QUEUE_URL": "SplitQueue",
    "PAGES_QUEUE_URL": "PagesQueue",
    "AGGREGATE_QUEUE_URL": "AggregateQueue",
}


def create_pipeline(
    endpoint: str, bucket: str, prefix: str = "workshop", visibility_timeout: int | None = None
) -> dict[str, str]:
    """SmartCat's queues and documents bucket in local AWS. Returns the environment the app,
    the handlers and the worker need: DOCUMENTS_BUCKET and each queue's URL (QUEUE_SETTINGS;
    the dead-letter queues as <LogicalId>_URL too, for the tests and lesson 10)."""
    urls = create_queues(prefix, endpoint, visibility_timeout)
    sqs = _client("sqs", endpoint)
    arns = {
        name: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for name, url in urls.items()
    }
    create_documents_bucket(bucket, arns, endpoint)
    return {
        "DOCUMENTS_BUCKET": bucket,
        **{setting: urls[name] for setting, name in QUEUE_SETTINGS.items()},
        **{f"{name}_URL": url for name, url in urls.items()},
    }


def pipeline_functions(path: Path = SERVERLESS_YML) -> dict[str, dict]:
    """The functions an SQS queue triggers: name -> {"handler": "module.function", "queue":
    logical id, "batch_size", "timeout"} (what Lambda's event source mappings would do)."""
    doc = read_serverless_yml(path)
    default_timeout = doc["provider"].get("timeout", 6)
    functions = {}
    for name, function in doc["functions"].items():
        for event in function.get("events", []):
            if "sqs" in event:
                module, _, attribute = function["handler"].rpartition(".")
                functions[name] = {
                    "handler": f"{module.replace('/', '.')}.{attribute}",
                    "queue": _getatt_resource(event["sqs"]["arn"]),
                    "batch_size": int(event["sqs"].get("batchSize", 10)),
                    "timeout": function.get("timeout", default_timeout),
                }
    return functions


def pipeline_routes(environ=os.environ) -> list:
    """Worker routes for serverless.yml's SQS functions, calling their real handlers; queue
    URLs from `environ` (as create_pipeline() returned them)."""
    import importlib

    from workshop.worker import Route

    routes = []
    for name, function in pipeline_functions().items():
        module, _, attribute = function["handler"].rpartition(".")
        handler = getattr(importlib.import_module(module), attribute)
        routes.append(
            Route(
                name,
                environ[f"{function['queue']}_URL"],
                handler,
                function["batch_size"],
                function["timeout"],
            )
        )
    return routes


def table_names(environ=os.environ) -> dict[str, str]:
    from workshop_app.settings import from_env

    settings = from_env(environ)
    return {variable: settings[variable] for variable in declared_tables()}


def ensure_local_aws(port: int | None = None) -> str:
    """Make sure local AWS is reachable and its tables exist; return the endpoint URL.

    If AWS_ENDPOINT_URL is already set (by `make lab` or `make serve`), use that server.
    Otherwise start a moto server for the life of this Python process and point this
    process's environment at it. Safe to call again.
    """
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        server = MotoServer(port).start()
        atexit.register(server.stop)
        endpoint = server.endpoint
    os.environ.update(env(endpoint))
    create_tables(table_names(), endpoint)
    return endpoint


def ensure_pipeline(port: int | None = None) -> dict[str, str]:
    """ensure_local_aws(), plus SmartCat's queues and bucket; their settings are put into this
    process's environment (for the app and the handlers) and returned. Safe to call again."""
    from workshop_app.settings import from_env

    endpoint = ensure_local_aws(port)
    pipeline_env = create_pipeline(endpoint, from_env()["DOCUMENTS_BUCKET"])
    os.environ.update(pipeline_env)
    return pipeline_env


def reset(endpoint: str) -> dict[str, str]:
    """Empty local AWS (moto's reset: every table, bucket, queue and stack goes) and make the
    tables, queues and bucket of `make serve` again, empty, under the same names (the running
    API and worker keep their URLs). Returns the pipeline's settings."""
    from workshop_app.settings import from_env

    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 (local AWS)
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass
    create_tables(table_names(), endpoint)
    return create_pipeline(endpoint, from_env()["DOCUMENTS_BUCKET"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run local AWS (moto) until Ctrl-C.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MOTO_PORT", 4566)))
    parser.add_argument(
        "--ping", action="store_true", help="only check that AWS_ENDPOINT_URL answers; exit 1 if not"
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="empty the local AWS at AWS_ENDPOINT_URL and make its resources again",
    )
    args = parser.parse_args(argv)
    if args.reset:
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        reset(endpoint)
        print(f"local AWS at {endpoint} is empty again: its tables, queues and bucket are new")
        return 0
    if args.ping:
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        try:
            wait_for_http(f"{endpoint}/moto-api/", timeout=2)
        except (TimeoutError, ValueError):
            print(
                f"no local AWS at {endpoint or '(AWS_ENDPOINT_URL unset)'}: start it first with "
                "`make local-aws` (or `make serve`) in another terminal",
                file=sys.stderr,
            )
            return 1
        return 0
    exit_on_sigterm()
    with MotoServer(args.port) as server:
        create_tables(table_names(), server.endpoint)
        from workshop_app.settings import from_env

        create_pipeline(server.endpoint, from_env()["DOCUMENTS_BUCKET"])
        print(f"local AWS on {server.endpoint} (Ctrl-C to stop)", flush=True)
        try:
            server.process.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

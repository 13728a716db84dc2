"""Local AWS for the workshop: a real moto server (S3, DynamoDB, SQS over HTTP) on localhost,
with the DynamoDB tables that serverless.yml declares.

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

import yaml

from . import ROOT

SERVERLESS_YML = ROOT / "serverless.yml"
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
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "workshop",
            "AWS_SECRET_ACCESS_KEY": "workshop", "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION}


def wait_for_http(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before "
                               f"{url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (our own localhost URL)
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def stop_process(process: subprocess.Popen | None, timeout: float = 10.0,
                 group: bool = False) -> None:
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
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_http(f"{self.endpoint}/moto-api/", process=self.process)
        return self

    def stop(self) -> None:
        stop_process(self.process)


class _CfnLoader(yaml.SafeLoader):
    """Reads serverless.yml, turning CloudFormation tags into their JSON form (!Ref X -> {"Ref": X})."""


def _cfn_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def read_serverless_yml(path: Path = SERVERLESS_YML) -> dict:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 (a SafeLoader subclass)


def declared_tables(path: Path = SERVERLESS_YML) -> dict[str, dict]:
    """The DynamoDB tables under serverless.yml's resources, keyed by the provider environment
    variable that names them (`TableName: ${self:provider.environment.CARS_TABLE}`), each as
    create_table() keyword arguments without the name (locally, the settings choose it)."""
    doc = read_serverless_yml(path)
    tables = {}
    for resource in doc["resources"]["Resources"].values():
        if resource["Type"] == "AWS::DynamoDB::Table":
            props = dict(resource["Properties"])
            variable = props.pop("TableName").removeprefix("${self:provider.environment.")
            tables[variable.removesuffix("}")] = props
    return tables


def stage_table_names(stage: str, path: Path = SERVERLESS_YML) -> dict[str, str]:
    """The table names serverless.yml gives a stage (the two variables it uses, resolved)."""
    doc = read_serverless_yml(path)
    environment = doc["provider"]["environment"]
    return {variable: environment[variable].replace("${self:service}", doc["service"])
            .replace("${sls:stage}", stage) for variable in declared_tables(path)}


def create_tables(names: dict[str, str], endpoint: str) -> None:
    """Create each declared table (names: env variable -> table name) unless it exists."""
    import boto3

    local = env(endpoint)
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id=local["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=local["AWS_SECRET_ACCESS_KEY"])
    existing = set(client.list_tables()["TableNames"])
    for variable, props in declared_tables().items():
        if names[variable] not in existing:
            client.create_table(TableName=names[variable], **props)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run local AWS (moto) until Ctrl-C.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MOTO_PORT", 4566)))
    parser.add_argument("--ping", action="store_true",
                        help="only check that AWS_ENDPOINT_URL answers; exit 1 if not")
    args = parser.parse_args(argv)
    if args.ping:
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        try:
            wait_for_http(f"{endpoint}/moto-api/", timeout=2)
        except (TimeoutError, ValueError):
            print(f"no local AWS at {endpoint or '(AWS_ENDPOINT_URL unset)'}: start it first with "
                  "`make local-aws` (or `make serve`) in another terminal", file=sys.stderr)
            return 1
        return 0
    exit_on_sigterm()
    with MotoServer(args.port) as server:
        create_tables(table_names(), server.endpoint)
        print(f"local AWS on {server.endpoint} (Ctrl-C to stop)", flush=True)
        try:
            server.process.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

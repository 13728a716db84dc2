"""The local stack as people start it: `make demo` (the tour) and `make serve` (until Ctrl-C)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from workshop import ROOT
from workshop.local_aws import (
    MotoServer,
    declared_tables,
    ensure_local_aws,
    env,
    free_port,
    reset,
    wait_for_http,
)


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def path_without(tmp_path, *programs: str) -> str:
    """A PATH with every program of /usr/bin and /bin but `programs` (as on a laptop that never
    installed them), the venv's bin first."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for directory in ("/usr/bin", "/bin"):
        for program in os.scandir(directory):
            if not program.name.startswith(programs) and not (bin_dir / program.name).exists():
                (bin_dir / program.name).symlink_to(program.path)
    path = f"{Path(sys.executable).parent}{os.pathsep}{bin_dir}"
    assert all(shutil.which(p, path=path) is None for p in programs)
    return path


def test_demo_tours_the_api_and_cleans_up(tmp_path):
    """`make demo` on a laptop without tesseract or chromium: OCR comes from wheels, and only the
    browser tests need a browser."""
    port, moto_port = free_port(), free_port()
    result = subprocess.run(
        [sys.executable, "-m", "workshop.demo", "--port", str(port), "--moto-port", str(moto_port)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": path_without(tmp_path, "tesseract", "chromium", "google-chrome")},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for expected in (
        "POST /cars",
        "201 Created",
        "Location: /cars/",
        "200 OK",
        "PUT /cars/",
        "422 Unprocessable",
        "unknown field 'cylinder'",
        "204 No Content",
        "404 Not Found",
        "The tour went as expected.",
    ):
        assert expected in out
    assert "✗" not in out
    assert port_is_free(port) and port_is_free(moto_port)


def test_serve_runs_until_interrupted():
    port, moto_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "workshop.stack", "serve"],
        cwd=ROOT,
        env={**os.environ, "PORT": str(port), "MOTO_PORT": str(moto_port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", timeout=60, process=process)
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=30).json()["status"] == "ok"
        assert requests.get(f"http://127.0.0.1:{moto_port}/moto-api/", timeout=5).ok
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "stopping the local stack" in output
    assert port_is_free(port) and port_is_free(moto_port)


def test_lab_serves_jupyterlab_with_the_stack_running():
    port, moto_port, lab_port = free_port(), free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workshop.stack",
            "lab",
            "--port",
            str(port),
            "--moto-port",
            str(moto_port),
            "--lab-port",
            str(lab_port),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{lab_port}/api", timeout=90, process=process)
        assert "version" in requests.get(f"http://127.0.0.1:{lab_port}/api", timeout=10).json()
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=30).json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert "stopping the local stack" in output
    assert port_is_free(port) and port_is_free(moto_port) and port_is_free(lab_port)


def test_tables_come_from_serverless_yml():
    tables = declared_tables()
    assert list(tables) == ["CARS_TABLE", "JOBS_TABLE"]
    assert tables["CARS_TABLE"]["KeySchema"] == [{"AttributeName": "carid", "KeyType": "HASH"}]
    assert tables["JOBS_TABLE"]["KeySchema"] == [
        {"AttributeName": "job_id", "KeyType": "HASH"},
        {"AttributeName": "item", "KeyType": "RANGE"},
    ]


def test_ensure_local_aws_reuses_a_running_server(aws_env, monkeypatch):
    monkeypatch.setenv("CARS_TABLE", "ensure-test")
    assert ensure_local_aws() == aws_env
    assert ensure_local_aws() == aws_env  # idempotent: the table already exists
    import boto3

    assert "ensure-test" in boto3.client("dynamodb").list_tables()["TableNames"]


def test_reset_empties_local_aws_and_makes_its_resources_again(monkeypatch):
    """`make reset`, between exercises: the cars, jobs, files and messages are gone; the tables,
    queues and bucket are there again, under the same names."""
    import boto3

    with MotoServer(free_port()) as moto:
        for key, value in env(moto.endpoint).items():
            monkeypatch.setenv(key, value)
        before = reset(moto.endpoint)
        dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
        [table] = [t for t in dynamodb.list_tables()["TableNames"] if t.endswith("cars")]
        dynamodb.put_item(TableName=table, Item={"carid": {"S": "0" * 32}})
        sqs.send_message(QueueUrl=before["PAGES_QUEUE_URL"], MessageBody="{}")
        after = reset(moto.endpoint)
        assert after == before  # the same queues, by URL: a running worker keeps polling them
        assert dynamodb.scan(TableName=table)["Count"] == 0
        attributes = sqs.get_queue_attributes(QueueUrl=after["PAGES_QUEUE_URL"], AttributeNames=["All"])
        assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"

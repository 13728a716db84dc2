"""Faults under load: local AWS (the moto server) paused and resumed, or stopped and restarted,
while clients keep sending requests to the local stack over HTTP. While it is away the API
answers 503 storage_unavailable, quickly enough to beat Lambda's timeout; afterwards it answers
2xx again; and no record is corrupt.

A model that fails its hash is tested in tests/unit/test_model_store.py (refused before loading,
503 model_unavailable, recovery); here the digest pinned through the environment, as Lambda's
MODEL_SHA256 is set, is checked through the app as well.
"""

import json
import os
import shutil
import signal
import threading
import time
from collections import Counter
from typing import NamedTuple

import boto3
import pytest
import requests
from jsonschema import Draft202012Validator

from workshop.local_aws import create_tables, free_port, table_names
from workshop.serverless_config import read_serverless_yml
from workshop.stack import LocalStack
from workshop_app import aws, cars_table, create_app
from workshop_app.artifacts import MANIFEST, sha256_hex
from workshop_app.car_schema import example_car
from workshop_app.openapi import document

CLIENTS = 4


@pytest.fixture(scope="module")
def stack(model_dir):
    with LocalStack(free_port(), free_port(), model_dir=model_dir, quiet=True) as stack:
        yield stack


def table(stack):
    return boto3.resource(
        "dynamodb",
        endpoint_url=stack.moto.endpoint,
        region_name="eu-central-1",
        aws_access_key_id="workshop",
        aws_secret_access_key="workshop",
    ).Table(table_names(stack.env)["CARS_TABLE"])


class Answer(NamedTuple):
    method: str
    status: int
    body: dict
    sent: dict | None  # the car, for a POST
    seconds: float


class Clients:
    """CLIENTS threads creating cars (and reading each back) until stopped; every answer kept."""

    def __init__(self, url: str):
        self.url, self.answers, self.stopping = url, [], threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(CLIENTS)]

    def _run(self, i: int) -> None:
        n = 0
        while not self.stopping.is_set():
            car = {**example_car(), "name": f"client {i} car {n}", "weight": 2000 + n}
            n += 1
            started = time.monotonic()
            created = requests.post(f"{self.url}/cars", json=car, timeout=30)
            self.answers.append(
                Answer("POST", created.status_code, created.json(), car, time.monotonic() - started)
            )
            if created.status_code == 201:
                read = requests.get(f"{self.url}{created.headers['Location']}", timeout=30)
                self.answers.append(Answer("GET", read.status_code, read.json(), None, 0))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def count(self, status: int, since: int = 0) -> int:
        return sum(a.status == status for a in self.answers[since:])


def wait_until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


CAR_SCHEMA = Draft202012Validator(
    {"$ref": "#/components/schemas/Car", "components": document()["components"]}
)


def assert_intact(stack, answers) -> set[str]:
    """Every car the API said it created (201) is stored with exactly the data it answered,
    and every stored item is a whole car. Returns the stored carids."""
    cars = table(stack)
    items = boto3.client(
        "dynamodb",
        endpoint_url=stack.moto.endpoint,
        region_name="eu-central-1",
        aws_access_key_id="workshop",
        aws_secret_access_key="workshop",
    ).scan(TableName=cars.name)["Items"]  # as stored
    stored = {item["carid"]["S"]: cars_table._from_item(item) for item in items}
    for car in stored.values():
        assert not list(CAR_SCHEMA.iter_errors(car)), car  # whole: every field, valid
    for a in answers:
        if a.method == "POST" and a.status == 201:
            assert stored[a.body["carid"]] == a.body
            assert {k: a.body[k] for k in a.sent} == a.sent
    return set(stored)


def test_paused_local_aws_is_503_then_recovers_with_every_record_intact(stack):
    """SIGSTOP keeps moto's state: what was written before or after is still there."""
    with Clients(stack.url) as clients:
        wait_until(lambda: clients.count(201) >= 8)
        os.kill(stack.moto.process.pid, signal.SIGSTOP)
        paused = len(clients.answers)
        try:
            wait_until(lambda: clients.count(503, since=paused) >= CLIENTS)
            health = requests.get(f"{stack.url}/health", timeout=30)
        finally:
            os.kill(stack.moto.process.pid, signal.SIGCONT)
        resumed = len(clients.answers)
        wait_until(lambda: clients.count(201, since=resumed) >= 8)
    answers = clients.answers
    assert health.status_code == 503 and health.json()["checks"]["storage"] == "unavailable"
    statuses = Counter((a.method, a.status) for a in answers)
    assert set(statuses) <= {("POST", 201), ("POST", 503), ("GET", 200), ("GET", 503)}, statuses
    failures = [a for a in answers if a.status == 503]
    for a in failures:
        assert a.body["error"] == "storage_unavailable"
        assert "cannot reach DynamoDB" in a.body["message"]
        assert a.seconds < 10  # answered before Lambda's timeout would have cut it off
    stored = assert_intact(stack, answers)
    # A create that timed out may still have been applied when moto woke up (the request was in
    # its socket): such a car is whole, and there are no more of them than 503s on POST.
    orphans = stored - {a.body["carid"] for a in answers if a.status == 201}
    assert len(orphans) <= sum(a.method == "POST" for a in failures)
    assert requests.get(f"{stack.url}/health", timeout=30).status_code == 200


def test_stopped_and_restarted_local_aws(stack):
    """A crashed moto loses everything: while it is down, 503 at once (connection refused);
    restarted without the table, 503 naming the table; with the table, 2xx and nothing half
    written."""
    with Clients(stack.url) as clients:
        wait_until(lambda: clients.count(201) >= 4)
        # Killed, as a crashed server is: stopped with SIGTERM, moto's request threads (daemon
        # threads) go on answering while its interpreter tears down its state, and a read of an
        # existing car can come back empty (a 404 in one CI run): moto's shutdown, not the API.
        stack.moto.process.kill()
        stack.moto.process.wait()
        down = len(clients.answers)
        wait_until(lambda: clients.count(503, since=down) >= CLIENTS)
        stack.moto.start()  # same port, empty
        restarted = len(clients.answers)
        wait_until(lambda: clients.count(503, since=restarted) >= CLIENTS)
        create_tables(table_names(stack.env), stack.moto.endpoint)  # as `make serve` does
        recreated = len(clients.answers)
        wait_until(lambda: clients.count(201, since=recreated) >= 8)
    down_answers = [a for a in clients.answers[down:restarted] if a.status == 503]
    assert all("cannot reach DynamoDB" in a.body["message"] and a.seconds < 10 for a in down_answers)
    no_table = [a for a in clients.answers[restarted:recreated] if a.status == 503]
    assert any("does not exist" in a.body["message"] for a in no_table)
    statuses = {a.status for a in clients.answers}
    assert statuses <= {200, 201, 404, 503}, statuses
    # A car created in the first moto and read back from the restarted, empty one is gone:
    # 404 then, and only then.
    lost = [i for i, a in enumerate(clients.answers) if a.status == 404]
    assert all(clients.answers[i].method == "GET" and i >= restarted for i in lost), (
        down,
        restarted,
        recreated,
        [(i, clients.answers[i]) for i in lost],
    )
    after = clients.answers[recreated:]
    stored = assert_intact(stack, after)
    assert {a.body["carid"] for a in after if a.status == 201} <= stored
    assert requests.get(f"{stack.url}/health", timeout=30).status_code == 200


def test_a_hung_table_is_given_up_on_before_lambdas_timeout(aws_env):
    """The storage client's worst case: every attempt connects slowly and reads nothing, with
    the largest backoff standard mode takes between attempts (1 s)."""
    function_timeout = read_serverless_yml()["provider"]["timeout"]
    limits = aws.LIMITS["dynamodb"]
    worst = limits.attempts * (limits.connect + limits.read) + (limits.attempts - 1) * 1
    assert worst < function_timeout
    config = aws.client("dynamodb").meta.config  # what every table's client is made with
    assert config.connect_timeout == limits.connect
    assert config.read_timeout == limits.read
    assert config.retries["total_max_attempts"] == limits.attempts


def test_model_pinned_by_the_environment_is_enforced(model_dir, tmp_path, monkeypatch, aws_env):
    """A model and manifest swapped together pass the manifest's check; the digest Lambda gets
    in MODEL_SHA256 still refuses them."""
    swapped = shutil.copytree(model_dir, tmp_path / "model")
    model = json.loads((swapped / "model.json").read_text())
    model["swapped"] = True
    (swapped / "model.json").write_text(json.dumps(model))
    manifest = json.loads((swapped / MANIFEST).read_text())
    pinned = manifest["files"]["portable"]["sha256"]
    manifest["files"]["portable"]["sha256"] = sha256_hex((swapped / "model.json").read_bytes())
    (swapped / MANIFEST).write_text(json.dumps(manifest))
    monkeypatch.setenv("MODEL_URI", str(swapped))
    monkeypatch.setenv("MODEL_SHA256", pinned)
    client = create_app({"TESTING": True, "FEATURES": "cars"}).test_client()
    response = client.post("/predict", json=example_car())
    assert response.status_code == 503
    assert response.get_json()["error"] == "model_unavailable"
    assert "does not match MODEL_SHA256" in response.get_json()["message"]
    assert client.get("/health").get_json()["checks"]["model"] == "unavailable"

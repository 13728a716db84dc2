"""Schemathesis against the car API served over real HTTP by the local stack, as `make fuzz`
runs it but smaller: every check it has, on every car route of /openapi.json, and the run must
really have sent the requests it was asked for. (`make fuzz` sends over 1000, SmartCat's routes
included.)"""

import pytest

from workshop.fuzz import fetch_document, operations, run
from workshop.local_aws import free_port
from workshop.stack import LocalStack

CAR_API = r"^/(cars(/\{carid\})?|predict|health|openapi\.json)?$"
REQUESTS = 250


@pytest.fixture(scope="module")
def stack(model_dir):
    with LocalStack(free_port(), free_port(), model_dir=model_dir, quiet=True) as stack:
        yield stack


def test_car_api_survives_schemathesis(stack, tmp_path):
    result = run(stack.url, REQUESTS, seed=7, workdir=tmp_path, include=CAR_API)
    assert result.passed, result.output
    documented = [f"{m} {p}" for m, p in operations(fetch_document(stack.url), CAR_API)]
    print(result.summary(documented))  # shown with pytest -s
    assert len(documented) == 9  # GET /, /health, /openapi.json, POST /predict, cars: 5
    assert {op: result.per_operation[op] for op in documented if not result.per_operation[op]} == {}
    assert result.requests >= REQUESTS
    assert result.requests == result.generated  # every generated case was sent and recorded
    assert not any(500 <= status for status in result.statuses)
    assert {200, 201, 204, 400, 404, 405, 422} <= set(result.statuses)  # it reached every path


def test_stateful_sequences_follow_the_links_from_a_created_car(stack, tmp_path):
    """The stateful phase: create a car, then follow POST /cars's links to read, replace and
    delete it; schemathesis checks that a deleted car is gone (use_after_free)."""
    result = run(stack.url, 20, seed=11, workdir=tmp_path, include=CAR_API, sequences=30)
    assert result.passed, result.output
    assert result.scenarios >= 30
    covered = int(result.links.split()[0])
    assert covered >= 3, result.links  # getCar, replaceCar, deleteCar at least

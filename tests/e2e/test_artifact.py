"""The packaged artifact, run as Lambda runs it: unpacked, in a fresh Python 3.12 that sees only
the artifact (no venv, no site-packages), fed saved API Gateway events (REST v1 and HTTP v2)."""

import json
import subprocess
import sys
import zipfile

import boto3
import pytest

from workshop import EVENTS_DIR, LAMBDA_RUNNER
from workshop.deploy import HEAVY, UNZIPPED_LIMIT, ZIPPED_LIMIT, package_sizes

EVENTS = EVENTS_DIR
RUNNER = LAMBDA_RUNNER
CARID = "5b1c0f8e2d4a4c6b9e7f1a2b3c4d5e6f"
# event name -> (status, check of the JSON body)
EXPECTED = {
    "list": (200, lambda body: CARID in [c["carid"] for c in body["cars"]]),
    "get": (200, lambda body: body["carid"] == CARID and body["name"] == "stored before"),
    "create": (201, lambda body: body["name"] == "datsun 510" and 20 < body["predicted_mpg"] < 35),
    "predict": (200, lambda body: 20 < body["predicted_mpg"] < 35),
    "bad_body": (400, lambda body: body["error"] == "invalid_json" and "NaN" in body["message"]),
    "unknown_route": (404, lambda body: body["error"] == "not_found"),
    "root_offline": (200, lambda body: body["links"]["cars"] == "/dev/cars"),  # stage-aware
}


def headers(response: dict) -> dict[str, str]:
    """Response headers, lower-cased: REST v1 answers with multiValueHeaders when the event had
    them, HTTP v2 with headers."""
    if "multiValueHeaders" in response:
        return {k.lower(): v[-1] for k, v in response["multiValueHeaders"].items()}
    return {k.lower(): v for k, v in response["headers"].items()}


@pytest.fixture(scope="module")
def unpacked(packaged, tmp_path_factory):
    target = tmp_path_factory.mktemp("var-task")
    with zipfile.ZipFile(packaged.zip) as archive:
        archive.extractall(target)
    return target


@pytest.fixture(scope="module")
def runs(unpacked, packaged, aws_env):
    """Every saved event through the packaged handler in one cold interpreter."""
    table = "artifact-cars"
    from workshop.local_aws import create_tables

    create_tables({"CARS_TABLE": table}, aws_env)
    car = {
        "carid": CARID,
        "name": "stored before",
        "cylinders": 4,
        "displacement": 97,
        "horsepower": 88,
        "weight": 2130,
        "acceleration": 14.5,
        "year": 1971,
        "origin": "Japan",
        "predicted_mpg": 27,
        "model_id": "x",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
    }
    boto3.resource("dynamodb").Table(table).put_item(Item=json.loads(json.dumps(car), parse_float=str))
    # CloudFormation references (DOCUMENTS_BUCKET: {"Ref": ...}) only resolve in AWS.
    environment = {
        **{k: v for k, v in packaged.function_environment.items() if isinstance(v, str)},
        "CARS_TABLE": table,
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        **{k: v for k, v in __import__("os").environ.items() if k.startswith("AWS_")},
    }
    events = sorted(EVENTS.glob("*.json"))
    result = subprocess.run(
        [sys._base_executable, "-I", "-S", "-B", str(RUNNER), str(unpacked), *map(str, events)],
        cwd=unpacked,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    *lines, modules = [json.loads(line) for line in result.stdout.splitlines()]
    return {line["event"].removesuffix(".json"): line for line in lines}, modules["modules"]


def test_fits_lambdas_limits(packaged):
    zipped, unzipped, per_top = package_sizes(packaged.zip)
    assert zipped <= ZIPPED_LIMIT and unzipped <= UNZIPPED_LIMIT
    assert not set(per_top) & set(HEAVY)


def test_holds_the_app_the_model_and_nothing_of_the_workshop(packaged):
    names = set(zipfile.ZipFile(packaged.zip).namelist())
    assert {
        "wsgi_handler.py",
        "serverless_wsgi.py",
        "workshop_app/__init__.py",
        "models/cars/manifest.json",
        "models/cars/model.json",
    } <= names
    assert not [
        n
        for n in names
        if n.startswith(("workshop/", "tests/", "notebooks/", ".venv/", "node_modules/", "data/"))
    ]
    assert "models/cars/model.joblib" not in names  # no pickle on Lambda


@pytest.mark.parametrize("event", sorted(p.stem for p in EVENTS.glob("*.json")))
def test_handler_answers_each_event(runs, event):
    response = runs[0][event]["response"]
    status, check = EXPECTED[event.removeprefix("rest_v1_").removeprefix("http_v2_")]
    assert response["statusCode"] == status, response
    assert headers(response)["content-type"] == "application/json"
    assert check(json.loads(response["body"]))


def test_location_includes_the_stage(runs):
    v1 = headers(runs[0]["rest_v1_create"]["response"])["location"]
    v2 = headers(runs[0]["http_v2_create"]["response"])["location"]
    assert v1.startswith("/dev/cars/") and v2.startswith("/cars/")


def test_every_module_has_hash_checked_bytecode(packaged):
    """Lambda cannot write bytecode to /var/task; without valid .pyc each cold start compiles."""
    names = set(zipfile.ZipFile(packaged.zip).namelist())
    sources = [n for n in names if n.endswith(".py") and "/" in n]
    missing, stale_kind = [], []
    archive = zipfile.ZipFile(packaged.zip)
    for source in sources:
        folder, _, file = source.rpartition("/")
        pyc = f"{folder}/__pycache__/{file[:-3]}.cpython-312.pyc"
        if pyc not in names:
            missing.append(source)
        elif int.from_bytes(archive.read(pyc)[4:8], "little") != 0b11:  # hash-based, checked
            stale_kind.append(pyc)
    assert sources and not missing and not stale_kind, (missing[:5], stale_kind[:5])


def test_no_heavy_module_is_imported(runs):
    assert not set(runs[1]) & {"numpy", "scipy", "sklearn", "pandas", "joblib"}

"""The packaged artifacts, one per function, run as Lambda runs them: unpacked, in a fresh Python
3.12 that sees only the artifact (no venv, no site-packages). The API function answers saved API
Gateway events (REST v1 and HTTP v2); the page function reads a real scanned page with OCR from
wheels alone, no tesseract program anywhere on PATH."""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import boto3
import pytest
from helpers import pdfs

from workshop import EVENTS_DIR, LAMBDA_RUNNER
from workshop.deploy import HEAVY, UNZIPPED_LIMIT, ZIPPED_LIMIT, package_sizes
from workshop.serverless_config import read_serverless_yml
from workshop_app import aws

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
# What each function's artifact must hold, and must not (top-level entries of the zip).
HOLDS = {
    "api": ({"flask", "werkzeug", "boto3", "models", "wsgi_handler.py"}, {"pypdfium2", "tesserocr", "share"}),
    "jobs": ({"flask", "boto3", "pypdfium2", "wsgi_handler.py"}, {"tesserocr", "share", "models"}),
    "split": ({"boto3", "pypdfium2"}, {"flask", "werkzeug", "tesserocr", "models", "wsgi_handler.py"}),
    "page": ({"boto3", "pypdfium2", "tesserocr", "tesserocr.libs", "share", "models"}, {"flask", "werkzeug"}),
    "aggregate": ({"boto3"}, {"flask", "werkzeug", "pypdfium2", "tesserocr", "models", "wsgi_handler.py"}),
}


EMF_LINES: list[dict] = []


def headers(response: dict) -> dict[str, str]:
    """Response headers, lower-cased: REST v1 answers with multiValueHeaders when the event had
    them, HTTP v2 with headers."""
    if "multiValueHeaders" in response:
        return {k.lower(): v[-1] for k, v in response["multiValueHeaders"].items()}
    return {k.lower(): v for k, v in response["headers"].items()}


def unpack(zip_path, target):
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(target)
    return target


def run_cold(artifact, environment: dict, *arguments: str) -> list[dict]:
    """The runner in a bare interpreter on the unpacked artifact; its JSON lines (the function's
    EMF lines, which share its stdout as on Lambda, are in EMF_LINES)."""
    result = subprocess.run(
        [sys._base_executable, "-I", "-S", "-B", str(RUNNER), str(artifact), *arguments],
        cwd=artifact,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    EMF_LINES[:] = [line for line in lines if "_aws" in line]
    return [line for line in lines if "_aws" not in line]


@pytest.fixture(scope="module")
def unpacked(packaged, tmp_path_factory):
    return unpack(packaged.zip, tmp_path_factory.mktemp("var-task"))


@pytest.fixture(scope="module")
def runs(unpacked, packaged, aws_env):
    """Every saved event through the packaged API handler in one cold interpreter."""
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
    environment = {
        **packaged.function_environment("api"),
        "FEATURES": "cars",  # the index and the car API; the jobs table is not this test's
        "CARS_TABLE": table,
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        **{k: v for k, v in os.environ.items() if k.startswith("AWS_")},
    }
    *lines, modules = run_cold(unpacked, environment, *map(str, sorted(EVENTS.glob("*.json"))))
    return {line["event"].removesuffix(".json"): line for line in lines}, modules["modules"], list(EMF_LINES)


@pytest.mark.parametrize("function", sorted(HOLDS))
def test_each_function_has_an_artifact_within_lambdas_limits(packaged, function):
    zipped, unzipped, per_top = package_sizes(packaged.zips[function])
    assert zipped <= ZIPPED_LIMIT and unzipped <= UNZIPPED_LIMIT
    assert not set(per_top) & set(HEAVY)


@pytest.mark.parametrize("function", sorted(HOLDS))
def test_each_artifact_holds_what_its_function_imports_and_nothing_else(packaged, function):
    names = zipfile.ZipFile(packaged.zips[function]).namelist()
    tops = {n.split("/")[0] for n in names}
    holds, lacks = HOLDS[function]
    assert holds <= tops, holds - tops
    assert not lacks & tops, lacks & tops
    assert not [
        n for n in names if n.startswith(("workshop/", "tests/", "notebooks/", "node_modules/", "data/"))
    ]
    assert "models/cars/model.joblib" not in names  # no pickle on Lambda
    services = {n.split("/")[2] for n in names if n.startswith("botocore/data/") and n.count("/") > 2}
    assert services == set(aws.LIMITS), "botocore's models: those of the services the code calls"


def test_the_kept_botocore_models_are_the_services_the_code_calls():
    kept = read_serverless_yml()["custom"]["lambdaRequirements"]["botocoreData"]
    assert sorted(kept) == sorted(aws.LIMITS)


def test_the_page_function_ships_the_german_model_without_orientation_detection(packaged):
    names = set(zipfile.ZipFile(packaged.zips["page"]).namelist())
    assert "share/tessdata/deu.traineddata" in names and "share/tessdata/osd.traineddata" not in names
    assert {"models/documents/manifest.json", "models/documents/classifier.json"} <= names


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


@pytest.mark.parametrize("function", sorted(HOLDS))
def test_every_module_has_hash_checked_bytecode(packaged, function):
    """Lambda cannot write bytecode to /var/task; without valid .pyc each cold start compiles."""
    archive = zipfile.ZipFile(packaged.zips[function])
    names = set(archive.namelist())
    sources = [n for n in names if n.endswith(".py")]  # serverless-wsgi's handler at the root too
    missing, stale_kind = [], []
    for source in sources:
        folder, _, file = source.rpartition("/")
        pyc = f"{folder}/__pycache__/{file[:-3]}.cpython-312.pyc".removeprefix("/")
        if pyc not in names:
            missing.append(source)
        elif int.from_bytes(archive.read(pyc)[4:8], "little") != 0b11:  # hash-based, checked
            stale_kind.append(pyc)
    assert sources and not missing and not stale_kind, (missing[:5], stale_kind[:5])


def test_serving_the_car_api_loads_neither_pdfium_nor_anything_heavy(runs):
    assert not set(runs[1]) & {"numpy", "scipy", "sklearn", "pandas", "joblib", "pypdfium2", "tesserocr"}


def test_the_packaged_api_counts_its_predictions_in_embedded_metrics(runs):
    """Four events predict (create and predict, REST and HTTP API): four EMF lines of one each."""
    counted = [line["Predictions"] for line in runs[2] if "Predictions" in line]
    assert counted == [1, 1, 1, 1]
    assert {line["function"] for line in runs[2]} == {"local"}  # no AWS_LAMBDA_FUNCTION_NAME here


def test_the_packaged_page_function_reads_a_scanned_page_by_ocr_from_wheels(
    packaged, make_smartcat, tmp_path_factory
):
    """A real scanned page of the corpus generator, through the page handler of the unpacked page
    artifact, with PATH holding no tesseract: labelled right, and read by OCR."""
    config = make_smartcat()
    job_id = "0123456789abcdef0123456789abcdef"
    from helpers import smartcat_worker

    pipeline, worker = smartcat_worker(config)
    pipeline.jobs.create(job_id, source="body")
    assert pipeline.jobs.start(job_id, 1)
    pipeline.files.put_page(job_id, 1, pdfs.document("id_card", seed=3, scanned=True))
    pipeline.queues.send_pages(job_id, 1)
    records = worker.receive("page")
    assert len(records) == 1
    event = tmp_path_factory.mktemp("events") / "page.json"
    event.write_text(json.dumps({"Records": records}))
    empty = tmp_path_factory.mktemp("no-programs")
    assert shutil.which("tesseract", path=str(empty)) is None
    environment = {
        **{k: v for k, v in packaged.function_environment("page").items() if isinstance(v, str)},
        **{
            k: str(v)
            for k, v in config.items()
            if k in ("JOBS_TABLE", "DOCUMENTS_BUCKET", "AGGREGATE_QUEUE_URL")
        },
        "PAGES_QUEUE_URL": config["PAGES_QUEUE_URL"],
        "PATH": str(empty),
        "LANG": "C.UTF-8",
        **{k: v for k, v in os.environ.items() if k.startswith("AWS_")},
    }
    artifact = unpack(packaged.zips["page"], tmp_path_factory.mktemp("page-task"))
    line, modules = run_cold(
        artifact, environment, "--handler", "workshop_app/smartcat/handlers.page", str(event)
    )
    assert line["response"] == {"batchItemFailures": []}
    [page] = pipeline.jobs.pages(job_id)
    assert (page["label"], page["method"]) == ("id_card", "ocr"), page
    assert "tesserocr" in modules["modules"] and "flask" not in modules["modules"]

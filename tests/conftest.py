"""Fixtures: a real moto server (one per test session, on a free port), a freshly trained model,
a fresh DynamoDB table per test, and the app and its test client (flaskr style).

Every response the `client` fixture receives is checked against the app's OpenAPI document.
"""

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openapi_check import check_response

from workshop import ROOT
from workshop.lambda_builds import osls_lock
from workshop.local_aws import MotoServer, create_tables, env
from workshop.train_cars import train
from workshop_app import create_app
from workshop_app.car_schema import example_car


@pytest.fixture(scope="session")
def moto_endpoint():
    with MotoServer() as server:
        yield server.endpoint


@pytest.fixture(scope="session")
def aws_env(moto_endpoint):
    """Point boto3 at the session's moto server, as `make serve` does for the app."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env(moto_endpoint).items():
            mp.setenv(key, value)
        yield moto_endpoint


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A model trained by the same code as `make model`, in a temporary directory."""
    out = tmp_path_factory.mktemp("model")
    train(out)
    return out


@pytest.fixture
def table_name(aws_env):
    """A new, empty cars table, created from serverless.yml's declaration; dropped afterwards."""
    name = f"cars-{uuid.uuid4().hex[:8]}"
    create_tables({"CARS_TABLE": name}, aws_env)
    yield name
    import boto3

    boto3.client("dynamodb").delete_table(TableName=name)


class CheckedClient(FlaskClient):
    """A test client that fails the test when a response contradicts the OpenAPI document."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        check_response(response.request.method, response.request.path, response)
        return response


@pytest.fixture
def app(model_dir, table_name):
    app = create_app({"TESTING": True, "CARS_TABLE": table_name, "MODEL_URI": str(model_dir)})
    app.test_client_class = CheckedClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()


class Packaged:
    """What `sls package` wrote: the zip and the CloudFormation template."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.zip = directory / "serverless-ml-workshop.zip"
        self.template = json.loads((directory / "cloudformation-template-update-stack.json").read_text())

    @property
    def function_environment(self) -> dict[str, str]:
        function = self.template["Resources"]["ApiLambdaFunction"]["Properties"]
        return function["Environment"]["Variables"]


@pytest.fixture(scope="session")
def packaged(tmp_path_factory):
    """`sls package` (osls, as `make package` runs it) into a temporary directory, once per
    test run: the test processes (pytest-xdist) share the session's base directory."""
    base = tmp_path_factory.getbasetemp()  # .../pytest-N, or .../pytest-N/popen-gwK with xdist
    out = (base.parent if base.name.startswith("popen-gw") else base) / "sls-package"
    with osls_lock():
        if not (out / "complete").exists():
            shutil.rmtree(out, ignore_errors=True)
            venv_bin = Path(sys.executable).parent
            result = subprocess.run(
                [
                    str(ROOT / "node_modules" / ".bin" / "sls"),
                    "package",
                    "--stage",
                    "dev",
                    "--package",
                    str(out),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
                env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"},
            )
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            (out / "complete").touch()
    return Packaged(out)


def role_statements(template: dict) -> dict[str, list[dict]]:
    """The statements of each IAM role in a CloudFormation template, by the role's logical id."""
    return {
        name: [
            s
            for policy in role["Properties"].get("Policies", [])
            for s in policy["PolicyDocument"]["Statement"]
        ]
        for name, role in template["Resources"].items()
        if role["Type"] == "AWS::IAM::Role"
    }


@pytest.fixture
def car():
    """A valid request body: a 1971 Datsun 510."""
    return example_car()


def pytest_configure(config):
    # A stray real AWS profile must never be used by the tests.
    os.environ.pop("AWS_PROFILE", None)


# -- SmartCat: jobs table, documents bucket and queues, as serverless.yml declares them --------


def document_model_path() -> Path:
    """The page classifier: DOCUMENT_MODEL_URI as the app reads it, by default the one
    `make document-model` builds (models/documents)."""
    from workshop_app.settings import from_env

    return ROOT / from_env()["DOCUMENT_MODEL_URI"]


@pytest.fixture(scope="session")
def document_model_dir():
    from workshop_app.smartcat.classifier import PageClassifier

    path = document_model_path()
    PageClassifier.load(str(path))  # fails the test with the reason when there is none
    return path


@pytest.fixture
def make_smartcat(aws_env):
    """Build fresh SmartCat resources: `make_smartcat(visibility_timeout=None, **settings)` →
    the settings naming them (the app's and the handlers'), with the queue URLs under
    `<LogicalId>_URL` too. Everything is removed after the test."""
    import boto3

    from workshop.local_aws import create_pipeline
    from workshop_app import settings as app_settings

    made = []

    def make(visibility_timeout: int | None = None, **overrides) -> dict:
        prefix = f"t{uuid.uuid4().hex[:10]}"
        create_tables({"JOBS_TABLE": f"{prefix}-jobs"}, aws_env)
        resources = create_pipeline(aws_env, f"{prefix}-docs", prefix, visibility_timeout)
        config = {
            **app_settings.from_env({}),
            **resources,
            "JOBS_TABLE": f"{prefix}-jobs",
            "DOCUMENT_MODEL_URI": str(document_model_path()),
            "MAX_RECEIVE_COUNT": 3,
            **overrides,
        }
        made.append(config)
        return config

    yield make
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    for config in made:
        boto3.client("dynamodb").delete_table(TableName=config["JOBS_TABLE"])
        for key, url in config.items():
            if key.endswith("Queue_URL"):
                sqs.delete_queue(QueueUrl=url)
        bucket = boto3.resource("s3").Bucket(config["DOCUMENTS_BUCKET"])
        bucket.objects.all().delete()
        s3.delete_bucket(Bucket=bucket.name)


@pytest.fixture
def smartcat(make_smartcat):
    return make_smartcat()


def smartcat_worker(config: dict):
    """The pipeline's handlers for these settings, behind the local worker with serverless.yml's
    batch sizes: the same code the Lambda entry points run (handlers.py only adds the lookup)."""
    from workshop.local_aws import pipeline_functions
    from workshop_app.smartcat.pipeline import Pipeline
    from workshop_app.smartcat.worker import Route, Worker

    pipeline = Pipeline(config)
    handlers = {"split": pipeline.split, "page": pipeline.page, "aggregate": pipeline.aggregate}
    routes = [
        Route(name, config[f"{f['queue']}_URL"], handlers[name], f["batch_size"], f["timeout"])
        for name, f in pipeline_functions().items()
    ]
    return pipeline, Worker(routes)


def upload_presigned(post, uploads: dict[str, bytes]) -> dict[str, str]:
    """Each file sent the way large ones go: `post("/jobs/uploads")` for a presigned URL, then a
    real HTTP PUT of the bytes to local S3. Returns the job ids by name."""
    import requests

    jobs = {}
    for name, data in uploads.items():
        body = post("/jobs/uploads").get_json()
        put = requests.put(body["upload"]["url"], data=data, headers=body["upload"]["headers"], timeout=30)
        assert put.status_code == 200, (name, put.text)
        jobs[name] = body["job_id"]
    return jobs


@pytest.fixture
def jobs_client(smartcat):
    """A test client for the app with SmartCat's resources (responses checked against OpenAPI)."""
    app = create_app({"TESTING": True, **smartcat})
    app.test_client_class = CheckedClient
    return app.test_client()


@pytest.fixture(scope="session")
def smartcat_corpus(tmp_path_factory):
    """A small SmartCat corpus (5 documents per class, half of them scanned, 2 bundles)."""
    from workshop.smartcat_corpus import generate

    out = tmp_path_factory.mktemp("corpus")
    generate(out, size=5, seed=11, scan_fraction=0.5, bundles=2, workers=2, progress=False)
    return out


@pytest.fixture(scope="session")
def document_model(smartcat_corpus, tmp_path_factory):
    """A page classifier trained by the code `make train-documents` runs (no OCR evaluation)."""
    from workshop.train_documents import train

    out = tmp_path_factory.mktemp("documents-model")
    result = train(smartcat_corpus, out, max_scan_pages=0, workers=1, progress=False)
    return out, result

"""Local AWS for the integration and end-to-end tiers: one real moto server per test process (on
a free port), fresh tables, buckets and queues per test as serverless.yml declares them, and the
app on them with a test client that checks every response against the OpenAPI document.

tests/conftest.py loads this module as a plugin; tests/unit refuses its fixtures.
"""

import uuid

import pytest
from flask.testing import FlaskClient

from helpers import document_model_path
from helpers.openapi import check_response
from workshop.local_aws import MotoServer, create_tables, env
from workshop_app import create_app

#: The fixtures that start or need a server (tests/unit/conftest.py refuses them).
SERVER_FIXTURES = ("moto_endpoint", "aws_env", "table_name", "make_smartcat", "smartcat", "jobs_client")


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
        features = tuple(self.application.config["FEATURES"].split(","))
        check_response(response.request.method, response.request.path, response, features)
        return response


@pytest.fixture
def app(model_dir, table_name):
    """The car API alone (FEATURES=cars), on a fresh table in local AWS."""
    app = create_app(
        {"TESTING": True, "FEATURES": "cars", "CARS_TABLE": table_name, "MODEL_URI": str(model_dir)}
    )
    app.test_client_class = CheckedClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()


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


@pytest.fixture
def jobs_client(smartcat):
    """A test client for the app with SmartCat's resources (responses checked against OpenAPI)."""
    app = create_app({"TESTING": True, **smartcat, "FEATURES": "jobs"})
    app.test_client_class = CheckedClient
    return app.test_client()

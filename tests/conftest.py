"""Fixtures: a real moto server (one per test session, on a free port), a freshly trained model,
a fresh DynamoDB table per test, and the app and its test client (flaskr style).

Every response the `client` fixture receives is checked against the app's OpenAPI document.
"""

import os
import uuid

import pytest
from flask.testing import FlaskClient
from openapi_check import check_response

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


@pytest.fixture
def car():
    """A valid request body: a 1971 Datsun 510."""
    return example_car()


def pytest_configure(config):
    # A stray real AWS profile must never be used by the tests.
    os.environ.pop("AWS_PROFILE", None)

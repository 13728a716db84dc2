"""The unit tier runs with no server: no moto, no node, no browser. AWS_ENDPOINT_URL points at a
closed port, so a call that would reach AWS fails at once instead of leaving the machine, and a
unit test that asks for a server fixture is an error."""

from pathlib import Path

import pytest
from helpers.local_aws import SERVER_FIXTURES, CheckedClient

from workshop_app import create_app


@pytest.fixture(autouse=True)
def no_aws(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard: nothing listens
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "unit-tests")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")


def pytest_collection_modifyitems(items):
    unit = Path(__file__).parent
    for item in items:
        if not item.path.is_relative_to(unit):
            continue  # this hook sees the whole session's items
        servers = sorted(set(getattr(item, "fixturenames", ())) & set(SERVER_FIXTURES))
        if servers:
            raise pytest.UsageError(f"{item.nodeid} is a unit test but uses {', '.join(servers)}: move it")


@pytest.fixture
def app(model_dir):
    """The car API alone, with no table: routes that need none (POST /predict, errors)."""
    app = create_app(
        {"TESTING": True, "FEATURES": "cars", "CARS_TABLE": "unit-no-table", "MODEL_URI": str(model_dir)}
    )
    app.test_client_class = CheckedClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()

"""One structured log line per request, as Lambda's JSON log format prints it (awslambdaric's own
formatter), and the custom metrics as CloudWatch Embedded Metric Format lines."""

import json
import logging

import pytest
from awslambdaric.lambda_runtime_log_utils import JsonFormatter
from flask.testing import FlaskClient

from workshop_app import observability

SECRET = "key-0123456789-never-logged"
MARKER = "Zq7-body-marker"


@pytest.fixture
def emf(monkeypatch, capsys):
    """METRICS=emf, as serverless.yml sets it; returns a reader of the EMF lines printed."""
    monkeypatch.setenv("METRICS", "emf")
    observability.emitting.cache_clear()
    capsys.readouterr()

    def lines():
        return [
            json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')
        ]

    yield lines
    monkeypatch.delenv("METRICS")
    observability.emitting.cache_clear()


@pytest.fixture
def records(caplog):
    caplog.set_level(logging.INFO, logger="workshop_app.requests")
    return lambda: [r for r in caplog.records if r.name == "workshop_app.requests"]


def as_lambda_prints(record: logging.LogRecord) -> dict:
    return json.loads(JsonFormatter().format(record))


def test_each_request_is_one_json_line_with_route_status_duration_and_model(client, car, records):
    client.post("/predict", json={**car, "name": MARKER}, headers={"x-api-key": SECRET})
    client.get("/cars/not-an-id")
    first, second = (as_lambda_prints(r) for r in records())
    assert first["message"] == "request" and first["level"] == "INFO"
    assert (first["route"], first["method"], first["status"]) == ("/predict", "POST", 200)
    assert len(first["model_id"]) == 12 and first["duration_ms"] >= 0
    assert (second["route"], second["status"]) == ("/cars/<carid>", 400) and "model_id" not in second
    printed = json.dumps([first, second])
    assert MARKER not in printed and SECRET not in printed  # never a body, a header or a key


def test_the_lambda_request_ids_are_in_the_line(client, records):
    class Context:
        aws_request_id = "lambda-request-1"

    event = {"requestContext": {"requestId": "gateway-request-1"}}
    client.get("/health", environ_overrides={"serverless.context": Context(), "serverless.event": event})
    [line] = [as_lambda_prints(r) for r in records()]
    assert (line["request_id"], line["api_request_id"]) == ("lambda-request-1", "gateway-request-1")


def test_predictions_are_counted_as_embedded_metrics(client, car, emf):
    client.post("/predict", json=[car, car, car])
    client.post("/predict", json=car)
    lines = emf()
    assert [line["Predictions"] for line in lines] == [3, 1]
    [directive] = lines[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "ServerlessMlWorkshop"
    assert directive["Metrics"] == [{"Name": "Predictions", "Unit": "Count"}]
    assert directive["Dimensions"] == [["function"]] and lines[0]["function"] == "local"
    assert isinstance(lines[0]["_aws"]["Timestamp"], int)


def test_no_metrics_unless_asked_for(client, car, capsys):
    observability.emitting.cache_clear()
    client.post("/predict", json=car)
    assert '"_aws"' not in capsys.readouterr().out


def test_server_errors_are_counted(app, emf):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    app.test_client_class = FlaskClient  # the route is this test's, not the OpenAPI document's
    assert app.test_client().get("/boom").status_code == 500
    assert [line.get("ServerErrors") for line in emf()] == [1]

"""Neither secrets nor request bodies reach the logs, even when the root logger is at DEBUG or
storage fails. (Unpickling: tests/unit/test_unpickling.py; the deployment's side: no IAM `*`
actions, keys on write routes, throttling: tests/e2e/test_serverless_template.py.)"""

import logging

import pytest

from workshop_app import create_app
from workshop_app.car_schema import example_car

MARKER = "Zx9-private-marker-Qv7"
SECRET = "sk-test-0123456789-do-not-log"


@pytest.fixture
def logs(caplog):
    """Everything logged at DEBUG and above, by any logger, while the test runs."""
    caplog.set_level(logging.DEBUG)
    return caplog


def requests_with_the_marker(client, carid: str) -> None:
    key = {"x-api-key": SECRET, "Authorization": f"Bearer {SECRET}"}
    car = {**example_car(), "name": MARKER}
    assert client.post("/cars", json=car, headers=key).status_code == 201
    assert client.put(f"/cars/{carid}", json=car, headers=key).status_code == 200
    assert client.post("/predict", json=[car, car], headers=key).status_code == 200
    assert client.post("/predict", json={**car, MARKER: 1}, headers=key).status_code == 422
    assert (
        client.post(
            "/cars", data=f'{{"name": "{MARKER}",', headers=key, content_type="application/json"
        ).status_code
        == 400
    )
    assert client.get(f"/cars/{MARKER}", headers=key).status_code == 400
    assert client.get(f"/cars?next_token={MARKER}", headers=key).status_code == 400
    assert client.delete(f"/cars/{carid}", headers=key).status_code == 204


def test_no_secret_or_body_in_the_logs(client, car, logs):
    carid = client.post("/cars", json=car).get_json()["carid"]
    logs.clear()
    logging.getLogger("workshop_app.control").debug("captured")
    requests_with_the_marker(client, carid)
    assert "captured" in logs.text  # the capture takes DEBUG records from the app's loggers
    text = logs.text + "".join(str(r.args) for r in logs.records)
    assert MARKER not in text
    assert SECRET not in text


def test_the_sdk_does_not_log_requests_when_the_root_logger_is_at_debug(app, caplog):
    """botocore logs whole requests at DEBUG (found by the test above: the marker car and the
    signed headers were in the log). create_app() stops the SDK's loggers at INFO, unless a
    level was set for them by name."""
    caplog.set_level(logging.DEBUG)  # the root logger; restored after the test
    for name in ("botocore", "boto3", "urllib3"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="botocore")  # asked for by name: honoured
    create_app({"TESTING": True})
    assert logging.getLogger("botocore").isEnabledFor(logging.DEBUG)


def test_no_body_in_the_logs_when_storage_fails(model_dir, aws_env, logs):
    """The 503 path logs the fault, which must not carry the car."""
    client = create_app(
        {"TESTING": True, "FEATURES": "cars", "CARS_TABLE": "no-such-table", "MODEL_URI": str(model_dir)}
    ).test_client()
    response = client.post("/cars", json={**example_car(), "name": MARKER}, headers={"x-api-key": SECRET})
    assert response.status_code == 503
    assert any("storage unavailable" in r.getMessage() for r in logs.records)
    assert MARKER not in logs.text and SECRET not in logs.text

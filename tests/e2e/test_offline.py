"""serverless-offline (`make offline`) serving serverless.yml over real HTTP, local AWS behind."""

import pytest
import requests

from workshop.lambda_builds import osls_lock
from workshop.local_aws import free_port
from workshop.offline import LOCAL_API_KEY, Offline
from workshop_app.car_schema import example_car


@pytest.fixture(scope="module")
def offline():
    with osls_lock(), Offline(free_port(), free_port(), free_port(), quiet=True) as stack:
        yield stack.url


KEY = {"x-api-key": LOCAL_API_KEY}


def test_root_path_answers_instead_of_redirecting(offline):
    response = requests.get(f"{offline}/", allow_redirects=False, timeout=30)
    assert response.status_code == 200
    assert response.json()["links"]["cars"] == "/cars"


def test_health(offline):
    assert requests.get(f"{offline}/health", timeout=30).json()["status"] == "ok"


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/cars"),
        ("POST", "/predict"),
        ("PUT", "/cars/0123456789abcdef0123456789abcdef"),
        ("DELETE", "/cars/0123456789abcdef0123456789abcdef"),
    ],
)
@pytest.mark.parametrize("headers", [{}, {"x-api-key": "not-the-key"}], ids=["no key", "bad key"])
def test_writes_need_the_api_key(offline, method, path, headers):
    response = requests.request(method, offline + path, json=example_car(), headers=headers, timeout=30)
    assert response.status_code == 403


def test_crud_with_the_key(offline):
    created = requests.post(f"{offline}/cars", json=example_car(), headers=KEY, timeout=30)
    assert created.status_code == 201
    location = created.headers["Location"]
    assert requests.get(offline + location, timeout=30).json() == created.json()
    assert requests.delete(offline + location, headers=KEY, timeout=30).status_code == 204
    assert requests.get(offline + location, timeout=30).status_code == 404


def test_bad_input_is_still_the_apps_json_error(offline):
    response = requests.post(
        f"{offline}/predict", data="{nope", headers={**KEY, "Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_json"

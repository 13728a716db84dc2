"""The /cars resource: create, read, list, replace, delete, against a real moto server."""

import pytest

UNKNOWN = "0123456789abcdef0123456789abcdef"


def create(client, body):
    response = client.post("/cars", json=body)
    assert response.status_code == 201, response.get_json()
    return response


def test_create_stores_the_car_with_its_prediction(client, car):
    response = create(client, car)
    body = response.get_json()
    assert response.headers["Location"] == f"/cars/{body['carid']}"
    assert {k: body[k] for k in car} == car
    assert 10 < body["predicted_mpg"] < 45
    assert body["created_at"] == body["updated_at"]
    assert client.get(response.headers["Location"]).get_json() == body


def test_stored_prediction_equals_the_stateless_one(client, car):
    stored = create(client, car).get_json()
    predicted = client.post("/predict", json=car).get_json()
    assert stored["predicted_mpg"] == predicted["predicted_mpg"]
    assert stored["model_id"] == predicted["model_id"]


def test_unknown_horsepower_is_imputed(client, car):
    body = create(client, {**car, "horsepower": None}).get_json()
    assert body["horsepower"] is None
    assert 10 < body["predicted_mpg"] < 45


def test_name_is_optional(client, car):
    del car["name"]
    assert create(client, car).get_json()["name"] is None


def test_list_pages_through_every_car_once(client, car):
    created = {create(client, {**car, "name": f"car {i}"}).get_json()["carid"] for i in range(5)}
    seen, token, pages = [], None, 0
    while True:
        query = "/cars?limit=2" + (f"&next_token={token}" if token else "")
        body = client.get(query).get_json()
        assert len(body["cars"]) <= 2
        seen += [c["carid"] for c in body["cars"]]
        pages += 1
        token = body["next_token"]
        if token is None:
            break
    assert sorted(seen) == sorted(created)
    assert pages >= 3


def test_empty_list(client):
    assert client.get("/cars").get_json() == {"cars": [], "next_token": None}


def test_put_replaces_and_predicts_again(client, car):
    before = create(client, car).get_json()
    heavier = {**car, "weight": 4000.0, "name": "heavy"}
    response = client.put(f"/cars/{before['carid']}", json=heavier)
    assert response.status_code == 200
    after = response.get_json()
    assert after["carid"] == before["carid"]
    assert after["weight"] == 4000.0 and after["name"] == "heavy"
    assert after["predicted_mpg"] < before["predicted_mpg"]
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] > before["updated_at"]
    assert client.get(f"/cars/{before['carid']}").get_json() == after


def test_delete(client, car):
    carid = create(client, car).get_json()["carid"]
    response = client.delete(f"/cars/{carid}")
    assert response.status_code == 204 and response.data == b""
    assert "Content-Type" not in response.headers
    assert client.get(f"/cars/{carid}").status_code == 404
    assert client.delete(f"/cars/{carid}").status_code == 404


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_unknown_car_is_404(client, car, method):
    kwargs = {"json": car} if method == "put" else {}
    response = getattr(client, method)(f"/cars/{UNKNOWN}", **kwargs)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert UNKNOWN in response.get_json()["message"]


def test_put_on_unknown_car_creates_nothing(client, car):
    client.put(f"/cars/{UNKNOWN}", json=car)
    assert client.get("/cars").get_json()["cars"] == []


@pytest.mark.parametrize(
    "carid",
    [
        "x",
        "123",
        UNKNOWN.upper(),
        UNKNOWN + "0",
        "' OR 1=1 --",
        "%00",
        "ü" * 32,
        "a" * 5000,
    ],
)
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_malformed_id_is_400(client, car, method, carid):
    kwargs = {"json": car} if method == "put" else {}
    response = getattr(client, method)(f"/cars/{carid}", **kwargs)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_id"


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "limit=-1", "limit=1.5", "limit="])
def test_bad_limit_is_400(client, query):
    response = client.get(f"/cars?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_limit"


@pytest.mark.parametrize("token", ["garbage", "e30", "eyJjYXJpZCI6IDF9", "eyJ4IjogMX0", "!!!!"])
def test_bad_page_token_is_400(client, token):
    response = client.get(f"/cars?next_token={token}")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_page_token"


@pytest.mark.parametrize(
    "method,path", [("patch", "/cars"), ("delete", "/cars"), ("get", "/predict"), ("post", "/health")]
)
def test_wrong_method_is_405_json(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert response.headers["Allow"]


@pytest.mark.parametrize("path", ["/nope", "/cars/", "/cars/a/b", "/predict/1", "/cars/..%2f..%2fetc"])
def test_unknown_route_is_404_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"

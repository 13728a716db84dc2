"""CarStore against a real moto server over HTTP, and the API when storage is down."""

import pytest

from workshop.local_aws import free_port
from workshop_app.aws import StorageUnavailable
from workshop_app.cars_table import CarStore, InvalidPageToken, new_carid


@pytest.fixture
def store(table_name):
    return CarStore(table_name)


def a_car(**changes):
    return {
        "carid": new_carid(),
        "name": None,
        "cylinders": 4,
        "displacement": 97.0,
        "horsepower": None,
        "weight": 2130.0,
        "acceleration": 14.5,
        "year": 1971,
        "origin": "Japan",
        "predicted_mpg": 27.03,
        "model_id": "abc",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
        **changes,
    }


def test_round_trip_keeps_types_and_values(store):
    car = a_car(displacement=0.1, weight=3000.0)
    store.put(car)
    back = store.get(car["carid"])
    assert back == car
    assert type(back["cylinders"]) is int and type(back["weight"]) is float


def test_get_missing_is_none(store):
    assert store.get(new_carid()) is None


def test_replace_only_existing(store):
    car = a_car()
    assert store.replace(car) is None and store.get(car["carid"]) is None
    store.put(car)
    assert store.replace({**car, "weight": 3000.0})["weight"] == 3000.0
    assert store.get(car["carid"])["weight"] == 3000.0


def test_delete_only_existing(store):
    car = store.put(a_car())
    assert store.delete(car["carid"]) is True
    assert store.delete(car["carid"]) is False


def test_pages(store):
    ids = {store.put(a_car())["carid"] for _ in range(7)}
    seen, token = [], None
    while True:
        items, token = store.page(3, token)
        seen += [c["carid"] for c in items]
        if token is None:
            break
    assert sorted(seen) == sorted(ids)


@pytest.mark.parametrize("token", ["%%%", "bm90IGpzb24", "W10", "eyJjYXJpZCI6ICJ4In0"])
def test_foreign_tokens_are_refused(store, token):
    with pytest.raises(InvalidPageToken):
        store.page(3, token)


def test_missing_table_is_unavailable(aws_env):
    with pytest.raises(StorageUnavailable, match="'nope' does not exist"):
        CarStore("nope").get(new_carid())


def test_unreachable_dynamodb_is_unavailable(table_name, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StorageUnavailable, match="cannot reach DynamoDB"):
        CarStore(table_name).get(new_carid())


def test_api_answers_503_when_storage_is_down(app, client, car, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    app.extensions["car_store"] = CarStore(app.config["CARS_TABLE"])
    for response in (
        client.get("/cars"),
        client.post("/cars", json=car),
        client.get(f"/cars/{new_carid()}"),
        client.delete(f"/cars/{new_carid()}"),
    ):
        assert response.status_code == 503
        assert response.get_json()["error"] == "storage_unavailable"
    assert client.post("/predict", json=car).status_code == 200  # predictions need no table

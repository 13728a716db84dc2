"""POST /predict: the model's answer, one car or a batch, equal to the trained estimator's."""

import numpy as np
import pytest

from workshop.cars_data import load_cars
from workshop.train_cars import training_data
from workshop_app.car_model import load_model
from workshop_app.car_schema import FEATURE_NAMES, MAX_BATCH


def test_one_car(client, car):
    body = client.post("/predict", json=car).get_json()
    assert set(body) == {"predicted_mpg", "model_id"}
    assert 20 < body["predicted_mpg"] < 35  # a 1971 Datsun 510 did ~27 mpg


def test_batch_predicts_each_car_in_order(client, car):
    heavy = {**car, "weight": 4500.0, "cylinders": 8, "displacement": 350.0}
    batch = client.post("/predict", json=[car, heavy, car]).get_json()
    singles = [client.post("/predict", json=c).get_json()["predicted_mpg"] for c in (car, heavy)]
    assert batch["predictions"] == [singles[0], singles[1], singles[0]]
    assert batch["predictions"][1] < batch["predictions"][0]


def test_largest_batch(client, car):
    del car["name"]
    assert len(client.post("/predict", json=[car] * MAX_BATCH).get_json()["predictions"]) == MAX_BATCH


def test_the_api_answers_what_the_model_predicts_on_the_whole_dataset(client, model_dir):
    X, _ = training_data(load_cars())
    cars = [dict(zip(FEATURE_NAMES, row, strict=True)) for row in X.tolist()]
    api = client.post("/predict", json=cars).get_json()["predictions"]
    direct = load_model(str(model_dir), fmt="sklearn").predictor.predict(X)
    np.testing.assert_allclose(api, direct, atol=0.005)  # the API rounds to 0.01 mpg


@pytest.mark.parametrize("origin", ["USA", "Europe", "Japan"])
def test_every_origin_is_understood(client, car, origin):
    assert client.post("/predict", json={**car, "origin": origin}).status_code == 200

"""POST /predict: the model's mpg for one car (a JSON object) or a batch (a JSON array)."""

from flask import Blueprint, jsonify

from . import observability
from .car_schema import parse_batch, parse_car, to_row
from .cars import model as car_model
from .request_json import read_json

bp = Blueprint("predict", __name__)


@bp.post("/predict")
def predict():
    """`{"predicted_mpg", "model_id"}` for a car object, `{"predictions", "model_id"}` for an array."""
    body = read_json()
    # Validate before touching the model: bad input is a 4xx whatever state the model is in.
    cars = parse_batch(body) if isinstance(body, list) else [parse_car(body)]
    model = car_model()
    mpgs = model.predict([to_row(car) for car in cars])
    observability.metrics({"Predictions": len(cars)})
    if isinstance(body, list):
        return jsonify({"predictions": mpgs, "model_id": model.model_id})
    return jsonify({"predicted_mpg": mpgs[0], "model_id": model.model_id})

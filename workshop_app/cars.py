"""The /cars collection: cars with their features and the model's predicted mpg."""

from flask import Blueprint, Flask, current_app, g, jsonify, request, url_for

from . import car_model, observability
from .car_schema import parse_car, to_row
from .cars_table import CARID, CarStore, new_carid
from .errors import ApiError, invalid_id, not_found
from .request_json import read_json
from .timestamps import now_iso

bp = Blueprint("cars", __name__)


def init_app(app: Flask) -> None:
    """Mount the car API: /cars and /predict, the cars table and the car model (loaded on first
    use), and their health checks."""
    from . import health, predict

    app.extensions["car_store"] = CarStore(app.config["CARS_TABLE"])
    app.extensions["car_model"] = car_model.holder(
        app.config["MODEL_URI"], app.config["MODEL_SHA256"], app.config["MODEL_FORMAT"]
    )
    app.register_blueprint(bp)
    app.register_blueprint(predict.bp)
    health.add_check(app, "model", lambda: model().model_id)
    health.add_check(app, "storage", lambda: store().ping())


def store() -> CarStore:
    """The cars table."""
    return current_app.extensions["car_store"]


def model() -> car_model.LoadedModel:
    """The car model, loaded (and verified) on first use; ModelUnavailable when it cannot be.
    The request's log line names it."""
    loaded = current_app.extensions["car_model"].get()
    g.model_id = loaded.model_id
    return loaded


def _checked(carid: str) -> str:
    if not CARID.match(carid):
        raise invalid_id("carid", carid, "POST /cars")
    return carid


def _not_found(carid: str) -> ApiError:
    return not_found("car", "carid", carid)


def _predicted(car: dict) -> dict:
    loaded = model()
    [mpg] = loaded.predict([to_row(car)])
    observability.metrics({"Predictions": 1})
    return {**car, "predicted_mpg": mpg, "model_id": loaded.model_id}


def _query(name: str) -> str | None:
    """A query parameter given at most once: `?limit=1&limit=100` is ambiguous (API Gateway's
    queryStringParameters keeps the last value, Werkzeug the first), so it is refused."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ApiError(400, "invalid_query", f"give {name} at most once (got {len(values)} values)")
    return values[0] if values else None


def _limit() -> int:
    raw = _query("limit")
    raw = str(current_app.config["PAGE_SIZE"]) if raw is None else raw
    top = current_app.config["MAX_PAGE_SIZE"]
    # ASCII digits, and few of them: str.isdigit() accepts "²", which int() refuses, and int()
    # raises on over 4,300 digits.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= top):
        raise ApiError(400, "invalid_limit", f"limit must be an integer from 1 to {top}; got {raw[:20]!r}")
    return int(raw)


@bp.get("/cars")
def list_cars():
    """A page of cars and the token for the next (`?limit=`, `?next_token=`)."""
    cars, next_token = store().page(_limit(), _query("next_token"))
    return jsonify({"cars": cars, "next_token": next_token})


@bp.post("/cars")
def create_car():
    """Store a car with its predicted mpg: 201 with the car and its Location."""
    car = parse_car(read_json())
    now = now_iso()
    car = store().put({"carid": new_carid(), **_predicted(car), "created_at": now, "updated_at": now})
    response = jsonify(car)
    response.status_code = 201
    response.headers["Location"] = url_for("cars.get_car", carid=car["carid"])
    return response


@bp.get("/cars/<carid>")
def get_car(carid: str):
    """One car; 404 when there is none with that id."""
    car = store().get(_checked(carid))
    if car is None:
        raise _not_found(carid)
    return jsonify(car)


@bp.put("/cars/<carid>")
def replace_car(carid: str):
    """Replace a car's features and predict again; 404 when there is none."""
    _checked(carid)
    car = parse_car(read_json())
    existing = store().get(carid)
    if existing is None:
        raise _not_found(carid)
    replaced = store().replace(
        {"carid": carid, **_predicted(car), "created_at": existing["created_at"], "updated_at": now_iso()}
    )
    if replaced is None:  # deleted between our read and our write
        raise _not_found(carid)
    return jsonify(replaced)


@bp.delete("/cars/<carid>")
def delete_car(carid: str):
    """204 when the car was deleted; 404 when there was none."""
    if not store().delete(_checked(carid)):
        raise _not_found(carid)
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]  # no body, so no type
    return response

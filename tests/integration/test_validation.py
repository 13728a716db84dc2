"""Bad input on every write route: a clear 4xx JSON error naming the problem, never a 500, and
the API keeps serving. Where the body is JSON, the OpenAPI schema must reject it too."""

import json

import pytest
from jsonschema import Draft202012Validator

from workshop_app.car_schema import MAX_BATCH, car_input_schema

UNKNOWN = "0123456789abcdef0123456789abcdef"
ROUTES = ["POST /cars", "PUT /cars/{carid}", "POST /predict"]


@pytest.fixture
def send(client, car):
    """Send a raw body to a route; PUT goes to an existing car so only the body can be wrong."""
    carid = client.post("/cars", json=car).get_json()["carid"]

    def send(route, data, content_type="application/json"):
        method, path = route.split()
        return client.open(
            path.replace("{carid}", carid), method=method, data=data, content_type=content_type
        )

    yield send
    # The server keeps serving after whatever was sent.
    assert client.post("/predict", json=car).status_code == 200
    assert client.get(f"/cars/{carid}").status_code == 200


def with_(car, **changes):
    return {**car, **changes}


def without(car, field):
    return {k: v for k, v in car.items() if k != field}


# (id, change to the valid car, field the message must name)
BAD_CARS = [
    ("unknown field", lambda c: with_(c, colour="red"), "colour"),
    ("missing field", lambda c: without(c, "weight"), "weight"),
    ("string for a number", lambda c: with_(c, displacement="big"), "displacement"),
    ("boolean for an integer", lambda c: with_(c, cylinders=True), "cylinders"),
    ("fraction for an integer", lambda c: with_(c, cylinders=4.5), "cylinders"),
    ("array for a number", lambda c: with_(c, weight=[2130]), "weight"),
    ("object for a string", lambda c: with_(c, origin={"name": "Japan"}), "origin"),
    ("null for a required number", lambda c: with_(c, weight=None), "weight"),
    ("below the minimum", lambda c: with_(c, weight=10), "weight"),
    ("above the maximum", lambda c: with_(c, year=3000), "year"),
    ("negative", lambda c: with_(c, acceleration=-3), "acceleration"),
    ("huge number", lambda c: with_(c, displacement=1e300), "displacement"),
    ("huge integer", lambda c: with_(c, year=10**30), "year"),
    ("origin not in the list", lambda c: with_(c, origin="Mars"), "origin"),
    ("number for the origin", lambda c: with_(c, origin=1), "origin"),
    ("name too long", lambda c: with_(c, name="x" * 121), "name"),
    ("number for the name", lambda c: with_(c, name=510), "name"),
    ("empty object", lambda c: {}, "cylinders"),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("make,field", [b[1:] for b in BAD_CARS], ids=[b[0] for b in BAD_CARS])
def test_invalid_car_is_422_naming_the_field(send, car, route, make, field):
    body = make(dict(car))
    response = send(route, json.dumps(body))
    assert response.status_code == 422
    error = response.get_json()
    assert error["error"] == "validation_error"
    assert field in error["message"]
    assert any(field in detail for detail in error["details"])
    assert not Draft202012Validator(car_input_schema()).is_valid(body)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "raw,why",
    [
        ('{"weight": NaN}', "NaN"),
        ('{"weight": Infinity}', "Infinity"),
        ('{"weight": -Infinity}', "Infinity"),
        ('{"cylinders": 4,', "not valid JSON"),
        ("cylinders=4&weight=2130", "not valid JSON"),
        ("{'cylinders': 4}", "not valid JSON"),
        ('{"year": ' + "9" * 5000 + "}", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("", "empty"),
        ("   \n ", "empty"),
    ],
    ids=[
        "NaN",
        "Infinity",
        "-Infinity",
        "truncated",
        "form-encoded",
        "single quotes",
        "5000-digit integer",
        "deeply nested",
        "empty",
        "whitespace",
    ],
)
def test_malformed_json_is_400(send, route, raw, why):
    response = send(route, raw)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_json"
    assert why in response.get_json()["message"]


@pytest.mark.parametrize("route", ROUTES)
def test_1e400_overflows_to_infinity_and_is_rejected(send, car, route):
    raw = json.dumps(car).replace('"weight": 2130.0', '"weight": 1e400')
    response = send(route, raw)
    assert response.status_code == 422
    assert "finite" in response.get_json()["message"]


@pytest.mark.parametrize("route", ROUTES)
def test_non_utf8_body_is_400(send, route):
    response = send(route, b'{"name": "\xff\xfe"}')
    assert response.status_code == 400
    assert "UTF-8" in response.get_json()["message"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        None,
    ],
)
def test_wrong_content_type_is_415(send, car, route, content_type):
    response = send(route, json.dumps(car), content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["error"] == "unsupported_media_type"
    assert "application/json" in response.get_json()["message"]


@pytest.mark.parametrize("route", ROUTES)
def test_oversized_body_is_413(send, car, route):
    response = send(route, json.dumps(with_(car, name="x" * 600_000)))
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"


@pytest.mark.parametrize("route", ["POST /cars", "PUT /cars/{carid}"])
@pytest.mark.parametrize(
    "body", [[], "a car", 4, None, True], ids=["array", "string", "number", "null", "boolean"]
)
def test_cars_need_an_object(send, car, route, body):
    response = send(route, json.dumps([car] if body == [] else body))
    assert response.status_code == 422
    assert "JSON object" in response.get_json()["message"]


def test_batch_reports_the_index_of_each_bad_car(send, car):
    batch = [car, with_(car, weight=-1), car, without(car, "origin")]
    response = send("POST /predict", json.dumps(batch))
    assert response.status_code == 422
    details = response.get_json()["details"]
    assert any("[1].weight" in d for d in details)
    assert any("[3].origin" in d for d in details)
    assert not any("[0]" in d or "[2]" in d for d in details)


@pytest.mark.parametrize("size", [0, MAX_BATCH + 1])
def test_batch_size_is_limited(send, car, size):
    small = without(car, "name")  # keep 1001 cars under the body limit
    response = send("POST /predict", json.dumps([small] * size))
    assert response.status_code == 422
    assert f"1 to {MAX_BATCH}" in response.get_json()["message"]


def test_batch_of_many_bad_cars_keeps_the_message_short(send, car):
    response = send("POST /predict", json.dumps([with_(car, weight=-1)] * 100))
    details = response.get_json()["details"]
    assert len(details) == 21 and details[-1] == "... and 80 more"

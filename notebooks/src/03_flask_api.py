# %% [markdown]
# # 03 · Serve the model with Flask
#
# A model in a notebook helps nobody else. We put notebook 02's model behind an HTTP API: first a
# ten-line Flask app, then the workshop's real app (validated input, JSON errors, a `/cars`
# collection in DynamoDB, an OpenAPI description), which we package for AWS Lambda next.
#
# **What you will learn**
#
# - how a Flask route turns a JSON request into a prediction, called without a server (the test client);
# - why every input is validated before it reaches the model, and how to answer a bad one with a
#   4xx JSON error that says what to fix;
# - how the real app is built (`create_app()` mounts features by configuration) and used: create,
#   read, list, replace and delete cars, predict one car or a batch, on a local DynamoDB (moto).
#
# **Prerequisites:** notebook 02 (the model and `load_model()`); HTTP methods and status codes;
# Python functions and decorators.
#
# **Teaching:** 25 min · **Exercises:** 30 min

# %% [markdown]
# ## Setup
#
# Run this cell first; it is safe to run again. If `models/cars` holds no model yet, it trains one.

# %%
import json

from flask import Flask, request

from workshop import CARS_MODEL_DIR
from workshop.cars_data import load_cars
from workshop.local_aws import ensure_local_aws
from workshop.train_cars import ensure_model
from workshop_app import create_app
from workshop_app.car_model import load_model
from workshop_app.car_schema import FEATURE_NAMES, ValidationError, example_car, parse_car, to_row

ensure_model()  # trains one if there is no model yet, or one from an older workshop version
cars = load_cars()
car = example_car()


# extra code – prints a response the way `curl -i` would: status, key headers, pretty JSON
def show(response):
    print(f"HTTP {response.status}")
    for header in ("Content-Type", "Location"):
        if header in response.headers:
            print(f"{header}: {response.headers[header]}")
    if response.is_json:
        print(json.dumps(response.get_json(), indent=2, ensure_ascii=False))
    elif response.data:
        print(response.get_data(as_text=True)[:200])


# %% [markdown]
# ## 1. A tiny prediction API
#
# Notebook 02's model (`make model` saved it in `models/cars`) is loaded once, verified and kept
# in memory, in the portable format Lambda runs. A **route** is a function Flask calls for one
# method and path: this one reads a car as JSON, puts its values in `FEATURE_NAMES` order and
# answers with the prediction (a returned `dict` becomes JSON). To call it we need no server:
# Flask's **test client** hands a request straight to the app, through the same WSGI interface
# that a web server, or serverless-wsgi on Lambda, uses.

# %%
model = load_model(str(CARS_MODEL_DIR))

tiny = Flask("tiny")


@tiny.post("/predict")
def tiny_predict():
    body = request.get_json()
    row = [body[name] for name in FEATURE_NAMES]
    [mpg] = model.predict([row])
    return {"predicted_mpg": mpg, "model_id": model.model_id}


tiny_client = tiny.test_client()
show(tiny_client.post("/predict", json=car))

# %% [markdown]
# ## 2. Why validation matters
#
# That is a working API. Ship it? Strangers call it, by hand, from scripts, with bugs. Here are
# cars that are wrong in ways people really get wrong:

# %%
# extra code – Flask logs every crash with a full traceback; here we only want the responses
tiny.logger.disabled = True

bad_cars = {
    "weight missing": {k: v for k, v in car.items() if k != "weight"},
    "weight as a word": {**car, "weight": "heavy"},
    "weight as a string": {**car, "weight": "2130"},
    "year written as 71": {**car, "year": 71},
    "origin Germany": {**car, "origin": "Germany"},
    "a list, not a car": [4, 97.0, 88.0, 2130.0, 14.5, 1971, "Japan"],
}
for label, body in bad_cars.items():
    response = tiny_client.post("/predict", json=body)
    print(f"{label:19} → {response.status}: {response.get_json() if response.is_json else 'an HTML page'}")

# %% [markdown]
# Two kinds of failure, both bad: **crashes** (500), where the client learns nothing about what to
# fix and our logs fill with tracebacks of the client's mistakes; and **silent nonsense** (200): a
# weight sent as a string, a two-digit year, a country that is not one of the three origins each
# get a confident number (the one-hot encoder ignores "Germany"; the forest reads year 71 as
# "older than anything I know"). Nobody will notice.
#
# `car_schema.parse_car()` checks a body against the one definition of a car that the API, the
# OpenAPI document and the training code share (`FEATURES`): every field present, none unknown,
# the right JSON types, plausible values, origins from the list; it reports **every** problem:

# %%
for label, body in bad_cars.items():
    try:
        parse_car(body)
        print(f"{label:19} → accepted")
    except ValidationError as e:
        print(f"{label:19} → {e.problems}")
parse_car(car)  # a valid car comes back cleaned, with every feature and its name

# %% [markdown]
# ## 3. The real app
#
# `workshop_app` is the API we deploy. `create_app(config)` builds it (the *app factory*): settings
# from the environment, overridden by `config`; errors as JSON; `/`, `/health`, `/openapi.json`;
# and the features `FEATURES` names: `cars` mounts `/cars` and `/predict` (the model loaded on
# first use, cars stored in DynamoDB); `jobs`, SmartCat's document API, comes later.
#
# DynamoDB needs AWS, or something that speaks its protocol: `ensure_local_aws()` starts a
# [moto](https://docs.getmoto.org) server for as long as this kernel runs (unless `AWS_ENDPOINT_URL`
# points at one, as `make lab` arranges), creates the tables `serverless.yml` declares and points
# boto3 at it. The app's code does not change. (We pass the model's absolute path: on Lambda it is
# `models/cars` beside the code.)

# %%
print("local AWS at", ensure_local_aws())
app = create_app({"FEATURES": "cars", "MODEL_URI": str(CARS_MODEL_DIR)})
client = app.test_client()
show(client.get("/"))
show(client.get("/health"))

# %% [markdown]
# ### Create, read, list, replace, delete
#
# `POST /cars` validates the car, predicts its mpg, stores both and answers **201 Created** with
# the new car's URL in the `Location` header; `GET` that URL reads it back. `GET /cars` lists cars
# a page at a time (`limit`, at most 100; `next_token` says where the next page starts). `PUT`
# replaces a car's features and predicts again: a roof box and a family (2,600 lb) should cost
# some mpg. `DELETE` answers **204 No Content**, after which the car is gone (404).

# %%
created = client.post("/cars", json=car)
show(created)
location = created.headers["Location"]
show(client.get(location))
show(client.get("/cars", query_string={"limit": 2}))
show(client.put(location, json={**car, "weight": 2600.0, "name": "datsun 510, fully loaded"}))
show(client.delete(location))
show(client.get(location))

# %% [markdown]
# ### Stateless predictions
#
# `POST /predict` stores nothing: send one car (a JSON object) or a batch (a JSON array of up to
# 1000), get predictions back. Four real 1980 cars from the data; how close is the model?


# %%
# extra code – rows of the cars table as API request bodies; unknown values (NaN) become null
def as_requests(rows) -> list[dict]:
    records = rows[[*FEATURE_NAMES, "name"]].to_dict("records")
    return [{k: None if v != v else v for k, v in r.items()} for r in records]  # NaN != NaN


names = ["vw rabbit", "toyota corolla tercel", "chevrolet chevette", "dodge aspen"]
sample = cars[cars["name"].isin(names) & (cars["year"] == 1980)]
response = client.post("/predict", json=as_requests(sample))
print(response.status, response.get_json()["model_id"])
for row, mpg in zip(sample.itertuples(), response.get_json()["predictions"], strict=True):
    print(f"{row.name:22} predicted {mpg:5.1f} mpg, actual {row.mpg:5.1f}")

# %% [markdown]
# ### Errors are JSON too
#
# Every error has the same shape, `{"error": <code>, "message": <what to fix>}`, and the status
# says whose fault it is. A car that fails validation is **422 Unprocessable Content**, with every
# problem listed; a body that is not JSON is **415 Unsupported Media Type**; an unknown car **404**:

# %%
show(client.post("/predict", json={**car, "year": 71, "origin": "Germany"}))
show(client.post("/predict", data="cylinders=4&weight=2130", content_type="text/plain"))
show(client.get("/cars/" + "0" * 32))

# %% [markdown]
# Last, the API describes itself: `GET /openapi.json` is an OpenAPI 3.1 document built from the
# same car schema, so it cannot drift from what the app accepts; tools such as Swagger UI read it.

# %%
spec = client.get("/openapi.json").get_json()
print(spec["info"]["title"], spec["info"]["version"])
for path, operations in spec["paths"].items():
    print(f"  {path:16} {', '.join(m.upper() for m in operations if m != 'parameters')}")

# %% [markdown]
# ## Exercises
#
# Answer in the cell under each exercise, then run the **check** cell: it says what is wrong, or ✔.
#
# ### Exercise 1: your first route
#
# Make a new Flask app `count_app` with a route `GET /cars/count` that answers, as JSON,
# `{"count": <number of cars in the data set>}` (the `cars` DataFrame), and with `?origin=Japan`
# (or any origin) only the cars of that origin.
#
# <details><summary>Hint</summary>
#
# `count_app = Flask("count")`, then `@count_app.get("/cars/count")` above a function.
# `request.args.get("origin")` is the query parameter, or `None` when there is none; return a
# `dict` and Flask makes it JSON. Convert pandas' numbers with `int(...)`: JSON has no `int64`.
# </details>

# %% tags=["solution"]
# Exercise 1: write count_app, whose GET /cars/count answers {"count": ...}, optionally per ?origin=.

count_app = Flask("count")


@count_app.get("/cars/count")
def count_cars():
    origin = request.args.get("origin")
    selected = cars if origin is None else cars[cars["origin"] == origin]
    return {"count": len(selected)}


show(count_app.test_client().get("/cars/count", query_string={"origin": "Japan"}))

# %% tags=["check"]
# extra code – checks your answer to exercise 1
from workshop.exercise import answer, check

counting = answer("count_app", globals())
check(isinstance(counting, Flask), "count_app should be a Flask app: count_app = Flask('count')")
test = counting.test_client()
for origin in (None, "Japan", "USA"):
    expected = len(cars) if origin is None else int((cars["origin"] == origin).sum())
    response = test.get("/cars/count", query_string={"origin": origin})  # None: no ?origin=
    url = "GET /cars/count" + ("" if origin is None else f"?origin={origin}")
    said = f"{url} answered {response.status} {response.get_data(as_text=True)[:80]!r}"
    check(response.status_code == 200, f"{said}: want 200 (404: no such route; 500: it crashed)")
    right = response.is_json and response.get_json() == {"count": expected}
    check(right, f"{said}, not {{'count': {expected}}}", ok=f"{url}: {expected} cars")

# %% [markdown]
# ### Exercise 2: page through the collection
#
# The next cell adds five cars to the real app's table. List **all** cars, two per page: call
# `GET /cars` with `limit=2`, collect the `carid`s, pass each response's `next_token` to the next
# request, stop when it is `null` (`None`), and store every carid you saw, in order, in `seen_ids`.
#
# <details><summary>Hint</summary>
#
# A `while True:` loop with `client.get("/cars", query_string={"limit": 2, "next_token": token})`
# (a `None` token is left out of the URL); `break` when the page's `next_token` is `None`.
# </details>

# %%
# extra code – five cars to page through (the table may also hold cars from earlier runs)
added_ids = [client.post("/cars", json=body).get_json()["carid"] for body in as_requests(cars.head(5))]
print(f"added {len(added_ids)} cars")

# %% tags=["solution"]
# Exercise 2: set seen_ids to every carid in the table, fetched two cars at a time.

seen_ids, token = [], None
while True:  # the test client leaves a None parameter out of the URL, as requests does
    page = client.get("/cars", query_string={"limit": 2, "next_token": token}).get_json()
    seen_ids += [listed["carid"] for listed in page["cars"]]
    token = page["next_token"]
    if token is None:
        break
print(f"{len(seen_ids)} cars")

# %% tags=["check"]
# extra code – checks your answer to exercise 2
from workshop.exercise import answer, check

seen = answer("seen_ids", globals())
check(isinstance(seen, list), f"seen_ids should be a list of carids, not {type(seen).__name__}")
check(len(seen) == len(set(seen)), "a car appeared twice: pass each next_token on")
missing = set(added_ids) - set(seen)
ok = f"{len(seen)} cars, none twice, none missing"
check(not missing, f"{len(missing)} of the added cars are missing: follow next_token to the end", ok=ok)

# %% [markdown]
# ### Exercise 3: validate before you predict
#
# Make `strict_app`, a Flask app whose `POST /predict` answers `{"predicted_mpg": ...}` (from
# `model`, as `tiny` does) for a valid car, and for an invalid one a **4xx JSON error** `{"error":
# ..., "message": ...}` whose message **names the field** at fault. Write the checks yourself (not
# `parse_car`): a JSON object, with every name in `FEATURE_NAMES`; the six numeric features are
# numbers (`true` and `"2130"` are not; `horsepower` may be `null`); `year` from 1900 to 2100;
# `origin` one of `USA`, `Europe`, `Japan`.
#
# <details><summary>Hint</summary>
#
# `request.get_json(silent=True)` is `None`, not an HTML error page, for a body that is not JSON.
# `isinstance(value, bool) or not isinstance(value, int | float)` catches non-numbers (`True` is an
# `int` in Python). A route may return `{"error": "validation_error", "message": ...}, 422`.
# </details>

# %% tags=["solution"]
# Exercise 3: write strict_app, whose POST /predict validates the car and answers 4xx JSON naming the field.

strict_app = Flask("strict")


def problem(body) -> str | None:  # what is wrong with a body, naming the field; None if nothing
    if not isinstance(body, dict):
        return "the body must be a JSON object describing a car"
    for name in FEATURE_NAMES:
        value = body.get(name)
        if name not in body:
            return f"missing field '{name}'"
        if name == "origin":
            if value not in ("USA", "Europe", "Japan"):
                return f"'origin' must be USA, Europe or Japan, got {json.dumps(value)}"
        elif value is None and name == "horsepower":
            continue
        elif isinstance(value, bool) or not isinstance(value, int | float):
            return f"'{name}' must be a number, got {json.dumps(value)}"
        elif name == "year" and not 1900 <= value <= 2100:
            return f"'year' must be from 1900 to 2100, got {value}"
    return None


@strict_app.post("/predict")
def strict_predict():
    body = request.get_json(silent=True)
    if wrong := problem(body):
        return {"error": "validation_error", "message": wrong}, 400 if body is None else 422
    [mpg] = model.predict([to_row(body)])
    return {"predicted_mpg": mpg, "model_id": model.model_id}


show(strict_app.test_client().post("/predict", json={**car, "year": 71}))

# %% tags=["check"]
# extra code – checks your answer to exercise 3: valid cars, then each mistake (and the field it names)
from workshop.exercise import answer, check

strict = answer("strict_app", globals())
check(isinstance(strict, Flask), "strict_app should be a Flask app: strict_app = Flask('strict')")
strict.logger.disabled = True  # a crash shows up below as a 500, without its traceback
test = strict.test_client()
for body in (car, {**car, "horsepower": None}):
    response, [mpg] = test.post("/predict", json=body), model.predict([to_row(body)])
    got = response.get_json(silent=True) or {}
    check(response.status_code == 200, f"a valid car {body} answered {response.status}: {got}")
    check(got.get("predicted_mpg") == mpg, f"predicted_mpg should be the model's, {mpg}: {got}")
mistakes = {  # label: (request, the field the message must name)
    "weight missing": ({"json": {k: v for k, v in car.items() if k != "weight"}}, "weight"),
    'weight "heavy"': ({"json": {**car, "weight": "heavy"}}, "weight"),
    "weight true": ({"json": {**car, "weight": True}}, "weight"),
    "cylinders null": ({"json": {**car, "cylinders": None}}, "cylinders"),
    "year 71": ({"json": {**car, "year": 71}}, "year"),
    "origin Germany": ({"json": {**car, "origin": "Germany"}}, "origin"),
    "a JSON list": ({"json": list(car.values())}, ""),
    "a form, not JSON": ({"data": "weight=2130"}, ""),
}
for label, (sent, field) in mistakes.items():
    response = test.post("/predict", **sent)
    got = response.get_json(silent=True)
    said = f"{label}: answered {response.status} {response.get_data(as_text=True)[:70]!r}"
    check(400 <= response.status_code < 500, f"{said}; a client's mistake is a 4xx (400 or 422)")
    check(isinstance(got, dict) and {"error", "message"} <= set(got), f"{said}; send error and message")
    check(field in str(got["message"]), f"{said}; the message should name '{field}'")
print(f"✔ {len(mistakes)} kinds of bad input, each a 4xx JSON error naming its problem; valid cars predicted")

# %% [markdown] tags=["solution"]
# The real app's validation, reduced: `parse_car()` also refuses unknown fields and out-of-range
# values and lists *every* problem, not the first; an error handler (`errors.py`) turns its
# `ValidationError` into the 422 answer, so no route repeats that code.

# %% [markdown]
# ## Key points
#
# - A Flask route is a function from a request to a response; the test client calls it without a
#   server (so do the tests).
# - Validate every request before the model sees it: otherwise bad input either crashes (500) or,
#   worse, gets a confident wrong answer (200).
# - Answer errors as JSON: a status that says whose fault it is (4xx the client's, 5xx ours) and
#   a message that names what to fix.
# - `create_app(config)` mounts the features `FEATURES` names; the same code talks to DynamoDB on
#   AWS and to moto here, because boto3 reads its endpoint from the environment.
# - One definition of a car drives validation, the OpenAPI document and the model's input order.

# %% [markdown]
# # 03 · Serve the model with Flask
#
# A model in a notebook helps nobody else. We put notebook 02's model behind an HTTP API, first
# as a ten-line Flask app, then as the workshop's real app: validated input, JSON errors, a
# `/cars` collection stored in DynamoDB, and an OpenAPI description. That app, unchanged, is
# what we package for AWS Lambda next.
#
# **What you will learn**
#
# - how a Flask route turns a JSON request into a prediction, and how to call it without a server
#   (Flask's test client);
# - why every input must be validated before it reaches the model;
# - how the real app is organised: create, read, list, replace and delete cars, stateless
#   prediction for one car or a batch, errors as JSON with the right status code;
# - how the API runs against a local DynamoDB (a moto server) with no AWS account.
#
# **Teaching:** 25 min · **Exercises:** 15 min

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again. If there is no model from notebook 02 yet, this
# cell trains one (about 10 s).

# %%
import json

from flask import Flask, request

from workshop import CARS_MODEL_DIR
from workshop.cars_data import load_cars
from workshop.local_aws import ensure_local_aws
from workshop.train_cars import ensure_model
from workshop_app import create_app
from workshop_app.car_model import load_model
from workshop_app.car_schema import FEATURE_NAMES, ValidationError, example_car, parse_car

ensure_model()  # trains one if there is no model yet, or one from an older workshop version

cars = load_cars()
car = example_car()


# extra code – prints a response the way `curl -i` would: status, key headers, pretty JSON
def show(response):
    print(f"HTTP {response.status}")
    if response.data:
        print("Content-Type:", response.content_type)
    if "Location" in response.headers:
        print("Location:", response.headers["Location"])
    if response.is_json:
        print(json.dumps(response.get_json(), indent=2, ensure_ascii=False))
    elif response.data:
        print(response.get_data(as_text=True)[:200])


# %% [markdown]
# ## 1. A tiny prediction API
#
# The model from notebook 02 is loaded once, verified (see notebook 02) and kept in memory;
# `load_model()` picks the portable format, the one Lambda runs. One route reads a car as JSON,
# puts its values in `FEATURE_NAMES` order and answers with the prediction:

# %%
model = load_model(str(CARS_MODEL_DIR))

tiny = Flask("tiny")


@tiny.post("/predict")
def tiny_predict():
    body = request.get_json()
    row = [body[name] for name in FEATURE_NAMES]
    [mpg] = model.predict([row])
    return {"predicted_mpg": mpg, "model_id": model.model_id}


# %% [markdown]
# To call it we do not need a server. Flask's **test client** hands a request straight to the
# app, through the same WSGI interface that a web server, or serverless-wsgi on Lambda, uses:

# %%
tiny_client = tiny.test_client()
show(tiny_client.post("/predict", json=car))

# %% [markdown]
# That is a working API. Ship it?
#
# ## 2. Why validation matters
#
# Strangers will call this API, by hand, from scripts, with bugs. Let us send it some cars that
# are wrong in ways people really get wrong:

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
    answer = response.get_json() if response.is_json else "an HTML error page"
    print(f"{label:19} → {response.status}: {answer}")

# %% [markdown]
# Two kinds of failure, both bad:
#
# - **Crashes** (500): the client learns nothing about what to fix, and our logs fill with
#   tracebacks that are really the client's mistakes.
# - **Silent nonsense** (200): a weight sent as a string, a two-digit year, a country that is
#   not one of the three origins... each gets a confident number. The one-hot encoder ignores
#   "Germany" and the forest happily reads year 71 as "older than anything I know". Nobody will
#   ever notice.
#
# `workshop_app.car_schema.parse_car()` checks a request body against the one definition of a
# car that the API, the OpenAPI document and the training code share (`FEATURES`): every field
# present, no unknown fields, the right JSON types, values within plausible limits, origins from
# the list. It reports **every** problem at once, so a client can fix them in one go:

# %%
for label, body in bad_cars.items():
    try:
        parse_car(body)
        print(f"{label:19} → accepted")
    except ValidationError as e:
        print(f"{label:19} → {e.problems}")

# %%
parse_car(car)  # a valid car comes back cleaned, with every feature and its name

# %% [markdown]
# ## 3. The real app
#
# `workshop_app` is the API we deploy. `create_app()` builds it (the *app factory* pattern):
# one blueprint per resource (`cars`, `predict`, `health`, `openapi`), errors turned into JSON,
# the model loaded on first use, cars stored in DynamoDB.
#
# DynamoDB needs AWS, or something that speaks its protocol. `ensure_local_aws()` starts a
# [moto](https://docs.getmoto.org) server on localhost for as long as this kernel runs (unless
# `AWS_ENDPOINT_URL` already points at one, as `make lab` arranges), creates the table that
# `serverless.yml` declares, and points boto3 at it. The app's code does not change.
#
# On Lambda the app finds the model at `models/cars` relative to where the function runs. This
# notebook runs in another directory, so we pass the absolute path as a setting.

# %%
endpoint = ensure_local_aws()
print("local AWS at", endpoint)
app = create_app({"MODEL_URI": str(CARS_MODEL_DIR)})
client = app.test_client()
show(client.get("/health"))

# %% [markdown]
# ### Create, read, list, replace, delete
#
# `POST /cars` validates the car, predicts its mpg, stores both and answers **201 Created** with
# the new car's URL in the `Location` header:

# %%
created = client.post("/cars", json=car)
show(created)
location = created.headers["Location"]

# %%
show(client.get(location))

# %% [markdown]
# `GET /cars` lists them a page at a time (`limit`, at most 100); when there are more,
# `next_token` says where the next page starts.

# %%
show(client.get("/cars", query_string={"limit": 2}))

# %% [markdown]
# `PUT` replaces a car's features; the prediction is made again. Loading a roof box and a family
# (weight 2,600 lb) should cost some mpg:

# %%
show(client.put(location, json={**car, "weight": 2600.0, "name": "datsun 510, fully loaded"}))

# %% [markdown]
# `DELETE` answers **204 No Content**; after that, the car is gone:

# %%
show(client.delete(location))
show(client.get(location))

# %% [markdown]
# ### Stateless predictions
#
# `POST /predict` stores nothing: send one car (a JSON object) or a batch (a JSON array of up to
# 1000), get predictions back. Here are four real 1980 cars from the data; how close is the
# model?


# %%
def as_requests(rows) -> list[dict]:
    """Rows of the cars table as API request bodies; unknown values (NaN) become null."""
    records = rows[[*FEATURE_NAMES, "name"]].to_dict("records")
    return [{k: None if v != v else v for k, v in r.items()} for r in records]  # NaN != NaN


sample = cars[
    cars["name"].isin(["vw rabbit", "toyota corolla tercel", "chevrolet chevette", "dodge aspen"])
    & (cars["year"] == 1980)
]
batch = as_requests(sample)
show(client.post("/predict", json=batch[0]))

# %%
response = client.post("/predict", json=batch)
show(response)
for row, mpg in zip(sample.itertuples(), response.get_json()["predictions"], strict=True):
    print(f"{row.name:22} predicted {mpg:5.1f} mpg, actual {row.mpg:5.1f}")

# %% [markdown]
# ### Errors are JSON too
#
# Every error has the same shape, `{"error": <code>, "message": <what to fix>}`, and the status
# code says whose fault it is. A car that fails validation is **422 Unprocessable Content**, with
# every problem listed:

# %%
show(client.post("/predict", json={**car, "year": 71, "origin": "Germany"}))

# %% [markdown]
# A body that is not JSON at all is **415 Unsupported Media Type**; an unknown car is **404**:

# %%
show(
    client.post("/predict", data="cylinders=4&weight=2130", content_type="application/x-www-form-urlencoded")
)
show(client.get("/cars/" + "0" * 32))

# %% [markdown]
# ### The API describes itself
#
# `GET /openapi.json` is an OpenAPI 3.1 document built from the same car schema, so it cannot
# drift from what the app accepts. Tools such as Swagger UI or client generators read it.

# %%
spec = client.get("/openapi.json").get_json()
print(spec["info"]["title"], spec["info"]["version"])
for path, operations in spec["paths"].items():
    methods = ", ".join(m.upper() for m in operations if m != "parameters")
    print(f"  {path:16} {methods}")

# %% [markdown]
# ## Exercises
#
# Write your answer in the cell under each exercise, then run the **check** cell below it.
#
# ### Exercise 1: page through the collection
#
# The next cell adds five cars. Then list **all** cars, two per page: call `GET /cars` with
# `limit=2`, collect the `carid`s, pass the response's `next_token` to the next request, and stop
# when `next_token` is `null` (`None`). Store every carid you saw, in order, in the list
# `seen_ids`.

# %%
# extra code – five cars to page through (the table may also hold cars from earlier runs)
added_ids = [client.post("/cars", json=body).get_json()["carid"] for body in as_requests(cars.head(5))]
print(f"added {len(added_ids)} cars")

# %% tags=["solution"]
# Exercise 1: set seen_ids to every carid in the table, fetched two cars at a time.

seen_ids, token, pages = [], None, 0
while True:
    params = {"limit": 2} if token is None else {"limit": 2, "next_token": token}
    page = client.get("/cars", query_string=params).get_json()
    seen_ids += [listed["carid"] for listed in page["cars"]]
    pages += 1
    token = page["next_token"]
    if token is None:
        break
print(f"{len(seen_ids)} cars in {pages} pages")

# %% tags=["check"]
# extra code – checks your answer to exercise 1
assert isinstance(seen_ids, list), "seen_ids should be a list of carids"
assert len(seen_ids) == len(set(seen_ids)), "a car appeared twice: pass each next_token on"
missing = set(added_ids) - set(seen_ids)
assert not missing, f"{len(missing)} of the added cars are missing: follow next_token to the end"
print(f"Correct: {len(seen_ids)} cars, none twice, none missing")

# %% [markdown]
# ### Exercise 2: which car would you buy?
#
# You are choosing between the five (made-up) 1982 cars in `shortlist`. With **one** request to
# `POST /predict` (a batch), find the car the model thinks is most economical and store its
# `name` in `most_efficient`.

# %%
shortlist = [
    {
        "name": "city hatchback",
        "cylinders": 4,
        "displacement": 91.0,
        "horsepower": 68.0,
        "weight": 1985.0,
        "acceleration": 16.5,
        "year": 1982,
        "origin": "Japan",
    },
    {
        "name": "family sedan",
        "cylinders": 4,
        "displacement": 140.0,
        "horsepower": 88.0,
        "weight": 2720.0,
        "acceleration": 15.8,
        "year": 1982,
        "origin": "USA",
    },
    {
        "name": "estate diesel",
        "cylinders": 4,
        "displacement": 105.0,
        "horsepower": 52.0,
        "weight": 2400.0,
        "acceleration": 21.0,
        "year": 1982,
        "origin": "Europe",
    },
    {
        "name": "pickup truck",
        "cylinders": 6,
        "displacement": 232.0,
        "horsepower": 112.0,
        "weight": 3400.0,
        "acceleration": 14.7,
        "year": 1982,
        "origin": "USA",
    },
    {
        "name": "sports coupe",
        "cylinders": 6,
        "displacement": 181.0,
        "horsepower": 145.0,
        "weight": 2910.0,
        "acceleration": 11.2,
        "year": 1982,
        "origin": "Japan",
    },
]

# %% tags=["solution"]
# Exercise 2: set most_efficient to the name of the shortlisted car with the highest prediction.

predictions = client.post("/predict", json=shortlist).get_json()["predictions"]
ranked = sorted(zip(predictions, (c["name"] for c in shortlist), strict=True), reverse=True)
most_efficient = ranked[0][1]
for mpg, name in ranked:
    print(f"{name:15} {mpg:5.1f} mpg")

# %% tags=["check"]
# extra code – checks your answer to exercise 2
names = [c["name"] for c in shortlist]
assert most_efficient in names, f"most_efficient should be one of {names}"
one_by_one = {c["name"]: client.post("/predict", json=c).get_json()["predicted_mpg"] for c in shortlist}
assert one_by_one[most_efficient] == max(one_by_one.values()), (
    f"the model predicts more mpg for another car than for the {most_efficient}"
)
print(f"Correct: the {most_efficient}, {one_by_one[most_efficient]:.1f} mpg")

# %% [markdown]
# ## Key points
#
# - A Flask route is a function from a request to a response; the test client calls it without
#   a server, which is how the tests and this notebook exercise the API.
# - Validate every request before the model sees it: otherwise bad input either crashes (500) or,
#   worse, gets a confident wrong answer (200).
# - Answer errors as JSON with a status code that says whose fault it is: 4xx for the client
#   (400, 404, 415, 422), 5xx for us.
# - `create_app()` builds the app from settings; the same code talks to DynamoDB on AWS and to a
#   local moto server here, because boto3 reads its endpoint from the environment.
# - One definition of a car drives validation, the OpenAPI document and the model's input order.

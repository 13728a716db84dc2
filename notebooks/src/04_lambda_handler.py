# %% [markdown]
# # 04 · The Lambda handler
#
# On AWS Lambda there is no web server. API Gateway turns each HTTP request into a JSON
# **event**, Lambda calls one Python function with it, `handler(event, context)`, and the
# function returns a dictionary that API Gateway turns back into an HTTP response. Our Flask app
# from notebook 03 knows nothing of events: it speaks WSGI, like any Python web app. The bridge
# is [serverless-wsgi](https://github.com/logandk/serverless-wsgi). Here we take it apart, and
# run the app exactly as Lambda will, from saved events, without AWS.
#
# **What you will learn**
#
# - what an API Gateway proxy event holds, in the REST API (v1) and HTTP API (v2) formats;
# - how serverless-wsgi turns an event into a WSGI request for Flask, and Flask's response into
#   the dictionary API Gateway expects;
# - why the URLs the app builds carry the stage (`/dev/cars/…`), and two path quirks the app
#   mends;
# - what a cold start costs before the first answer, and where the import time goes.
#
# **Teaching:** 20 min · **Exercises:** 15 min

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again. As in notebook 03, it trains a model if there is
# none yet (about 10 s) and starts local AWS, a moto server, for the `/cars` routes.

# %%
import copy
import importlib.metadata
import inspect
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import matplotlib.pyplot as plt
import pandas as pd
import serverless_wsgi
from flask import Flask, url_for

import workshop_app
from workshop import CARS_MODEL_DIR, EVENTS_DIR, ROOT
from workshop.local_aws import ensure_local_aws
from workshop.train_cars import ensure_model
from workshop_app import create_app

ensure_model()  # trains one if there is no model yet, or one from an older workshop version

endpoint = ensure_local_aws()
app = create_app({"MODEL_URI": str(CARS_MODEL_DIR)})

EVENTS = EVENTS_DIR
events = {path.stem: json.loads(path.read_text()) for path in sorted(EVENTS.glob("*.json"))}
# What Lambda passes as the second argument; serverless-wsgi only hands it on to the app.
context = SimpleNamespace(
    function_name="api",
    memory_limit_in_mb=1024,
    aws_request_id="notebook",
    get_remaining_time_in_millis=lambda: 10_000,
)
pd.set_option("display.max_colwidth", 70)
plt.rcParams.update({"figure.figsize": (11, 3.8), "axes.grid": True, "grid.alpha": 0.3})
print(f"{len(events)} saved events in {EVENTS.relative_to(ROOT)}; local AWS at {endpoint}")


# extra code – prints what a Lambda handler returned the way `curl -i` would show the response
def show(response: dict) -> None:
    print(f"statusCode {response['statusCode']}")
    if "multiValueHeaders" in response:
        headers = {k: ", ".join(v) for k, v in response["multiValueHeaders"].items()}
    else:
        headers = response.get("headers", {})
    for name, value in headers.items():
        print(f"{name}: {value}")
    body = response.get("body", "")
    if body and not response.get("isBase64Encoded"):
        try:
            body = json.dumps(json.loads(body), indent=2)
        except ValueError:
            pass
    print(f"\n{body}" if body else "")


# %% [markdown]
# ## 1. What API Gateway sends
#
# `workshop/events/` holds one saved event per request, in the two formats API Gateway speaks. This
# is `POST /predict` as a **REST API** sends it (payload format 1.0), the kind of API that
# `serverless.yml` creates with its `http:` events:

# %%
print(json.dumps(events["rest_v1_predict"], indent=2))

# %% [markdown]
# And the same request through an **HTTP API** (payload format 2.0, `httpApi:` events in
# `serverless.yml`), the newer, cheaper and simpler kind of API Gateway:

# %%
print(json.dumps(events["http_v2_predict"], indent=2))

# %% [markdown]
# The body arrives as a **string** of JSON, not as parsed JSON: API Gateway does not look inside
# it. Side by side, for `GET /cars?limit=5`, the fields that matter:


# %%
def field(event: dict, dotted: str):
    """event["a"]["b"] for "a.b"; "–" when the format has no such field."""
    value = event
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return "–"
        value = value[key]
    return value


FIELDS = [  # what it is, where REST API (v1) puts it, where HTTP API (v2) puts it
    ("format version", "version", "version"),
    ("HTTP method", "httpMethod", "requestContext.http.method"),
    ("path (no stage)", "path", "rawPath"),
    ("the route that matched", "resource", "routeKey"),
    ("query string", "queryStringParameters", "rawQueryString"),
    ("…every value of it", "multiValueQueryStringParameters", "queryStringParameters"),
    ("path parameters", "pathParameters", "pathParameters"),
    ("stage", "requestContext.stage", "requestContext.stage"),
    ("a header", "headers.Accept", "headers.accept"),
    ("…every value of it", "multiValueHeaders.Accept", "headers.accept"),
    ("body", "body", "body"),
    ("is the body base64?", "isBase64Encoded", "isBase64Encoded"),
]
v1, v2 = events["rest_v1_list"], events["http_v2_list"]
pd.DataFrame(
    [
        {
            "what": what,
            "REST API (v1) field": f1,
            "v1 value": repr(field(v1, f1)),
            "HTTP API (v2) field": f2,
            "v2 value": repr(field(v2, f2)),
        }
        for what, f1, f2 in FIELDS
    ]
).set_index("what")

# %% [markdown]
# What to notice:
#
# - **Method and path** are all the app needs to route a request. v1 has them at the top level;
#   v2 puts the method under `requestContext.http` and calls the path `rawPath`.
# - **`resource` / `routeKey`** name the route API Gateway matched, e.g. `/cars/{carid}`, with
#   its parameters in `pathParameters`. Flask ignores both: it matches the path against its own
#   routes, so the app routes the same way behind API Gateway as on your laptop.
# - **Headers**: v1 sends them twice, `headers` (the last value of each) and `multiValueHeaders`
#   (all values, as lists); v2 sends them once, names lower-cased, repeated values joined by
#   commas.
# - **`requestContext.stage`**: a REST API is deployed in *stages* (`dev`, `prod`), and its URL
#   starts with the stage: `https://abc123defg.execute-api.eu-central-1.amazonaws.com/dev/cars`.
#   The event's `path` is `/cars`, without it. An HTTP API's `$default` stage has no prefix.
# - **`body`** is text; for a binary upload API Gateway base64-encodes it and says so in
#   `isBase64Encoded`.
#
# Path parameters, from `GET /cars/{carid}`:

# %%
print("REST API:", events["rest_v1_get"]["resource"], events["rest_v1_get"]["pathParameters"])
print("HTTP API:", events["http_v2_get"]["routeKey"], events["http_v2_get"]["pathParameters"])

# %% [markdown]
# ## 2. What serverless-wsgi does
#
# `serverless.yml` names the function's handler `wsgi_handler.handler`: a file serverless-wsgi
# puts in the package. On a cold start it imports the app named in `custom.wsgi.app`
# (`workshop_app.wsgi.app`); then, for every event, it calls
# `serverless_wsgi.handle_request(app, event, context)`. That module is also on PyPI, in the
# same version as the npm plugin, so we can call it here:

# %%
plugin = json.loads((ROOT / "node_modules" / "serverless-wsgi" / "package.json").read_text())
print(
    "serverless-wsgi on PyPI:",
    importlib.metadata.version("serverless-wsgi"),
    "· npm plugin:",
    plugin["version"],
)
print(inspect.getsource(serverless_wsgi.handle_request))

# %% [markdown]
# `handle_payload_v1` and `_v2` do three things:
#
# 1. turn the event into a **WSGI environ**, the dictionary of CGI-style variables
#    (`REQUEST_METHOD`, `PATH_INFO`, `QUERY_STRING`, `HTTP_*` headers…) that every Python web
#    framework reads;
# 2. call the app with it, as a web server would;
# 3. turn the app's response into the dictionary API Gateway expects.
#
# A WSGI app is just a function of `(environ, start_response)`. To see step 1, we hand
# serverless-wsgi a "spy" app that keeps the environ it is given:

# %%
seen = {}


def spy(environ, start_response):
    seen.clear()
    seen.update(environ)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"seen"]


environs = {}
for name in ("rest_v1_list", "http_v2_list"):
    serverless_wsgi.handle_request(spy, events[name], context)
    environs[name] = dict(seen)
keys = [
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "SERVER_NAME",
    "SERVER_PORT",
    "wsgi.url_scheme",
    "REMOTE_ADDR",
    "HTTP_ACCEPT",
    "HTTP_USER_AGENT",
]
pd.DataFrame({name: {k: repr(environ.get(k)) for k in keys} for name, environ in environs.items()})

# %% [markdown]
# Both formats become the same kind of request, so Flask cannot tell them apart. Two lines carry
# more than they seem to:
#
# - `wsgi.url_scheme` is `https` and `SERVER_PORT` 443, from the `X-Forwarded-*` headers: the
#   client spoke HTTPS to API Gateway, even though the Lambda function never sees TLS.
# - `SCRIPT_NAME` is the **stage**: `/dev`, and `/$default` for the HTTP API. More on that below.
#
# The environ also carries the raw event and context (`environ["serverless.event"]`), should the
# app ever need, say, the caller's API key id from `requestContext`.
#
# ### The response
#
# Now the real app, on `POST /predict`:

# %%
serverless_wsgi.handle_request(app, events["rest_v1_predict"], context)

# %%
show(serverless_wsgi.handle_request(app, events["http_v2_predict"], context))

# %% [markdown]
# The dictionary has `statusCode`, the headers, the `body` as a string, and `isBase64Encoded`.
# The headers come back in the shape the event used: `multiValueHeaders` (lists) when the event
# had them, as REST API events do, plain `headers` otherwise. JSON and `text/*` bodies are sent
# as text; anything else (an image, a zip) is base64-encoded, and API Gateway decodes it:


# %%
def png_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "image/png")])
    return [b"\x89PNG\r\n\x1a\n..."]


serverless_wsgi.handle_request(png_app, events["http_v2_get"], context)

# %% [markdown]
# ### Every saved event
#
# `tests/e2e/test_artifact.py` sends every saved event to the packaged handler. Let us do the same
# with the app here. The `get` events ask for one particular car, so we store it first:

# %%
# extra code – stores the car that the saved `get` events ask for
carid = events["rest_v1_get"]["pathParameters"]["carid"]
app.extensions["car_store"].put(
    {
        "carid": carid,
        "name": "stored before",
        "cylinders": 4,
        "displacement": 97.0,
        "horsepower": 88.0,
        "weight": 2130.0,
        "acceleration": 14.5,
        "year": 1971,
        "origin": "Japan",
        "predicted_mpg": 27.0,
        "model_id": "notebook",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
    }
)


def request_line(event: dict) -> str:
    """What the client asked for, e.g. "GET /cars?limit=5", from an event of either format."""
    if event.get("version") == "2.0":
        method, path = event["requestContext"]["http"]["method"], event["rawPath"]
        query = event["rawQueryString"]
    else:
        method, path = event["httpMethod"], event["path"] or '""'
        query = "&".join(f"{k}={v}" for k, v in (event["queryStringParameters"] or {}).items())
    return f"{method} {path}" + (f"?{query}" if query else "")


def headers_of(response: dict) -> dict[str, str]:
    """The response's headers, one value each, whichever shape serverless-wsgi used."""
    if "multiValueHeaders" in response:
        return {k: v[-1] for k, v in response["multiValueHeaders"].items()}
    return response.get("headers", {})


# %%
rows = []
for name, event in events.items():
    response = serverless_wsgi.handle_request(app, event, context)
    rows.append(
        {
            "event": name,
            "request": request_line(event),
            "status": response["statusCode"],
            "Location": headers_of(response).get("Location", ""),
            "body": response.get("body", "")[:60],
        }
    )
pd.DataFrame(rows).set_index("event")

# %% [markdown]
# ### The stage in the URLs the app builds
#
# Look at the `Location` of `rest_v1_create`: `/dev/cars/<carid>`. The client called
# `https://…amazonaws.com/dev/cars`; the event's path is `/cars`, but a link back must include
# `/dev`, or it would point outside the API. serverless-wsgi takes care of it: when the `Host`
# is an `execute-api` domain, it sets `SCRIPT_NAME` to `/<stage>`, the WSGI way of saying "this
# app is mounted under /dev". Flask's `url_for()`, and so every link the app builds, then starts
# with it. On a custom domain (`api.example.com/cars`) the Host is yours, and there is no prefix.
#
# ### Two path quirks the app mends
#
# To see them, here is a bare Flask app with the same kind of routes, without the mending:

# %%
bare = Flask("bare")


@bare.get("/")
def bare_index():
    return {"cars": url_for("bare_cars")}


@bare.get("/cars")
def bare_cars():
    return {"self": url_for("bare_cars")}


show(serverless_wsgi.handle_request(bare, events["rest_v1_root_offline"], context))

# %% [markdown]
# **1. The root path arrives empty.** serverless-offline (notebook 05) sends `GET /` with
# `"path": ""` ([serverless-offline issue 1832](https://github.com/dherault/serverless-offline/issues/1832)).
# Werkzeug answers an empty path with a **308** redirect to `/`, and on an `https` URL (see
# `wsgi.url_scheme`) that the local emulator does not serve. The app answers 200:

# %%
show(serverless_wsgi.handle_request(app, events["rest_v1_root_offline"], context))

# %% [markdown]
# **2. `/$default` in HTTP API links.** serverless-wsgi 3.1.0 sets `SCRIPT_NAME` from the stage
# for HTTP APIs too, so links come out as `/$default/cars`: but the `$default` stage has no
# prefix in the URL, so that link is dead:

# %%
print("bare app:", serverless_wsgi.handle_request(bare, events["http_v2_list"], context)["body"])
created = serverless_wsgi.handle_request(app, events["http_v2_create"], context)
print("our app: Location", headers_of(created)["Location"])

# %% [markdown]
# Both fixes are a few lines of WSGI middleware in `workshop_app/__init__.py`, which wraps the
# Flask app before serverless-wsgi sees it:

# %%
print(inspect.getsource(workshop_app._api_gateway_paths))

# %% [markdown]
# ## 3. Cold starts
#
# Lambda runs each request in a *container*. The first request to a new container is a **cold
# start**: Lambda starts Python, imports the handler, which imports the app, and only then
# handles the event. Later requests to the same container are *warm*: the app and the model are
# already in memory and answer in milliseconds. Cold starts happen on the first request after a
# deploy, after some idle minutes, and whenever traffic needs one more container in parallel; the
# client waits for them.
#
# So imports are paid for on every cold start. Python's `-X importtime` reports what each import
# cost, in a fresh interpreter (this is your laptop, not Lambda, so read the proportions):

# %%
result = subprocess.run(
    [sys.executable, "-X", "importtime", "-c", "import workshop_app.wsgi"],
    capture_output=True,
    text=True,
    check=True,
)
imports = []  # lines like "import time:       378 |     144279 |             werkzeug"
lines = result.stderr.splitlines()
startup = [i for i, line in enumerate(lines) if line.endswith("| site")]  # Python's own start
for line in lines[startup[-1] + 1 if startup else 0 :]:
    self_us, cumulative_us, module = line.removeprefix("import time:").split("|")
    if self_us.strip().isdigit():  # not the header line
        imports.append(
            {
                "module": module.strip(),
                "self_ms": int(self_us) / 1000,
                "cumulative_ms": int(cumulative_us) / 1000,
            }
        )
imports = pd.DataFrame(imports)
by_package = imports.groupby(imports["module"].str.split(".").str[0])["self_ms"].sum()
top = by_package.sort_values(ascending=False).head(10)
app_total = imports.loc[imports["module"] == "workshop_app.wsgi", "cumulative_ms"].item()
print(f"{len(imports)} modules imported by the app; `import workshop_app.wsgi` took {app_total:.0f} ms")
top.round(1).to_frame("ms (own time of its modules)")

# %%
ax = top.sort_values().plot.barh(color="tab:blue")
ax.set(xlabel="ms", ylabel="", title="Where `import workshop_app.wsgi` spends its time, by package")
plt.show()

# %% [markdown]
# Flask and what it pulls in (Werkzeug, Jinja2 for templates, Click for its command line) are
# most of it. The app itself is a few milliseconds.
#
# What is **not** there matters more: numpy, scikit-learn and boto3. The model is evaluated in
# pure Python (`workshop_app/portable_model.py`, see notebook 02), and boto3 is imported on the
# first request that needs DynamoDB (`workshop_app/cars_table.py`). Let us check which heavy modules
# a fresh interpreter has imported after answering its first event:

# %%
FIRST_REQUEST = """
import json, sys, time
started = time.perf_counter()
import serverless_wsgi, workshop_app.wsgi
event = json.load(open(sys.argv[1]))
response = serverless_wsgi.handle_request(workshop_app.wsgi.app, event, None)
heavy = [m for m in ("numpy", "sklearn", "pandas", "joblib", "boto3") if m in sys.modules]
print(json.dumps({"status": response["statusCode"], "heavy": heavy,
                  "seconds": time.perf_counter() - started}))
"""


def first_request(name: str) -> dict:
    """Import the app in a fresh Python and answer one saved event: a cold start, roughly."""
    environment = {**os.environ, "MODEL_URI": str(CARS_MODEL_DIR)}  # plus local AWS's settings
    out = subprocess.run(
        [sys.executable, "-c", FIRST_REQUEST, str(EVENTS / f"{name}.json")],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


pd.DataFrame.from_dict(
    {name: first_request(name) for name in ("rest_v1_predict", "rest_v1_list")}, orient="index"
)

# %% [markdown]
# A prediction imports none of them; listing cars imports boto3, which takes a few hundred
# milliseconds, because it reads DynamoDB. Notebook 05 measures real cold starts of the packaged
# function, and what scikit-learn would have cost.
#
# ## Exercises
#
# Write your answer in the cell under each exercise, then run the **check** cell below it.
#
# ### Exercise 1: an HTTP API event of your own
#
# Make the event an HTTP API (v2) would send for `GET /cars?limit=2`: start from a **copy** of
# `events["http_v2_list"]` (`copy.deepcopy`, so the saved event stays as it is) and change what
# needs changing. Store the event in `list_event`, send it through
# `serverless_wsgi.handle_request(app, list_event, context)` and store the result in
# `list_response`. Which field does serverless-wsgi read the query string from, for v2?

# %% tags=["solution"]
# Exercise 1: set list_event to an HTTP API event for GET /cars?limit=2, list_response to its answer.

list_event = copy.deepcopy(events["http_v2_list"])
list_event["rawQueryString"] = "limit=2"  # what serverless-wsgi reads for v2
list_event["queryStringParameters"] = {"limit": "2"}  # what a Lambda function might read instead
list_response = serverless_wsgi.handle_request(app, list_event, context)
show(list_response)

# %% tags=["check"]
# extra code – checks your answer to exercise 1
assert events["http_v2_list"]["rawQueryString"] == "limit=5", (
    "the saved event was changed: start from copy.deepcopy(events['http_v2_list'])"
)
assert list_event["version"] == "2.0" and "headers" in list_response, "send an HTTP API (v2) event"
assert list_response["statusCode"] == 200, f"expected 200, got {list_response['statusCode']}"
listed = json.loads(list_response["body"])["cars"]
assert 1 <= len(listed) <= 2, f"expected at most 2 cars, got {len(listed)}: is the limit in rawQueryString?"
print(f"Correct: {len(listed)} cars, next_token {json.loads(list_response['body'])['next_token']!r}")

# %% [markdown]
# ### Exercise 2: delete a car through a REST API event
#
# The next cell creates a car through the handler and prints its `Location`. Make the REST API
# (v1) event for `DELETE` of that car, starting from a copy of `events["rest_v1_get"]`: the
# method, the path, the matched route's parameters and the `requestContext` copies of them.
# Careful: `Location` includes the stage, the event's `path` does not. Store the event in
# `delete_event` and the handler's answer in `delete_response`. You should get **204**.

# %%
# extra code – creates a car through the handler, as API Gateway would
created = serverless_wsgi.handle_request(app, events["rest_v1_create"], context)
new_location = headers_of(created)["Location"]
new_carid = json.loads(created["body"])["carid"]
print(created["statusCode"], "Location:", new_location)

# %% tags=["solution"]
# Exercise 2: set delete_event to a REST API event for DELETE of the new car, delete_response to its answer.

path = new_location.removeprefix("/" + events["rest_v1_get"]["requestContext"]["stage"])
delete_event = copy.deepcopy(events["rest_v1_get"])
delete_event["httpMethod"] = "DELETE"
delete_event["path"] = path
delete_event["pathParameters"] = {"carid": new_carid}
delete_event["requestContext"].update(httpMethod="DELETE", path=new_location, requestId="req-delete")
delete_response = serverless_wsgi.handle_request(app, delete_event, context)
show(delete_response)

# %% tags=["check"]
# extra code – checks your answer to exercise 2
assert delete_event["httpMethod"] == "DELETE", "set the event's httpMethod"
assert delete_event["path"] == f"/cars/{new_carid}", (
    f"the event's path is the URL path without the stage, /cars/{new_carid}; got {delete_event['path']!r}"
)
assert events["rest_v1_get"]["httpMethod"] == "GET", "the saved event was changed: copy it first"
assert delete_response["statusCode"] == 204, f"expected 204, got {delete_response['statusCode']}"
again = serverless_wsgi.handle_request(app, {**events["rest_v1_get"], "path": delete_event["path"]}, context)
assert again["statusCode"] == 404, "the car should be gone"
print("Correct: 204 No Content, and the car is gone")

# %% [markdown]
# ## Key points
#
# - API Gateway hands Lambda each request as a JSON event: method, path, query string, headers
#   and the body as a string. REST APIs (v1) and HTTP APIs (v2) put these in different fields.
# - serverless-wsgi's handler turns the event into a WSGI environ, calls the Flask app, and turns
#   its response into `statusCode`, `headers` or `multiValueHeaders`, `body`, `isBase64Encoded`.
#   The app does not know it runs on Lambda.
# - A REST API's stage is part of the URL but not of the event's path; serverless-wsgi puts it in
#   `SCRIPT_NAME`, so the links the app builds (`Location: /dev/cars/…`) are right.
# - Adapters have quirks (an empty root path, a `/$default` prefix): test the handler with saved
#   events of every format you deploy, as `workshop/events/` does.
# - Every cold start pays for the imports: keep heavy libraries out of the request path (no
#   numpy, scikit-learn or pandas for a prediction here), and measure with `-X importtime`.

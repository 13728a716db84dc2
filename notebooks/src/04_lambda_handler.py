# %% [markdown]
# # 04 · The Lambda handler
#
# On AWS Lambda there is no web server. API Gateway turns each HTTP request into a JSON
# **event**, Lambda calls one Python function with it, `handler(event, context)`, and API Gateway
# turns the dictionary it returns back into an HTTP response. Our Flask app (notebook 03) speaks
# WSGI, like any Python web app; [serverless-wsgi](https://github.com/logandk/serverless-wsgi) is
# the bridge. Here we take it apart and run the app as Lambda will, from saved events, without AWS.
#
# **What you will learn**
#
# - what an API Gateway proxy event holds, in the REST API (v1) and HTTP API (v2) formats;
# - how serverless-wsgi turns an event into a WSGI request for Flask, and Flask's response into
#   the dictionary API Gateway expects;
# - how to build an event for any route, call the real handler with it, and read its answer;
# - why the URLs the app builds carry the stage (`/dev/cars/…`), and two path quirks the app
#   mends.
#
# **Prerequisites:** notebook 03 (the Flask app and its routes); Python dictionaries and JSON.
#
# **Teaching:** 20 min · **Exercises:** 20 min

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
from types import SimpleNamespace

import pandas as pd
import serverless_wsgi
from flask import Flask, url_for

import workshop_app
from workshop import CARS_MODEL_DIR, EVENTS_DIR, ROOT
from workshop.local_aws import ensure_local_aws
from workshop.train_cars import ensure_model
from workshop_app import create_app
from workshop_app.car_schema import example_car

ensure_model()  # trains one if there is no model yet, or one from an older workshop version
endpoint = ensure_local_aws()
app = create_app({"MODEL_URI": str(CARS_MODEL_DIR)})

events = {path.stem: json.loads(path.read_text()) for path in sorted(EVENTS_DIR.glob("*.json"))}
# What Lambda passes as the second argument; serverless-wsgi only hands it on to the app.
context = SimpleNamespace(
    function_name="api", aws_request_id="nb", get_remaining_time_in_millis=lambda: 10_000
)
pd.set_option("display.max_colwidth", 70)
print(f"{len(events)} saved events in {EVENTS_DIR.relative_to(ROOT)}; local AWS at {endpoint}")


# extra code – a response's headers, one value each, in either shape; the response as `curl -i` shows it
def headers_of(response: dict) -> dict[str, str]:
    if "multiValueHeaders" in response:
        return {k: v[-1] for k, v in response["multiValueHeaders"].items()}
    return response.get("headers", {})


def show(response: dict) -> None:
    print(f"statusCode {response['statusCode']}")
    print("\n".join(f"{name}: {value}" for name, value in headers_of(response).items()))
    body = response.get("body", "")
    if headers_of(response).get("Content-Type") == "application/json":
        body = json.dumps(json.loads(body), indent=2)
    print(f"\n{body}" if body else "")


# %% [markdown]
# ## 1. What API Gateway sends
#
# `workshop/events/` holds one saved event per request, in the two formats API Gateway speaks:
# `POST /predict` as a **REST API** sends it (payload format 1.0, the kind of API `serverless.yml`
# creates with its `http:` events), then through an **HTTP API** (payload format 2.0, `httpApi:`
# events), the newer, cheaper and simpler kind of API Gateway:

# %%
for name in ("rest_v1_predict", "http_v2_predict"):
    print(f"--- {name}\n{json.dumps(events[name], indent=2)}")

# %% [markdown]
# The body arrives as a **string** of JSON, not as parsed JSON: API Gateway does not look inside
# it. Side by side, for `GET /cars?limit=5`, the fields that matter:


# %%
def field(event: dict, dotted: str):
    """event["a"]["b"] for "a.b"; "–" when the format has no such field."""
    for key in dotted.split("."):
        event = event.get(key, "–") if isinstance(event, dict) else "–"
    return event


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
rows = [(what, f1, repr(field(v1, f1)), f2, repr(field(v2, f2))) for what, f1, f2 in FIELDS]
pd.DataFrame(rows, columns=["what", "v1 field", "v1 value", "v2 field", "v2 value"]).set_index("what")

# %% [markdown]
# - **Method and path** are all the app needs to route a request. v1 has them at the top level;
#   v2 puts the method under `requestContext.http` and calls the path `rawPath`.
# - **`resource` / `routeKey`** name the route API Gateway matched, e.g. `/cars/{carid}`, with
#   its parameters in `pathParameters`. Flask ignores both: it matches the path against its own
#   routes, so the app routes the same way behind API Gateway as on your laptop.
# - **Headers**: v1 sends them twice, `headers` (the last value of each) and `multiValueHeaders`
#   (all values, as lists); v2 sends them once, lower-cased, repeated values joined by commas.
# - **`requestContext.stage`**: a REST API is deployed in *stages* (`dev`, `prod`), and its URL
#   starts with the stage (`https://abc123defg.execute-api.eu-central-1.amazonaws.com/dev/cars`);
#   the event's `path`, `/cars`, does not. An HTTP API's `$default` stage has no prefix.
# - **`body`** is text; a binary upload comes base64-encoded, with `isBase64Encoded` true.

# %% [markdown]
# ## 2. What serverless-wsgi does
#
# `serverless.yml` names the function's handler `wsgi_handler.handler`: a file serverless-wsgi
# puts in the package. On a cold start it imports the app named in `custom.wsgi.app`
# (`workshop_app.wsgi.app`); then, for every event, its `handler(event, context)` calls
# `serverless_wsgi.handle_request(app, event, context)`. That module is also on PyPI, in the
# same version as the npm plugin, so we can call it here:

# %%
plugin = json.loads((ROOT / "node_modules" / "serverless-wsgi" / "package.json").read_text())
pypi, npm = importlib.metadata.version("serverless-wsgi"), plugin["version"]
print(f"serverless-wsgi {pypi} from PyPI, {npm} from npm")
print(inspect.getsource(serverless_wsgi.handle_request))

# %% [markdown]
# `handle_payload_v1` and `_v2` turn the event into a **WSGI environ** (the CGI-style variables
# `REQUEST_METHOD`, `PATH_INFO`, `QUERY_STRING`, `HTTP_*`… that every Python web framework reads),
# call the app with it as a web server would, and turn its answer into API Gateway's dictionary.
#
# A WSGI app is just a function of `(environ, start_response)`. To see the environ, we hand
# serverless-wsgi a "spy" app that keeps the one it is given:

# %%
environs = {}
for name in ("rest_v1_list", "http_v2_list"):

    def spy(environ, start_response, name=name):
        environs[name] = environ
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"seen"]

    serverless_wsgi.handle_request(spy, events[name], context)
keys = ["REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "SERVER_NAME"]
keys += ["SERVER_PORT", "wsgi.url_scheme", "REMOTE_ADDR", "HTTP_ACCEPT", "HTTP_USER_AGENT"]
pd.DataFrame({name: {k: repr(environ.get(k)) for k in keys} for name, environ in environs.items()})

# %% [markdown]
# Both formats become the same kind of request: Flask cannot tell them apart. `wsgi.url_scheme`
# `https` and `SERVER_PORT` 443 come from the `X-Forwarded-*` headers (the client spoke HTTPS to
# API Gateway; the function never sees TLS), and `SCRIPT_NAME` is the **stage**: `/dev`, and
# `/$default` for the HTTP API. More on that below.
#
# ### The handler and its response
#
# What Lambda calls once `wsgi_handler` has imported our app (we call it as Lambda would):


# %%
def handler(event: dict, context) -> dict:
    """serverless-wsgi's wsgi_handler.handler, with the app imported."""
    return serverless_wsgi.handle_request(app, event, context)


handler(events["rest_v1_predict"], context)

# %%
show(handler(events["http_v2_predict"], context))

# %% [markdown]
# The dictionary has `statusCode`, the headers, the `body` as a string, and `isBase64Encoded`.
# The headers come back in the shape the event used: `multiValueHeaders` (lists) when the event
# had them, as REST API events do, plain `headers` otherwise. JSON and `text/*` bodies are sent
# as text; anything else (an image, a zip) goes base64-encoded, `isBase64Encoded: true`, and API
# Gateway decodes it for the client.
#
# ### Every saved event
#
# `tests/e2e/test_artifact.py` sends every saved event to the packaged handler; so do we. The
# `get` events ask for one particular car, stored first:

# %%
# extra code – stores the car that the saved `get` events ask for
carid, stamp = events["rest_v1_get"]["pathParameters"]["carid"], "2026-01-01T00:00:00.000Z"
stored = {"carid": carid, "predicted_mpg": 27.0, "model_id": "nb", "created_at": stamp, "updated_at": stamp}
app.extensions["car_store"].put(example_car() | stored)

# %%
rows = []
for name, event in events.items():
    route = event.get("routeKey") or f"{event['httpMethod']} {event['resource']}"  # v2, else v1
    response = handler(event, context)
    location = headers_of(response).get("Location", "")
    rows.append((name, route, response["statusCode"], location, response.get("body", "")[:60]))
pd.DataFrame(rows, columns=["event", "route", "status", "Location", "body"]).set_index("event")

# %% [markdown]
# ### The stage in the URLs the app builds
#
# The `Location` of `rest_v1_create` is `/dev/cars/<carid>`. The client called
# `https://…amazonaws.com/dev/cars`; the event's path is `/cars`, but a link back needs `/dev`.
# When the `Host` is an `execute-api` domain, serverless-wsgi sets `SCRIPT_NAME` to `/<stage>`
# ("this app is mounted under /dev"), and Flask's `url_for()` starts every link with it. On a
# custom domain (`api.example.com/cars`) there is no prefix.
#
# ### Two path quirks the app mends
#
# To see them, here is a bare Flask app with the same kind of routes, without the mending:

# %%
bare = Flask("bare")  # one route that links to itself, and the root
bare.add_url_rule("/", "index", lambda: {"cars": url_for("cars")})
bare.add_url_rule("/cars", "cars", lambda: {"self": url_for("cars")})
show(serverless_wsgi.handle_request(bare, events["rest_v1_root_offline"], context))

# %% [markdown]
# **1. The root path arrives empty.** serverless-offline (notebook 06) sends `GET /` with
# `"path": ""` ([serverless-offline issue 1832](https://github.com/dherault/serverless-offline/issues/1832)).
# Werkzeug answers an empty path with a **308** redirect to `/`, and on an `https` URL (see
# `wsgi.url_scheme`) that the local emulator does not serve. The app answers 200:

# %%
show(handler(events["rest_v1_root_offline"], context))

# %% [markdown]
# **2. `/$default` in HTTP API links.** serverless-wsgi 3.1.0 sets `SCRIPT_NAME` from the stage
# for HTTP APIs too, so links come out as `/$default/cars`: but the `$default` stage has no
# prefix in the URL, so that link is dead:

# %%
print("bare app:", serverless_wsgi.handle_request(bare, events["http_v2_list"], context)["body"])
print("our app: Location", headers_of(handler(events["http_v2_create"], context))["Location"])

# %% [markdown]
# Both fixes are a few lines of WSGI middleware in `workshop_app/__init__.py`, which wraps the
# Flask app before serverless-wsgi sees it:

# %%
print(inspect.getsource(workshop_app._api_gateway_paths))

# %% [markdown]
# ## Exercises
#
# Write your answer in the cell under each exercise, then run the **check** cell below it.
#
# ### Exercise 1: read a response
#
# Send the saved event `events["rest_v1_bad_body"]` (a REST API `POST /predict` whose body is
# not valid JSON) through `handler(event, context)`, and read the answer as API Gateway would: store
# its status code (an `int`) in `bad_status`, its `Content-Type` header (a string) in
# `bad_content_type`, and the `error` field of its JSON body in `bad_error`.
#
# <details><summary>Hint</summary>
#
# A REST API event gets `multiValueHeaders` back: each value is a **list**. The body is a string:
# `json.loads()` it first.
# </details>

# %% tags=["solution"]
# Exercise 1: set bad_status, bad_content_type and bad_error from the handler's answer.

bad_response = handler(events["rest_v1_bad_body"], context)
bad_status = bad_response["statusCode"]
bad_content_type = bad_response["multiValueHeaders"]["Content-Type"][0]
bad_error = json.loads(bad_response["body"])["error"]
print(bad_status, bad_content_type, bad_error)

# %% tags=["check"]
# extra code – checks your answer to exercise 1
from workshop.exercise import answer, check

status, content_type = answer("bad_status", globals()), answer("bad_content_type", globals())
error = answer("bad_error", globals())
expected = handler(events["rest_v1_bad_body"], context)
check(status == expected["statusCode"], f"bad_status should be the statusCode, not {status!r}")
check(isinstance(content_type, str), f"bad_content_type is {content_type!r}: take the value out of its list")
check(content_type == "application/json", f"Content-Type is application/json, not {content_type!r}")
check(error == json.loads(expected["body"])["error"], f"bad_error is the body's `error`, not {error!r}")
print(f"✔ {status} {content_type}: {error!r}, the app's JSON error shape behind API Gateway")

# %% [markdown]
# ### Exercise 2: an HTTP API event of your own
#
# Make the event an HTTP API (v2) would send for `GET /cars?limit=2`: start from a **copy** of
# `events["http_v2_list"]` (`copy.deepcopy`, so the saved event stays as it is) and change what
# needs changing. Store the event in `list_event`, send it through `handler(list_event, context)`
# and store the result in `list_response`.
#
# <details><summary>Hint</summary>
#
# Look at the table in section 1: for v2, serverless-wsgi reads the query string from
# `rawQueryString` (`"limit=2"`). Keep `queryStringParameters` in step, as API Gateway would.
# </details>

# %% tags=["solution"]
# Exercise 2: set list_event to an HTTP API event for GET /cars?limit=2, list_response to its answer.

list_event = copy.deepcopy(events["http_v2_list"])
list_event["rawQueryString"] = "limit=2"  # what serverless-wsgi reads for v2
list_event["queryStringParameters"] = {"limit": "2"}  # what a Lambda function might read instead
list_response = handler(list_event, context)
show(list_response)

# %% tags=["check"]
# extra code – checks your answer to exercise 2
from workshop.exercise import answer, check

event, response = answer("list_event", globals()), answer("list_response", globals())
check(events["http_v2_list"]["rawQueryString"] == "limit=5", "the saved event changed: start from a deepcopy")
check(event.get("version") == "2.0" and "headers" in response, "send an HTTP API (v2) event")
check(response["statusCode"] == 200, f"expected 200, got {response['statusCode']}: {response.get('body')}")
listed = json.loads(response["body"])["cars"]
check(1 <= len(listed) <= 2, f"{len(listed)} cars came back, not at most 2: is the limit in rawQueryString?")
print(f"✔ {len(listed)} cars, next_token {json.loads(response['body'])['next_token']!r}")

# %% [markdown]
# ### Exercise 3: delete a car through a REST API event
#
# The next cell creates a car through the handler and prints its `Location`. Make the REST API
# (v1) event for `DELETE` of that car, starting from a copy of `events["rest_v1_get"]`: the
# method, the path, the matched route's parameters and the `requestContext` copies of them.
# Store the event in `delete_event` and the handler's answer in `delete_response`. You should
# get **204**.
#
# <details><summary>Hint</summary>
#
# `Location` includes the stage (`/dev/cars/…`); the event's `path` does not. The new car's id
# is in `new_carid`; `pathParameters` is `{"carid": new_carid}`.
# </details>

# %%
# extra code – creates a car through the handler, as API Gateway would
created = handler(events["rest_v1_create"], context)
new_location = headers_of(created)["Location"]
new_carid = json.loads(created["body"])["carid"]
print(created["statusCode"], "Location:", new_location)

# %% tags=["solution"]
# Exercise 3: set delete_event to a REST API event for DELETE of the new car, delete_response to its answer.

path = new_location.removeprefix("/" + events["rest_v1_get"]["requestContext"]["stage"])
delete_event = copy.deepcopy(events["rest_v1_get"])
delete_event["httpMethod"] = "DELETE"
delete_event["path"] = path
delete_event["pathParameters"] = {"carid": new_carid}
delete_event["requestContext"].update(httpMethod="DELETE", path=new_location, requestId="req-delete")
delete_response = handler(delete_event, context)
show(delete_response)

# %% tags=["check"]
# extra code – checks your answer to exercise 3
from workshop.exercise import answer, check

event, response = answer("delete_event", globals()), answer("delete_response", globals())
check(event.get("httpMethod") == "DELETE", "set the event's httpMethod to DELETE")
wanted = f"/cars/{new_carid}"
check(
    event.get("path") == wanted,
    f"path is the URL's path without the stage, {wanted}, not {event.get('path')!r}",
)
check(events["rest_v1_get"]["httpMethod"] == "GET", "the saved event changed: start from a deepcopy")
check(response["statusCode"] == 204, f"expected 204, got {response['statusCode']}: {response.get('body')}")
again = handler({**events["rest_v1_get"], "path": event["path"]}, context)
check(again["statusCode"] == 404, f"GET of the car answers {again['statusCode']}: it should be gone")
print("✔ 204 No Content, and the car is gone")

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
#   events of every format you deploy. An event is a dictionary: copy one to try any route.

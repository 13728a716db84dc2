"""GET /: the links to what this deployment serves, or the demo page for a browser.

Browsers (which prefer `text/html`) get the demo page; everyone else (curl, requests, the tests:
no `Accept`, `*/*` or `application/json`) gets the JSON index, so the API's entry point stays
machine-readable. The page is one response, its script and style inlined: behind API Gateway every
extra file would be another request and Lambda invocation. It calls the API with URLs relative to
the app's root (`/dev/` behind an API Gateway stage).
"""

from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify, make_response, render_template, request, url_for
from markupsafe import Markup

from .car_schema import FEATURES, NAME

bp = Blueprint("index", __name__)
TEMPLATES = Path(__file__).parent / "templates" / "demo"
#: What each feature is called in the index's name.
TITLES = {"cars": "car mpg API", "jobs": "SmartCat document jobs"}


def features() -> tuple[str, ...]:
    """The features this app mounts (settings.FEATURES order)."""
    return tuple(current_app.config["FEATURES"].split(","))


def wants_html() -> bool:
    """True when the client prefers an HTML page to JSON (a browser navigating to the URL)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


@cache
def _asset(name: str) -> Markup:
    return Markup((TEMPLATES / name).read_text(encoding="utf-8"))  # noqa: S704 (our own file)


def links() -> dict[str, str]:
    """The index's links: health and the OpenAPI document, and each mounted feature's routes."""
    found = {"health": url_for("health.health")}
    if "cars" in features():
        found |= {"cars": url_for("cars.list_cars"), "predict": url_for("predict.predict")}
    if "jobs" in features():
        found["jobs"] = url_for("jobs.create_job")
    return found | {"openapi": url_for("openapi.openapi_json")}


def page() -> str:
    """The demo page's HTML. The car form is built from car_schema, like validation is."""
    return render_template(
        "demo/index.html",
        features=FEATURES,
        name_field=NAME,
        ints={f.name for f in FEATURES if f.kind is int},
        base=request.script_root + "/",
        cars="cars" in features(),
        jobs="jobs" in features(),
        script=_asset("demo.js"),
        style=_asset("demo.css"),
    )


@bp.get("/")
def index():
    """The demo page for browsers; for API clients `{"name", "links"}`."""
    if wants_html():
        response = make_response(page())
    else:
        name = " + ".join(TITLES[f] for f in features())
        response = jsonify({"name": f"Serverless ML workshop: {name}", "links": links()})
    response.vary.add("Accept")
    return response

"""The demo page: a browser's way into the API (predict, the cars collection, SmartCat jobs).

`GET /` answers browsers (which prefer `text/html`) with this page and everyone else (curl,
requests, the tests: no `Accept`, `*/*` or `application/json`) with the JSON index, so the API's
entry point stays machine-readable. The page is one response: its script and style are inlined,
because behind API Gateway every extra file would be another request and Lambda invocation.
It calls the API with URLs relative to the app's root (`/dev/` behind an API Gateway stage).
"""

from functools import cache
from pathlib import Path

from flask import current_app, render_template, request
from markupsafe import Markup

from .car_schema import FEATURES, NAME

TEMPLATES = Path(__file__).parent / "templates" / "demo"


def wants_html() -> bool:
    """True when the client prefers an HTML page to JSON (a browser navigating to the URL)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


@cache
def _asset(name: str) -> Markup:
    return Markup((TEMPLATES / name).read_text(encoding="utf-8"))  # noqa: S704 (our own file)


def _has_jobs_api() -> bool:
    """Whether this deployment has the SmartCat jobs API (POST /jobs)."""
    return any(rule.rule == "/jobs" and "POST" in rule.methods for rule in current_app.url_map.iter_rules())


def page() -> str:
    """The demo page's HTML. The car form is built from car_schema, like validation is."""
    return render_template(
        "demo/index.html",
        features=FEATURES,
        name_field=NAME,
        ints={f.name for f in FEATURES if f.kind is int},
        base=request.script_root + "/",
        jobs=_has_jobs_api(),
        script=_asset("demo.js"),
        style=_asset("demo.css"),
    )

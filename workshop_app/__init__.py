"""The workshop's Flask app: predicts a car's mpg and keeps a collection of cars in DynamoDB.

`create_app()` is the entry point for serverless-wsgi on Lambda, for `flask --app workshop_app`
locally, and for the tests (which pass a mapping that overrides the settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def _api_gateway_paths(wsgi_app):
    """Mend two path quirks of the Lambda adapters, so URLs the app builds are right:

    - serverless-offline sends the root route as path "" (serverless-offline issue 1832);
      Werkzeug would answer with a 308 redirect to "/" (on https, as serverless-wsgi sets it).
    - serverless-wsgi 3.1.0 mounts an HTTP API (v2) app at "/$default", but the `$default`
      stage has no path prefix: `Location: /$default/cars/..` would be a dead link.
    """

    def app(environ, start_response):
        if not environ.get("PATH_INFO"):
            environ["PATH_INFO"] = "/"
        if environ.get("SCRIPT_NAME") == "/$default":
            environ["SCRIPT_NAME"] = ""
        return wsgi_app(environ, start_response)

    return app


def create_app(config: Mapping | None = None) -> Flask:
    # Imported here, not at the top: SmartCat's pipeline functions import workshop_app.smartcat
    # (and so this package) but serve no HTTP; importing Flask would add ~0.3 s to their cold
    # start for nothing (tests/test_pipeline.py checks they do not).
    from flask import Flask, jsonify, make_response, url_for

    from . import cars, demo_page, errors, health, jobs, openapi, predict, settings
    from .model_store import ModelHolder
    from .smartcat.job_files import JobFiles
    from .smartcat.jobs_store import JobStore
    from .storage import CarStore, keep_sdk_logs_quiet

    keep_sdk_logs_quiet()
    app = Flask(__name__)
    app.wsgi_app = _api_gateway_paths(app.wsgi_app)
    app.config.from_mapping(settings.from_env())
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # keep fields in the order the schema lists them
    app.extensions["car_store"] = CarStore(app.config["CARS_TABLE"])
    app.extensions["car_model"] = ModelHolder(
        app.config["MODEL_URI"], app.config["MODEL_SHA256"], app.config["MODEL_FORMAT"]
    )
    app.extensions["job_store"] = JobStore(app.config["JOBS_TABLE"], app.config["JOB_RETENTION_DAYS"])
    app.extensions["job_files"] = JobFiles(app.config["DOCUMENTS_BUCKET"])
    errors.register(app)
    for module in (health, cars, predict, jobs, openapi):
        app.register_blueprint(module.bp)

    @app.get("/")
    def index():
        # A browser gets the demo page; API clients get the links (see demo_page.py).
        if demo_page.wants_html():
            response = make_response(demo_page.page())
        else:
            response = jsonify(
                {
                    "name": "Serverless ML workshop: car mpg API",
                    "links": {
                        "health": url_for("health.health"),
                        "cars": url_for("cars.list_cars"),
                        "predict": url_for("predict.predict"),
                        "openapi": url_for("openapi.openapi_json"),
                    },
                }
            )
        response.vary.add("Accept")
        return response

    return app

"""The workshop's Flask app: the car API (mpg predictions and a collection of cars) and SmartCat's
jobs API (label every page of a PDF), each mounted when the FEATURES setting names it.

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
    """The app with the settings (settings.from_env(), overridden by `config`) and the features
    they name mounted: `cars` (/cars, /predict), `jobs` (/jobs). `/`, `/health` and
    `/openapi.json` describe and check what is mounted."""
    # Flask is imported here, not at the top: SmartCat's pipeline functions import
    # workshop_app.smartcat (and so this package) but serve no HTTP.
    from flask import Flask

    from . import aws, errors, health, index, observability, openapi, settings

    aws.keep_sdk_logs_quiet()
    app = Flask(__name__)
    app.wsgi_app = _api_gateway_paths(app.wsgi_app)
    app.config.from_mapping(settings.from_env())
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # keep fields in the order the schema lists them
    features = settings.features(app.config["FEATURES"])
    app.config["FEATURES"] = ",".join(features)
    errors.register(app)
    observability.init_app(app)
    for module in (index, health, openapi):
        app.register_blueprint(module.bp)
    if "cars" in features:
        from . import cars

        cars.init_app(app)
    if "jobs" in features:
        from . import jobs

        jobs.init_app(app)
    return app

"""One structured log line per request or message, and custom metrics as CloudWatch Embedded
Metric Format (EMF) lines.

Lambda's JSON log format (deployment/provider.yml: `logFormat: JSON`) prints each log record as
one JSON object with its `extra` fields as keys, the request id added by the runtime. A line says
what was done and how it went (route or queue, status, duration, model id), never a body, a
header or a key. An EMF line is a JSON object on stdout that CloudWatch turns into metrics
(namespace "ServerlessMlWorkshop", dimension "function"): no API call, no client, no cost at
request time.

Standard library only: aws-lambda-powertools' Logger and Metrics cost ~23 ms of CPU to import
(~40 ms at the API's 0.58 vCPU), a sixth of the API's whole cold start; these few lines do what
the app needs of them (lesson 08 has the numbers).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from functools import cache

NAMESPACE = "ServerlessMlWorkshop"
log = logging.getLogger("workshop_app.requests")


def function_name() -> str:
    """The Lambda function's name (its last part: api, jobs, page, ...), or `local`."""
    name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
    return name.rsplit("-", 1)[-1]


def line(message: str, **fields) -> None:
    """One log record at INFO with `fields` as its keys (the JSON log format prints them)."""
    log.info(message, extra={k: v for k, v in fields.items() if v is not None})


@cache
def emitting() -> bool:
    """Whether METRICS (workshop_app/settings.py) asks for EMF lines."""
    from . import settings

    return settings.from_env()["METRICS"] == "emf"


def metrics(values: dict[str, float], unit: str = "Count", **dimensions: str) -> None:
    """Print one EMF line with `values` (metric name -> value, all in `unit`), dimensioned by
    the function and `dimensions`, when METRICS is "emf"."""
    if not emitting():
        return
    dimensions = {"function": function_name(), **dimensions}
    document = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [sorted(dimensions)],
                    "Metrics": [{"Name": name, "Unit": unit} for name in values],
                }
            ],
        },
        **dimensions,
        **values,
    }
    sys.stdout.write(json.dumps(document, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def init_app(app) -> None:
    """Log every request of `app` once, with its route and status, and count 5xx answers."""
    from flask import g, request

    @app.before_request
    def started():
        g.started = time.perf_counter()

    @app.after_request
    def finished(response):
        context = request.environ.get("serverless.context")
        event = request.environ.get("serverless.event") or {}
        rule = request.url_rule.rule if request.url_rule else None
        line(
            "request",
            route=rule or "(no route)",
            method=request.method,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
            model_id=g.get("model_id"),
            request_id=getattr(context, "aws_request_id", None),
            api_request_id=(event.get("requestContext") or {}).get("requestId"),
        )
        if response.status_code >= 500:
            metrics({"ServerErrors": 1})
        return response

"""The Lambda entry points of the SmartCat pipeline, one per SQS queue (see serverless.yml).

    split      ← split queue      (S3: a PDF arrived under uploads/)
    page       ← pages queue      (one message per page)
    aggregate  ← aggregate queue  (a job's pages are all accounted for)

Each takes the SQS event Lambda sends, `{"Records": [{"messageId", "receiptHandle", "body",
"attributes": {"ApproximateReceiveCount", ...}, "eventSource": "aws:sqs", ...}]}`, and answers
`{"batchItemFailures": [{"itemIdentifier": <messageId>}, ...]}` (the event source mappings
declare `functionResponseTypes: [ReportBatchItemFailures]`): only the failed messages come back.

The settings and the pipeline, with its clients and the classifier, are made once per container
on first use. The local worker (workshop/worker.py) calls these same functions with the same events.
"""

from __future__ import annotations

from .. import settings
from .pipeline import Pipeline

_pipeline: Pipeline | None = None


def pipeline() -> Pipeline:
    global _pipeline
    if _pipeline is None:
        _pipeline = Pipeline(settings.from_env())
    return _pipeline


def split(event: dict, context=None) -> dict:
    return pipeline().split(event)


def page(event: dict, context=None) -> dict:
    return pipeline().page(event)


def aggregate(event: dict, context=None) -> dict:
    return pipeline().aggregate(event)

"""The app's settings, read from the environment once, in one place.

serverless.yml sets these on Lambda; the Makefile and tests set them locally. create_app() takes
a mapping that overrides them (tests use it).
"""

import os
from collections.abc import Mapping

#: The features create_app() can mount, in the order the index lists them.
FEATURES = ("cars", "jobs")

DEFAULTS = {
    # What this deployment serves, comma-separated: "cars" (the car API: /cars, /predict),
    # "jobs" (SmartCat's /jobs). /, /health and /openapi.json describe and check these.
    "FEATURES": "cars,jobs",
    "CARS_TABLE": "workshop-cars",
    "MODEL_URI": "models/cars",  # a directory, or s3://bucket/prefix
    "MODEL_FORMAT": "portable",  # or "sklearn" (needs scikit-learn): see model_store.py
    "MODEL_SHA256": None,  # pin the model file's digest independently of its manifest
    # Flask rejects larger bodies with 413. A batch of 1000 cars is ~150 KB of JSON.
    "MAX_CONTENT_LENGTH": 512 * 1024,
    "PAGE_SIZE": 20,
    "MAX_PAGE_SIZE": 100,
    # SmartCat (workshop_app/smartcat, workshop_app/jobs.py): where jobs, files and messages live.
    "JOBS_TABLE": "workshop-jobs",
    "DOCUMENTS_BUCKET": "workshop-documents",
    "PAGES_QUEUE_URL": None,  # the split function sends one message per page here
    "AGGREGATE_QUEUE_URL": None,  # the page function sends "all pages done" here
    "DOCUMENT_MODEL_URI": "models/documents",  # a directory, or s3://bucket/prefix
    # The largest PDF a job takes (presigned uploads; POST /jobs is capped lower, see jobs.py).
    "MAX_PDF_BYTES": 20 * 1024 * 1024,
    "MAX_PAGES": 100,
    # Must equal the queues' maxReceiveCount (serverless.yml sets both from one value): on the
    # last delivery a failing page is recorded as failed, so its job ends instead of hanging.
    "MAX_RECEIVE_COUNT": 3,
    "UPLOAD_URL_SECONDS": 900,  # how long a presigned upload URL stays valid
    # A job with no progress for this long is failed when it is next read (a lost message, a
    # function killed by its timeout on every delivery): nothing waits forever.
    "JOB_STALL_SECONDS": 1800,
    "JOB_RETENTION_DAYS": 7,  # DynamoDB TTL on job records (the bucket expires files likewise)
    # "emf": custom metrics as CloudWatch Embedded Metric Format lines on stdout (serverless.yml
    # sets it on Lambda); anything else: none (a laptop has no CloudWatch to read them).
    "METRICS": "off",
}


def from_env(environ: Mapping[str, str] = os.environ) -> dict:
    """DEFAULTS overridden by environment variables of the same name (ints parsed as ints)."""
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if environ.get(key):
            settings[key] = int(environ[key]) if isinstance(default, int) else environ[key]
    return settings


def features(value: str) -> tuple[str, ...]:
    """The FEATURES setting as a tuple in FEATURES order; ValueError naming what is unknown."""
    names = {name.strip() for name in str(value).split(",") if name.strip()}
    unknown = names - set(FEATURES)
    if unknown or not names:
        raise ValueError(
            f"FEATURES must name one or more of {', '.join(FEATURES)} (comma-separated); got {value!r}"
        )
    return tuple(name for name in FEATURES if name in names)

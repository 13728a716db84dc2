"""The app's settings, read from the environment once, in one place.

serverless.yml sets these on Lambda; the Makefile and tests set them locally. create_app() takes
a mapping that overrides them (tests use it).
"""

import os
from collections.abc import Mapping

DEFAULTS = {
    "CARS_TABLE": "workshop-cars",
    "MODEL_URI": "models/cars",  # a directory, or s3://bucket/prefix
    "MODEL_FORMAT": "portable",  # or "sklearn" (needs scikit-learn): see model_store.py
    "MODEL_SHA256": None,  # pin the model file's digest independently of its manifest
    # Flask rejects larger bodies with 413. A batch of 1000 cars is ~150 KB of JSON.
    "MAX_CONTENT_LENGTH": 512 * 1024,
    "PAGE_SIZE": 20,
    "MAX_PAGE_SIZE": 100,
}


def from_env(environ: Mapping[str, str] = os.environ) -> dict:
    """DEFAULTS overridden by environment variables of the same name (ints parsed as ints)."""
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if environ.get(key):
            settings[key] = int(environ[key]) if isinstance(default, int) else environ[key]
    return settings

"""Load the car model artifact once per process, and only after verifying its bytes.

An artifact is a directory (local path or `s3://bucket/prefix`) holding `manifest.json` and the
pickled estimator it names. The manifest records the estimator's sha256; the bytes are hashed and
compared *before* anything is unpickled, because unpickling runs code. Set MODEL_SHA256 to pin the
expected digest independently of the manifest (a deployment should).
"""

import hashlib
import hmac
import io
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from .car_schema import FEATURE_NAMES

MANIFEST = "manifest.json"
FORMAT = "sklearn-joblib"


class ModelUnavailable(RuntimeError):
    """The artifact is missing, unreadable, tampered with or incompatible; the message says which."""


@dataclass(frozen=True)
class LoadedModel:
    estimator: object
    manifest: dict

    @property
    def model_id(self) -> str:
        return self.manifest["sha256"][:12]

    def predict(self, rows: list[list]) -> list[float]:
        """Predicted mpg for each row (see car_schema.to_row), rounded to 0.01."""
        import numpy as np  # numpy comes with the estimator; keep it off the import path of the app

        predictions = self.estimator.predict(np.array(rows, dtype=object))
        return [round(float(p), 2) for p in predictions]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(uri: str, name: str) -> bytes:
    if uri.startswith("s3://"):
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, prefix = uri[len("s3://"):].partition("/")
        key = f"{prefix.rstrip('/')}/{name}" if prefix else name
        try:
            obj = boto3.client("s3").get_object(Bucket=bucket, Key=key)
            return obj["Body"].read()
        except (BotoCoreError, ClientError) as e:
            raise ModelUnavailable(f"cannot read s3://{bucket}/{key}: {e}") from e
    path = Path(uri) / name
    try:
        return path.read_bytes()
    except OSError as e:
        raise ModelUnavailable(f"cannot read model file {path}: {e.strerror}. "
                               "Train one first: `make model`") from e


def load_model(uri: str, expected_sha256: str | None = None) -> LoadedModel:
    """Fetch, verify and unpickle the artifact at `uri`. Raises ModelUnavailable on any fault."""
    try:
        manifest = json.loads(_read(uri, MANIFEST))
        artifact, digest = manifest["artifact"], manifest["sha256"]
        fmt, features = manifest["format"], manifest["features"]
    except (ValueError, KeyError, TypeError) as e:
        raise ModelUnavailable(f"{uri}/{MANIFEST} is not a valid model manifest ({e!r})") from e
    if fmt != FORMAT:
        raise ModelUnavailable(f"model format {fmt!r} is not supported (expected {FORMAT!r})")
    if tuple(features) != FEATURE_NAMES:
        raise ModelUnavailable(f"model expects features {features}, the API sends "
                               f"{list(FEATURE_NAMES)}")
    if not isinstance(artifact, str) or "/" in artifact or artifact.startswith("."):
        raise ModelUnavailable(f"manifest names an invalid artifact file {artifact!r}")
    data = _read(uri, artifact)
    actual = sha256_hex(data)
    for source, expected in (("manifest", digest), ("MODEL_SHA256", expected_sha256)):
        if expected is not None and not hmac.compare_digest(actual, str(expected).lower()):
            raise ModelUnavailable(
                f"{uri}/{artifact} failed verification: sha256 {actual} does not match "
                f"{source} ({expected}); refusing to load it")
    _check_versions(manifest.get("versions", {}))
    import joblib  # only now: the bytes are the ones that were trained

    return LoadedModel(estimator=joblib.load(io.BytesIO(data)), manifest=manifest)


def _check_versions(trained_with: dict) -> None:
    """A pickle only works with the scikit-learn that wrote it; say so instead of failing later."""
    import sklearn

    wanted = trained_with.get("scikit-learn")
    if wanted is not None and wanted != sklearn.__version__:
        raise ModelUnavailable(f"model was trained with scikit-learn {wanted}, this runtime has "
                               f"{sklearn.__version__}; retrain it or pin the same version")


class ModelHolder:
    """Loads the model on first use and keeps it for the life of the process (a Lambda container).

    A failed load is not cached: the next request tries again, so fixing the artifact needs no
    restart, and every failing request gets the same clear ModelUnavailable.
    """

    def __init__(self, uri: str, expected_sha256: str | None = None):
        self.uri, self.expected_sha256 = uri, expected_sha256
        self._model: LoadedModel | None = None
        self._lock = threading.Lock()
        self.load_attempts = 0

    def get(self) -> LoadedModel:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self.load_attempts += 1
                    self._model = load_model(self.uri, self.expected_sha256)
        return self._model

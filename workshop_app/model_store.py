"""Load the car model once per process, and only after verifying its bytes.

An artifact is a directory (local path or `s3://bucket/prefix`) holding `manifest.json` and the
model files it lists with their sha256:

- `portable`: `model.json`, evaluated in pure Python by portable_model.py. The default, and what
  Lambda runs: no numpy, no scikit-learn, no pickle.
- `sklearn`: `model.joblib`, the fitted scikit-learn pipeline. Unpickling runs code, so its bytes
  are hashed and compared *before* anything is unpickled, and it needs the scikit-learn version
  that wrote it.

MODEL_FORMAT picks one. MODEL_SHA256 pins the expected digest of that file independently of the
manifest (serverless.yml sets it at package time).
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
FORMATS = ("portable", "sklearn")


class ModelUnavailable(RuntimeError):
    """The artifact is missing, unreadable, tampered with or incompatible; the message says which."""


@dataclass(frozen=True)
class LoadedModel:
    predictor: object  # a PortableModel, or a scikit-learn Pipeline
    manifest: dict
    format: str

    @property
    def model_id(self) -> str:
        """Names the trained model (whatever its format): the portable file's digest, shortened."""
        return self.manifest["files"]["portable"]["sha256"][:12]

    def predict(self, rows: list[list]) -> list[float]:
        """Predicted mpg for each row (see car_schema.to_row), rounded to 0.01."""
        if self.format == "sklearn":
            import numpy as np  # only this format needs numpy

            predictions = self.predictor.predict(np.array(rows, dtype=object))
        else:
            predictions = self.predictor.predict(rows)
        return [round(float(p), 2) for p in predictions]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(uri: str, name: str) -> bytes:
    if uri.startswith("s3://"):
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, prefix = uri[len("s3://") :].partition("/")
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
        raise ModelUnavailable(
            f"cannot read model file {path}: {e.strerror}. Train one first: `make model`"
        ) from e


def _manifest(uri: str, fmt: str) -> tuple[dict, str, str]:
    """The manifest, and the file name and digest it lists for `fmt`."""
    try:
        manifest = json.loads(_read(uri, MANIFEST))
        files, features = manifest["files"], manifest["features"]
        manifest["files"]["portable"]["sha256"]  # model_id needs it whatever the format
        entry = files.get(fmt)
        name, digest = (entry["name"], entry["sha256"]) if entry else (None, None)
    except (ValueError, KeyError, TypeError) as e:
        raise ModelUnavailable(f"{uri}/{MANIFEST} is not a valid model manifest ({e!r})") from e
    if entry is None:
        raise ModelUnavailable(f"{uri}/{MANIFEST} lists no {fmt!r} model (it has {sorted(files)})")
    if tuple(features) != FEATURE_NAMES:
        raise ModelUnavailable(f"model expects features {features}, the API sends {list(FEATURE_NAMES)}")
    if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
        raise ModelUnavailable(f"manifest names an invalid model file {name!r}")
    return manifest, name, digest


def load_model(uri: str, expected_sha256: str | None = None, fmt: str = "portable") -> LoadedModel:
    """Fetch, verify and load the `fmt` model at `uri`. Raises ModelUnavailable on any fault."""
    if fmt not in FORMATS:
        raise ModelUnavailable(f"MODEL_FORMAT must be one of {FORMATS}, not {fmt!r}")
    manifest, name, digest = _manifest(uri, fmt)
    data = _read(uri, name)
    actual = sha256_hex(data)
    for source, expected in (("manifest", digest), ("MODEL_SHA256", expected_sha256)):
        if expected is not None and not hmac.compare_digest(actual, str(expected).lower()):
            raise ModelUnavailable(
                f"{uri}/{name} failed verification: sha256 {actual} does not match "
                f"{source} ({expected}); refusing to load it"
            )
    if fmt == "portable":
        from .portable_model import PortableModel

        try:
            predictor = PortableModel(json.loads(data))
        except (ValueError, KeyError, TypeError) as e:
            raise ModelUnavailable(f"{uri}/{name} is not a portable model ({e!r})") from e
    else:
        _check_versions(manifest.get("versions", {}))
        import joblib  # only now: the bytes are the ones that were trained

        predictor = joblib.load(io.BytesIO(data))
    return LoadedModel(predictor=predictor, manifest=manifest, format=fmt)


def _check_versions(trained_with: dict) -> None:
    """A pickle only works with the scikit-learn that wrote it; say so instead of failing later."""
    try:
        import sklearn
    except ImportError as e:
        raise ModelUnavailable("MODEL_FORMAT=sklearn needs scikit-learn installed") from e
    wanted = trained_with.get("scikit-learn")
    if wanted is not None and wanted != sklearn.__version__:
        raise ModelUnavailable(
            f"model was trained with scikit-learn {wanted}, this runtime has "
            f"{sklearn.__version__}; retrain it or pin the same version"
        )


class ModelHolder:
    """Loads the model on first use and keeps it for the life of the process (a Lambda container).

    A failed load is not cached: the next request tries again, so fixing the artifact needs no
    restart, and every failing request gets the same clear ModelUnavailable.
    """

    def __init__(self, uri: str, expected_sha256: str | None = None, fmt: str = "portable"):
        self.uri, self.expected_sha256, self.format = uri, expected_sha256, fmt
        self._model: LoadedModel | None = None
        self._lock = threading.Lock()
        self.load_attempts = 0

    def get(self) -> LoadedModel:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self.load_attempts += 1
                    self._model = load_model(self.uri, self.expected_sha256, self.format)
        return self._model

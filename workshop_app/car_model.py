"""The car model: load it once per process, and only after verifying its bytes (artifacts.py).

Its artifact lists two files (MODEL_FORMAT picks one):

- `portable`: `model.json`, evaluated in pure Python by portable_model.py. The default, and what
  Lambda runs: no numpy, no scikit-learn, no pickle.
- `sklearn`: `model.joblib`, the fitted scikit-learn pipeline. Unpickling runs code, so its bytes
  are verified before anything is unpickled, and it needs the scikit-learn version that wrote it.

MODEL_SHA256 pins the expected digest of that file independently of the manifest (serverless.yml
sets it at package time).
"""

import io
import json
from typing import NamedTuple

from . import artifacts
from .artifacts import MANIFEST, ModelUnavailable
from .car_schema import FEATURE_NAMES

FORMATS = ("portable", "sklearn")
__all__ = ["FORMATS", "MANIFEST", "LoadedModel", "ModelUnavailable", "holder", "load_model"]


class LoadedModel(NamedTuple):  # not a dataclass: see car_schema.Field
    predictor: object  # a PortableModel, or a scikit-learn Pipeline
    manifest: dict
    format: str

    @property
    def model_id(self) -> str:
        """Names the trained model whatever its format (artifacts.model_id)."""
        return artifacts.model_id(self.manifest)

    def predict(self, rows: list[list]) -> list[float]:
        """Predicted mpg for each row (see car_schema.to_row), rounded to 0.01."""
        if self.format == "sklearn":
            import numpy as np  # only this format needs numpy

            predictions = self.predictor.predict(np.array(rows, dtype=object))
        else:
            predictions = self.predictor.predict(rows)
        return [round(float(p), 2) for p in predictions]


def load_model(uri: str, expected_sha256: str | None = None, fmt: str = "portable") -> LoadedModel:
    """Fetch, verify and load the `fmt` model at `uri`. Raises ModelUnavailable on any fault."""
    if fmt not in FORMATS:
        raise ModelUnavailable(f"MODEL_FORMAT must be one of {FORMATS}, not {fmt!r}")
    manifest, data = artifacts.read_verified(uri, fmt, expected_sha256, pin_name="MODEL_SHA256")
    features = manifest.get("features") if isinstance(manifest, dict) else None
    if not isinstance(features, list):
        raise ModelUnavailable(f"{uri}/{MANIFEST} is not a valid model manifest (no feature list)")
    if tuple(features) != FEATURE_NAMES:
        raise ModelUnavailable(f"model expects features {features}, the API sends {list(FEATURE_NAMES)}")
    if fmt == "portable":
        from .portable_model import PortableModel

        try:
            predictor = PortableModel(json.loads(data))
        except (ValueError, KeyError, TypeError) as e:
            raise ModelUnavailable(
                f"{uri}/{manifest['files'][fmt]['name']} is not a portable model ({e!r})"
            ) from e
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


def holder(
    uri: str, expected_sha256: str | None = None, fmt: str = "portable"
) -> artifacts.Holder[LoadedModel]:
    """The car model, loaded on first use (see artifacts.Holder)."""
    return artifacts.Holder(lambda: load_model(uri, expected_sha256, fmt))

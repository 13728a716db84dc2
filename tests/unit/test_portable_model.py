"""The pure-Python model predicts what scikit-learn predicts, for every model we train."""

import json

import numpy as np
import pytest
from sklearn.linear_model import Lasso
from sklearn.pipeline import make_pipeline

from workshop.cars_data import load_cars
from workshop.export_model import UnsupportedModel, dumps, export
from workshop.train_cars import candidates, preprocessing, training_data
from workshop_app.car_schema import FEATURE_NAMES
from workshop_app.portable_model import PortableModel


@pytest.fixture(scope="module")
def data():
    return training_data(load_cars())


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return {name: model.fit(X, y) for name, model in candidates().items()}


@pytest.mark.parametrize("name", list(candidates()))
def test_equal_to_sklearn_on_the_whole_dataset(data, fitted, name):
    X, _ = data
    pipeline = fitted[name]
    portable = PortableModel(json.loads(dumps(export(pipeline, FEATURE_NAMES))))
    # Trees give bit-identical answers (same float32 comparisons); sums may differ in the last bits.
    np.testing.assert_allclose(portable.predict(X.tolist()), pipeline.predict(X), rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", list(candidates()))
def test_missing_horsepower_is_imputed_alike(data, fitted, name):
    X, _ = data
    pipeline = fitted[name]
    portable = PortableModel(export(pipeline, FEATURE_NAMES))
    rows = X[:20].copy()
    rows[:, FEATURE_NAMES.index("horsepower")] = None
    np.testing.assert_allclose(portable.predict(rows.tolist()), pipeline.predict(rows), atol=1e-9)


def test_export_is_deterministic(data, fitted):
    X, y = data
    refitted = candidates()["gradient boosting"].fit(X, y)
    assert dumps(export(refitted, FEATURE_NAMES)) == dumps(export(fitted["gradient boosting"], FEATURE_NAMES))


def test_unsupported_pipelines_are_refused(data):
    X, y = data
    with pytest.raises(UnsupportedModel, match="Lasso"):
        export(make_pipeline(preprocessing(), Lasso()).fit(X, y), FEATURE_NAMES)


def test_other_documents_are_refused():
    with pytest.raises(ValueError, match="portable-v2"):
        PortableModel({"format": "onnx"})

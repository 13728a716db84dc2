"""Run an exported car model in pure Python: no numpy, no scikit-learn, no pickle.

`workshop/export_model.py` turns the trained scikit-learn pipeline into a JSON document; this
module evaluates it. It exists for Lambda: scikit-learn + scipy + numpy are ~200 MB unpacked and
take over a second to import on a cold start, while this file is a few kilobytes and the model a
few megabytes of JSON. tests/unit/test_portable_model.py proves it predicts what scikit-learn predicts
on every car in the data set.

Supported (what workshop/train_cars.py trains): median imputation, optional standard scaling and
one-hot encoding of the numeric/categorical columns, then a constant (baseline), a linear model
on polynomial features, a random forest, or a histogram gradient boosting regressor.
"""

import math
import struct

from .artifacts import unpack

FORMAT = "portable-v2"
#: A forest's nodes, all trees in one array per field (artifacts.pack): child indices (-1: a leaf)
#: and features as int32, thresholds and leaf values as float64, missing-value directions as int8.
NODE_ARRAYS = {"left": "i", "right": "i", "feature": "i", "threshold": "d", "value": "d", "missing_left": "b"}


def _float32(value: float) -> float:
    """scikit-learn's decision trees compare float32 inputs against their thresholds."""
    return struct.unpack("f", struct.pack("f", value))[0]


class PortableModel:
    def __init__(self, document: dict):
        if document.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model document")
        pre = document["preprocess"]
        self._numeric = pre["numeric"]["columns"]
        self._impute = pre["numeric"]["impute"]
        self._mean = pre["numeric"].get("mean")
        self._scale = pre["numeric"].get("scale")
        self._onehot = [(c["column"], c["categories"]) for c in pre["onehot"]]
        model = dict(document["model"])
        if "nodes" in model:  # a forest or boosted trees: unpacked once, here
            model["roots"] = unpack(model["roots"], "i")
            model["nodes"] = {
                name: unpack(packed, NODE_ARRAYS[name]) for name, packed in model["nodes"].items()
            }
        self.kind = model["kind"]
        self._model = model
        self._predict_one = {
            "constant": self._constant,
            "linear": self._linear,
            "forest": self._forest,
            "boosting": self._boosting,
        }[self.kind]

    def features(self, row: list) -> list[float]:
        """The preprocessed feature vector, as the ColumnTransformer would produce it."""
        out = []
        for i, column in enumerate(self._numeric):
            value = row[column]
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            value = self._impute[i] if missing else float(value)
            if self._mean is not None:
                value = (value - self._mean[i]) / self._scale[i]
            out.append(value)
        for column, categories in self._onehot:
            out.extend(1.0 if row[column] == category else 0.0 for category in categories)
        return out

    def predict(self, rows: list[list]) -> list[float]:
        return [self._predict_one(self.features(row)) for row in rows]

    def _constant(self, x: list[float]) -> float:
        return self._model["value"]

    def _linear(self, x: list[float]) -> float:
        if self._model.get("powers") is not None:
            x = [math.prod(x[j] ** p for j, p in enumerate(powers) if p) for powers in self._model["powers"]]
        products = (c * v for c, v in zip(self._model["coef"], x, strict=True))
        return math.fsum(products) + self._model["intercept"]

    def _forest(self, x: list[float]) -> float:
        x = [_float32(v) for v in x]
        nodes, total = self._model["nodes"], 0.0
        left, right, feature, threshold = nodes["left"], nodes["right"], nodes["feature"], nodes["threshold"]
        for node in self._model["roots"]:
            while left[node] != -1:
                node = left[node] if x[feature[node]] <= threshold[node] else right[node]
            total += nodes["value"][node]
        return total / len(self._model["roots"])

    def _boosting(self, x: list[float]) -> float:
        nodes, total = self._model["nodes"], self._model["baseline"]
        left, right, feature, threshold = nodes["left"], nodes["right"], nodes["feature"], nodes["threshold"]
        missing_left = nodes["missing_left"]
        for node in self._model["roots"]:
            while left[node] != -1:
                value = x[feature[node]]
                if math.isnan(value):
                    node = left[node] if missing_left[node] else right[node]
                else:
                    node = left[node] if value <= threshold[node] else right[node]
            total += nodes["value"][node]
        return total

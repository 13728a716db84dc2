"""Export a trained car pipeline to the portable JSON format (workshop_app/portable_model.py).

Only the pipelines that workshop/train_cars.py builds are supported; anything else raises
UnsupportedModel naming the step, rather than exporting something that predicts differently.
"""

import json

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler

from workshop_app.artifacts import pack
from workshop_app.portable_model import FORMAT, NODE_ARRAYS


class UnsupportedModel(ValueError):
    pass


def _floats(values) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=float).ravel()]


def _ints(values) -> list[int]:
    return [int(v) for v in np.asarray(values).ravel()]


def _preprocess(ct: ColumnTransformer) -> dict:
    if not isinstance(ct, ColumnTransformer) or ct.remainder != "drop":
        raise UnsupportedModel(f"expected a ColumnTransformer first, got {type(ct).__name__}")
    numeric, onehot = None, []
    for name, transformer, columns in ct.transformers_:
        if name == "remainder":
            continue
        steps = transformer.steps if isinstance(transformer, Pipeline) else [(name, transformer)]
        kinds = [type(step) for _, step in steps]
        if kinds and kinds[0] is SimpleImputer and set(kinds[1:]) <= {StandardScaler}:
            imputer = steps[0][1]
            if imputer.strategy != "median":
                raise UnsupportedModel(f"imputer strategy {imputer.strategy!r}")
            numeric = {"columns": _ints(columns), "impute": _floats(imputer.statistics_)}
            if len(steps) == 2:
                numeric |= {"mean": _floats(steps[1][1].mean_), "scale": _floats(steps[1][1].scale_)}
        elif kinds == [OneHotEncoder]:
            encoder = steps[0][1]
            if encoder.handle_unknown != "ignore" or encoder.drop is not None:
                raise UnsupportedModel("one-hot encoding must ignore unknowns and drop nothing")
            onehot += [
                {"column": int(c), "categories": [str(v) for v in cats]}
                for c, cats in zip(columns, encoder.categories_, strict=True)
            ]
        else:
            raise UnsupportedModel(f"transformer {name!r}: {[k.__name__ for k in kinds]}")
    if numeric is None:
        raise UnsupportedModel("no numeric transformer")
    return {"numeric": numeric, "onehot": onehot}


def _sk_tree(tree) -> dict:
    t = tree.tree_
    return {
        "left": _ints(t.children_left),
        "right": _ints(t.children_right),
        "feature": _ints(t.feature),
        "threshold": _floats(t.threshold),
        "value": _floats(t.value[:, 0, 0]),
    }


def _hist_tree(predictor) -> dict:
    nodes = predictor.nodes
    if nodes["is_categorical"].any():
        raise UnsupportedModel("categorical splits in gradient boosting")
    leaf = nodes["is_leaf"].astype(bool)
    return {
        "left": [(-1 if is_leaf else int(n)) for n, is_leaf in zip(nodes["left"], leaf, strict=True)],
        "right": [(-1 if is_leaf else int(n)) for n, is_leaf in zip(nodes["right"], leaf, strict=True)],
        "feature": _ints(nodes["feature_idx"]),
        "threshold": _floats(nodes["num_threshold"]),
        "missing_left": [int(bool(v)) for v in nodes["missing_go_to_left"]],
        "value": _floats(nodes["value"]),
    }


def _packed(trees: list[dict]) -> dict:
    """Every tree's nodes in one array per field, packed (portable_model.NODE_ARRAYS), children
    numbered across the forest (-1: a leaf), and each tree's root: one parse for the whole model."""
    roots, nodes = [], {name: [] for name in trees[0]}
    for tree in trees:
        start = len(nodes["left"])
        roots.append(start)
        for name, values in tree.items():
            if name in ("left", "right"):
                values = [-1 if child == -1 else start + child for child in values]
            nodes[name].extend(values)
    return {"roots": pack(roots, "i"), "nodes": {n: pack(v, NODE_ARRAYS[n]) for n, v in nodes.items()}}


def _model(steps: list) -> dict:
    *middle, last = steps
    if isinstance(last, DummyRegressor) and not middle:
        return {"kind": "constant", "value": float(np.ravel(last.constant_)[0])}
    if isinstance(last, Ridge) and len(middle) <= 1:
        powers = None
        if middle:
            if not isinstance(middle[0], PolynomialFeatures):
                raise UnsupportedModel(f"step {type(middle[0]).__name__} before Ridge")
            powers = [_ints(row) for row in middle[0].powers_]
        return {
            "kind": "linear",
            "powers": powers,
            "coef": _floats(last.coef_),
            "intercept": float(np.ravel(last.intercept_)[0]),
        }
    if isinstance(last, RandomForestRegressor) and not middle:
        return {"kind": "forest", **_packed([_sk_tree(e) for e in last.estimators_])}
    if isinstance(last, HistGradientBoostingRegressor) and not middle:
        return {
            "kind": "boosting",
            "baseline": float(np.ravel(last._baseline_prediction)[0]),
            **_packed([_hist_tree(p[0]) for p in last._predictors]),
        }
    raise UnsupportedModel(f"model steps {[type(s).__name__ for s in steps]}")


def export(pipeline: Pipeline, features: list[str]) -> dict:
    """The portable document for a fitted pipeline: preprocessing, then the model."""
    steps = [step for _, step in pipeline.steps]
    return {
        "format": FORMAT,
        "features": list(features),
        "preprocess": _preprocess(steps[0]),
        "model": _model(steps[1:]),
    }


def dumps(document: dict) -> bytes:
    """Deterministic, compact bytes: the same model always hashes the same."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()

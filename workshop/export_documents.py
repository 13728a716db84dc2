"""Export a fitted page-classifier pipeline to the portable JSON that
workshop_app/smartcat/classifier.py evaluates without scikit-learn.

Supported: a Pipeline of a TfidfVectorizer (or a FeatureUnion of TfidfVectorizers) and a
LogisticRegression, an SGDClassifier(loss="log_loss") or a ComplementNB. Anything else raises
UnsupportedModel naming what it got, rather than exporting something that predicts differently.
"""

import json

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline

from workshop_app.artifacts import pack
from workshop_app.smartcat.classifier import FORMAT


class UnsupportedModel(ValueError):
    pass


def _vectorizer(v) -> dict:
    if not isinstance(v, TfidfVectorizer):
        raise UnsupportedModel(f"expected a TfidfVectorizer, got {type(v).__name__}")
    unsupported = {
        "input": v.input != "content",
        "preprocessor": v.preprocessor is not None,
        "tokenizer": v.tokenizer is not None,
        "binary": v.binary,
        "analyzer": v.analyzer not in ("word", "char", "char_wb"),
        "strip_accents": v.strip_accents not in (None, "unicode"),
        "norm": v.norm not in ("l2", None),
        "dtype": np.dtype(v.dtype) != np.float64,
    }
    if any(unsupported.values()):
        raise UnsupportedModel(
            f"TfidfVectorizer settings not supported: {[k for k, bad in unsupported.items() if bad]}"
        )
    stop_words = v.get_stop_words()
    return {
        "analyzer": v.analyzer,
        "lowercase": bool(v.lowercase),
        "strip_accents": v.strip_accents,
        "token_pattern": v.token_pattern,
        "ngram_range": [int(n) for n in v.ngram_range],
        "stop_words": sorted(stop_words) if stop_words else None,
        "sublinear_tf": bool(v.sublinear_tf),
        "norm": v.norm,
        "vocabulary": {str(t): int(i) for t, i in v.vocabulary_.items()},
        "idf": pack(float(x) for x in v.idf_) if v.use_idf else None,
    }


def _features(step) -> list[dict]:
    if isinstance(step, FeatureUnion):
        if step.transformer_weights:
            raise UnsupportedModel("FeatureUnion with transformer_weights")
        return [_vectorizer(v) for _, v in step.transformer_list if v != "drop"]
    return [_vectorizer(step)]


def _model(model) -> dict:
    if isinstance(model, LogisticRegression):
        ovr = getattr(model, "multi_class", "auto") == "ovr" or model.solver == "liblinear"
        coef, intercept = model.coef_, model.intercept_
        kind = "ovr" if ovr else "multinomial"
    elif isinstance(model, SGDClassifier) and model.loss == "log_loss":
        coef, intercept, kind = model.coef_, model.intercept_, "ovr"
    elif isinstance(model, ComplementNB):
        # predict_proba = softmax(X @ feature_log_prob_.T) (+ the class prior for one class only)
        coef, kind = model.feature_log_prob_, "multinomial"
        intercept = np.zeros(coef.shape[0])
    else:
        raise UnsupportedModel(
            f"model {type(model).__name__} (needs predict_proba that is a "
            "softmax or one-vs-rest logistic of a linear function)"
        )
    coef = np.asarray(coef, dtype=np.float64)
    return {
        "kind": kind,
        "outputs": int(coef.shape[0]),
        "coef_by_feature": pack(float(x) for x in coef.T.ravel()),  # row j = feature j's coefficients
        "intercept": pack(float(x) for x in np.ravel(intercept)),
    }


def export(pipeline: Pipeline) -> dict:
    """The portable document for a fitted pipeline (vectorizer(s), then the linear model)."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        raise UnsupportedModel("expected Pipeline([vectorizer, model])")
    (_, features), (_, model) = pipeline.steps
    return {
        "format": FORMAT,
        "classes": [str(c) for c in model.classes_],
        "features": _features(features),
        "model": _model(model),
    }


def dumps(document: dict) -> bytes:
    """Deterministic, compact bytes: the same model always hashes the same."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()

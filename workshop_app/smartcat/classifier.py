"""Label a page's text with its document type: TF-IDF + a linear model, in pure Python.

Training (workshop/train_documents.py) fits a scikit-learn pipeline and exports it to
`classifier.json`; this module evaluates that file with the standard library only, so the Lambda
workers import neither numpy nor scikit-learn (~280 MB, ~1.6 s to import cold). It reproduces
scikit-learn's TfidfVectorizer (lowercase, accents, token pattern, word / char / char_wb n-grams,
sublinear tf, idf, l2 norm) and the model's predict_proba; tests/unit/test_classifier.py proves the
labels equal scikit-learn's and the probabilities agree within 1e-9 on every held-out page.

    classifier = PageClassifier.load("models/documents")      # or "s3://bucket/prefix"
    classifier.predict(["Gehaltsabrechnung Januar 2024 ..."])  # [Prediction(label, confidence)]

Its artifact is read like the car model's (workshop_app/artifacts.py): the bytes are verified
before they are parsed, and nothing is ever unpickled.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass

from .. import artifacts
from ..artifacts import PORTABLE, ModelUnavailable, unpack

FORMAT = "smartcat-page-classifier-v1"
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's normalisation for char n-grams


class ClassifierUnavailable(ModelUnavailable):
    """The classifier artifact is missing, unreadable, tampered with or not a classifier."""


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float  # the model's probability for `label`, in [0, 1]


def _strip_accents_unicode(text: str) -> str:
    """scikit-learn's strip_accents="unicode"."""
    if text.isascii():
        return text
    normalized = unicodedata.normalize("NFKD", text)
    return "".join(c for c in normalized if not unicodedata.combining(c))


class _Vectorizer:
    """One fitted TfidfVectorizer: text -> {column: weight}, l2-normalised like scikit-learn."""

    def __init__(self, spec: dict, offset: int):
        self.analyzer = spec["analyzer"]
        if self.analyzer not in ("word", "char", "char_wb"):
            raise ValueError(f"unsupported analyzer {self.analyzer!r}")
        self.lowercase = bool(spec["lowercase"])
        if spec["strip_accents"] not in (None, "unicode"):
            raise ValueError(f"unsupported strip_accents {spec['strip_accents']!r}")
        self.strip_accents = spec["strip_accents"] == "unicode"
        self.min_n, self.max_n = spec["ngram_range"]
        self.token_pattern = re.compile(spec["token_pattern"]) if self.analyzer == "word" else None
        if self.token_pattern is not None and self.token_pattern.groups > 1:
            raise ValueError("the token pattern may capture at most one group")
        self.stop_words = frozenset(spec.get("stop_words") or ())
        self.sublinear_tf = bool(spec["sublinear_tf"])
        if spec["norm"] not in ("l2", None):
            raise ValueError(f"unsupported norm {spec['norm']!r}")
        self.norm = spec["norm"]
        self.vocabulary = {term: offset + index for term, index in spec["vocabulary"].items()}
        self.idf = unpack(spec["idf"]) if spec.get("idf") is not None else None
        if self.idf is not None and len(self.idf) != len(self.vocabulary):
            raise ValueError("idf and vocabulary differ in length")
        self.offset = offset
        self.size = len(self.vocabulary)

    def _terms(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        if self.strip_accents:
            text = _strip_accents_unicode(text)
        if self.analyzer == "word":
            return self._word_ngrams(self.token_pattern.findall(text))
        text = _WHITE_SPACES.sub(" ", text)
        return self._char_wb_ngrams(text) if self.analyzer == "char_wb" else self._char_ngrams(text)

    def _word_ngrams(self, tokens: list[str]) -> list[str]:
        if self.stop_words:
            tokens = [t for t in tokens if t not in self.stop_words]
        min_n, max_n = self.min_n, self.max_n
        if max_n == 1:
            return tokens
        originals, n_tokens = tokens, len(tokens)
        terms = list(originals) if min_n == 1 else []
        for n in range(max(min_n, 2), min(max_n + 1, n_tokens + 1)):
            terms.extend(" ".join(originals[i : i + n]) for i in range(n_tokens - n + 1))
        return terms

    def _char_ngrams(self, text: str) -> list[str]:
        min_n, max_n, length = self.min_n, self.max_n, len(text)
        terms = list(text) if min_n == 1 else []
        for n in range(max(min_n, 2), min(max_n + 1, length + 1)):
            terms.extend(text[i : i + n] for i in range(length - n + 1))
        return terms

    def _char_wb_ngrams(self, text: str) -> list[str]:
        terms = []
        for word in text.split():
            word = f" {word} "
            length = len(word)
            for n in range(self.min_n, self.max_n + 1):
                terms.extend(word[i : i + n] for i in range(max(length - n + 1, 1)))
                if length <= n:  # a word shorter than n is counted once, as scikit-learn does
                    break
        return terms

    def transform(self, text: str) -> dict[int, float]:
        vocabulary, counts = self.vocabulary, {}
        for term in self._terms(text):
            column = vocabulary.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        weights = {}
        offset, idf = self.offset, self.idf
        for column, count in counts.items():
            tf = 1.0 + math.log(count) if self.sublinear_tf else float(count)
            weights[column] = tf * idf[column - offset] if idf is not None else tf
        if self.norm == "l2":
            norm = math.sqrt(sum(w * w for w in weights.values()))
            if norm > 0:
                weights = {column: w / norm for column, w in weights.items()}
        return weights


class PageClassifier:
    """A fitted page classifier: `classes`, `predict(texts)`, and the `manifest` it came with."""

    def __init__(self, document: dict, manifest: dict | None = None):
        if document.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document (format {document.get('format')!r})")
        self.classes: list[str] = [str(c) for c in document["classes"]]
        self._vectorizers, offset = [], 0
        for spec in document["features"]:
            vectorizer = _Vectorizer(spec, offset)
            self._vectorizers.append(vectorizer)
            offset += vectorizer.size
        self.n_features = offset
        model = document["model"]
        self.kind = model["kind"]
        if self.kind not in ("multinomial", "ovr"):
            raise ValueError(f"unsupported model kind {self.kind!r}")
        # Row j holds feature j's coefficient for each model output (binary logistic models have
        # one output, the score of classes[1]).
        self._outputs = int(model["outputs"])
        self._coef = unpack(model["coef_by_feature"])
        self._intercept = list(unpack(model["intercept"]))
        if len(self._coef) != self.n_features * self._outputs or len(self._intercept) != self._outputs:
            raise ValueError("coefficients do not match the features and outputs")
        if self._outputs not in ({1, 2} if len(self.classes) == 2 else {len(self.classes)}):
            raise ValueError(f"{self._outputs} model outputs for {len(self.classes)} classes")
        self.manifest = manifest or {}

    @classmethod
    def load(cls, uri: str, expected_sha256: str | None = None) -> PageClassifier:
        """Fetch, verify (artifacts.read_verified: the manifest's sha256, and `expected_sha256`
        if given) and parse. `uri` is a directory or `s3://bucket/prefix`. Raises
        ClassifierUnavailable on any fault."""
        try:
            manifest, data = artifacts.read_verified(
                uri, PORTABLE, expected_sha256, pin_name="expected_sha256", build="make document-model"
            )
        except ModelUnavailable as error:
            raise ClassifierUnavailable(str(error)) from error
        try:
            classifier = cls(json.loads(data), manifest)
        except (ValueError, KeyError, TypeError) as error:
            raise ClassifierUnavailable(f"{uri}: not a page classifier ({error!r})") from error
        if manifest.get("classes") not in (None, classifier.classes):
            raise ClassifierUnavailable(
                f"{uri}: manifest classes {manifest['classes']} differ from the "
                f"classifier's {classifier.classes}"
            )
        return classifier

    @property
    def model_id(self) -> str:
        return artifacts.model_id(self.manifest) if self.manifest else ""

    def features(self, text: str) -> dict[int, float]:
        """The page's TF-IDF vector as {column: weight}: what the linear model sees."""
        weights: dict[int, float] = {}
        for vectorizer in self._vectorizers:
            weights.update(vectorizer.transform(text))
        return weights

    def decision(self, text: str) -> list[float]:
        """The linear model's scores (scikit-learn's decision_function for one page)."""
        outputs, coef = self._outputs, self._coef
        scores = [0.0] * outputs
        for column, weight in self.features(text).items():
            row = column * outputs
            for k in range(outputs):
                scores[k] += weight * coef[row + k]
        return [s + b for s, b in zip(scores, self._intercept, strict=True)]

    def probabilities(self, text: str) -> list[float]:
        """One probability per class, in `classes` order (scikit-learn's predict_proba)."""
        scores = self.decision(text)
        if self._outputs == 1:  # binary: the one score is for classes[1]
            p = _expit(scores[0])
            return [1.0 - p, p]
        if self.kind == "multinomial":
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            return [e / total for e in exps]
        probs = [_expit(s) for s in scores]  # one-vs-rest, normalised like liblinear
        total = sum(probs)
        return [p / total for p in probs] if total > 0 else [1.0 / len(probs)] * len(probs)

    def predict(self, texts: list[str]) -> list[Prediction]:
        """The most probable class of each page text, with its probability."""
        if isinstance(texts, str):
            raise TypeError("predict takes a list of page texts, not one string")
        predictions = []
        for text in texts:
            probs = self.probabilities(text)
            best = max(range(len(probs)), key=probs.__getitem__)
            predictions.append(Prediction(self.classes[best], probs[best]))
        return predictions


def _expit(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)

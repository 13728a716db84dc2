"""The portable page classifier (workshop_app/smartcat/classifier.py): verified before it is
parsed, and it predicts what scikit-learn predicts, page for page."""

import json
import shutil

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from workshop.export_documents import UnsupportedModel, dumps, export
from workshop.train_documents import candidates
from workshop_app.smartcat.classifier import ClassifierUnavailable, PageClassifier, Prediction

ODD_TEXTS = ["", "   \n\t ", "Quantenchromodynamik Zwölfton Xylophon", "ÄÖÜ äöü ß é – „“ €", "12,50 € " * 200]


def assert_same(pipeline, classifier, texts):
    expected = pipeline.predict_proba(texts)
    got = np.array([classifier.probabilities(t) for t in texts])
    assert np.abs(expected - got).max() < 1e-9
    assert [p.label for p in classifier.predict(texts)] == list(pipeline.predict(texts))


def test_portable_predictions_equal_sklearn_on_every_held_out_page(document_model):
    out, result = document_model
    classifier = PageClassifier.load(out)
    assert classifier.classes == result.classes == list(result.model.classes_)
    texts = [p.text for p in result.test]
    assert len(texts) >= len(result.classes)
    assert_same(result.model, classifier, texts + ODD_TEXTS)
    predictions = classifier.predict(texts)
    assert all(isinstance(p, Prediction) and 0 < p.confidence <= 1 for p in predictions)


def test_empty_and_unknown_text_get_the_prior_like_sklearn(document_model):
    out, result = document_model
    classifier = PageClassifier.load(out)
    empty, unknown = classifier.predict(["", "zzzz qqqq"])
    assert empty == unknown  # no known term: both are the model's intercepts alone
    assert empty.confidence == pytest.approx(result.model.predict_proba([""]).max(), abs=1e-9)


@pytest.mark.parametrize("name", [n for n, m in candidates().items() if hasattr(m[-1], "predict_proba")])
def test_every_deployable_candidate_exports_exactly(document_model, name):
    _, result = document_model
    texts = [p.text for p in result.test]
    model = candidates()[name].fit(texts, [p.label for p in result.test])
    assert_same(model, PageClassifier(json.loads(dumps(export(model)))), texts + ODD_TEXTS)


@pytest.mark.parametrize(
    "model", [LogisticRegression(), SGDClassifier(loss="log_loss", random_state=0), ComplementNB()]
)
def test_binary_models_and_every_analyzer(model):
    texts = [
        "Kaufpreis Grundbuch Notar",
        "Gehalt Brutto Netto",
        "Grundbuch Abteilung",
        "Netto Lohnsteuer",
        "Notar Auflassung Kaufpreis",
        "Brutto Steuerklasse Gehalt",
    ] * 3
    labels = ["contract", "payslip"] * 9
    features = FeatureUnion(
        [
            ("w", TfidfVectorizer(ngram_range=(1, 3), strip_accents="unicode")),
            ("c", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False)),
            ("b", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 6), norm=None, use_idf=False)),
        ]
    )
    pipeline = Pipeline([("f", features), ("m", model)]).fit(texts, labels)
    assert_same(pipeline, PageClassifier(json.loads(dumps(export(pipeline)))), texts + ODD_TEXTS)


def test_models_without_probabilities_are_not_exported():
    pipeline = Pipeline([("f", TfidfVectorizer()), ("m", LinearSVC())]).fit(["aa bb", "cc dd"], ["x", "y"])
    with pytest.raises(UnsupportedModel, match="LinearSVC"):
        export(pipeline)


@pytest.fixture
def artifact(document_model, tmp_path):
    copy = tmp_path / "artifact"
    shutil.copytree(document_model[0], copy)
    return copy


def test_a_tampered_classifier_is_refused_before_parsing(artifact):
    data = (artifact / "classifier.json").read_bytes()
    (artifact / "classifier.json").write_bytes(data.replace(b'"multinomial"', b'"ovr"'))
    with pytest.raises(ClassifierUnavailable, match="failed verification.*refusing to load it"):
        PageClassifier.load(artifact)


def test_a_pinned_digest_must_match_too(artifact):
    manifest = json.loads((artifact / "manifest.json").read_text())
    assert (
        PageClassifier.load(artifact, manifest["files"]["portable"]["sha256"]).model_id
        == manifest["model_id"]
    )
    with pytest.raises(ClassifierUnavailable, match="does not match expected_sha256"):
        PageClassifier.load(artifact, "0" * 64)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: (d / "manifest.json").unlink(), "make document-model"),
        (lambda d: (d / "manifest.json").write_text("{}"), "not a valid model manifest"),
        (lambda d: (d / "classifier.json").unlink(), "cannot read model file"),
    ],
)
def test_missing_or_broken_artifacts_say_what_is_wrong(artifact, change, message):
    change(artifact)
    with pytest.raises(ClassifierUnavailable, match=message):
        PageClassifier.load(artifact)


def test_predict_takes_a_list():
    with pytest.raises(TypeError, match="list of page texts"):
        PageClassifier.__new__(PageClassifier).predict("one string")

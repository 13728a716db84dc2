# %% [markdown]
# # 07 · SmartCat: classify paperwork pages
#
# A mortgage broker receives customers' paperwork as PDFs — payslips, bank statements, tax
# assessments, land-register extracts, contracts — often scanned, often several documents in one
# file, and wants every page labelled by document type. This lesson builds the model for that:
# a per-page classifier, trained on a generated corpus of German paperwork, small enough to run on
# Lambda without scikit-learn.
#
# **What you will learn**
#
# - what the generated corpus looks like, and why it is built to be hard (shared vocabulary,
#   near-duplicate classes, multi-page documents, scans);
# - how a page becomes text: the PDF's text layer in milliseconds, or OCR in about a second;
# - how to compare TF-IDF + linear models fairly: cross-validation *grouped by document*;
# - how to read macro-F1 and a confusion matrix, with digital and scanned pages reported apart;
# - how to find out *why* a page was misclassified;
# - how the model is saved as a verified artifact that pure Python evaluates exactly like
#   scikit-learn.
#
# **Teaching:** 30 min · **Exercises:** 20 min
#
# `make corpus` and `make train-documents DATA=<dir> OUT=<dir>` run the same code without a
# notebook (`workshop/smartcat_corpus.py`, `workshop/train_documents.py`).

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again: it generates the default corpus only if it is
# missing (`make document-model` has usually done that already).

# %%
import json
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pypdfium2 as pdfium
from sklearn.metrics import ConfusionMatrixDisplay, classification_report

from workshop import DATA_DIR
from workshop.smartcat_corpus import BUNDLES, generate
from workshop.train_documents import (
    candidates,
    compare,
    read_corpus,
    save_model,
    scanned_copies,
    scanned_pages,
    scores,
    split_documents,
)
from workshop_app.smartcat import pdf
from workshop_app.smartcat.classifier import ClassifierUnavailable, PageClassifier

CORPUS = DATA_DIR / "corpus"
if not (CORPUS / "corpus.json").exists():
    generate(CORPUS)
recipe = json.loads((CORPUS / "corpus.json").read_text())
plt.rcParams.update({"figure.figsize": (11, 4)})


def show_pages(paths_and_titles, scale=0.9):
    """Render the first page of each PDF side by side (PDFium → image → matplotlib)."""
    fig, axes = plt.subplots(1, len(paths_and_titles), figsize=(5 * len(paths_and_titles), 7))
    for ax, (path, title) in zip(np.atleast_1d(axes), paths_and_titles, strict=True):
        document = pdfium.PdfDocument(path)
        ax.imshow(document[0].render(scale=scale, grayscale=True).to_numpy(), cmap="gray")
        ax.set_title(title)
        ax.axis("off")
        document.close()
    plt.tight_layout()
    plt.show()


# %% [markdown]
# ## 1. The corpus
#
# No public corpus of German mortgage paperwork exists, so the repository generates one, with
# Faker's `de_DE` names, addresses and IBANs and amounts written the German way (`1.234,56 €`).
# One folder per class, one PDF per document; scanned copies and multi-document bundles live in
# folders starting with `_`, which the trainer does not take for classes:

# %%
counts = pd.DataFrame(recipe["counts"]).T
print(f"seed {recipe['seed']}, {recipe['size']} documents per class, {recipe['bundles']['files']} bundles")
display(counts)

# %% [markdown]
# Some classes are near-duplicates on purpose. A payslip is legally an *Entgeltbescheinigung*;
# an employer's *Verdienstbescheinigung* for the bank lists the same gross pay, tax class and
# income tax. Both carry names, addresses, dates and euro amounts — like every other class:

# %%
show_pages(
    [
        (CORPUS / "payslip" / "payslip-0001.pdf", "payslip"),
        (CORPUS / "salary_certificate" / "salary_certificate-0001.pdf", "salary_certificate"),
        (CORPUS / "expose" / "expose-0001.pdf", "expose (page 1)"),
    ]
)

# %% [markdown]
# A quarter of the documents also exist as a **scan**: rasterised at 150 dpi, slightly rotated,
# grey paper, grain, dust, blur, JPEG. The scanned PDF has no text layer at all:

# %%
scans = scanned_copies(CORPUS)
example = sorted(scans)[0]
show_pages([(CORPUS / example, f"{example} (digital)"), (scans[example], "the same page, scanned")])

# %% [markdown]
# ## 2. From a page to text
#
# `workshop_app/smartcat/pdf.py` reads a page the way the Lambda workers will: the text layer
# when the page has one, OCR (tesseract, German) when it does not. Training uses the same code,
# so a page is read identically when the model learns and when it predicts.

# %%
digital = pdfium.PdfDocument(CORPUS / example)
scanned = pdfium.PdfDocument(scans[example])
started = time.perf_counter()
from_text_layer = pdf.read_page(digital, 0)
text_ms = 1000 * (time.perf_counter() - started)
started = time.perf_counter()
from_ocr = pdf.read_page(scanned, 0)
ocr_s = time.perf_counter() - started
print(f"text layer: {text_ms:.1f} ms, method={from_text_layer.method!r}")
print(f"OCR:        {ocr_s:.2f} s,  method={from_ocr.method!r}")
words = set(re.findall(r"\w{4,}", from_text_layer.text))
found = set(re.findall(r"\w{4,}", from_ocr.text))
print(
    f"OCR found {len(words & found) / len(words):.0%} of the text layer's words; missed e.g. "
    f"{sorted(words - found)[:8]}"
)
print("--- OCR, first lines ---")
print("\n".join(from_ocr.text.strip().splitlines()[:8]))

# %% [markdown]
# A thousand times slower: OCR is the expensive step of the whole pipeline. That is why we train
# on the text layers only and *measure* how well the model copes with OCR'd text, instead of
# OCR-ing every scan for training.
#
# ## 3. Read the corpus, hold out documents
#
# Every page is a sample labelled with its folder. Pages of one document look alike (same
# person, same letterhead), so they must not sit on both sides of a split: we hold out 20% of each
# class's **documents**, preferring those that have a scanned copy so that we can test on scans.

# %%
corpus = read_corpus(CORPUS)
train_docs, test_docs = split_documents(corpus, prefer=set(scans))
train = [p for p in corpus.pages if p.document in train_docs]
test = [p for p in corpus.pages if p.document in test_docs]
print(
    f"{len(corpus.pages)} pages from {len(corpus.documents())} documents; "
    f"train {len(train)} pages / {len(train_docs)} docs, test {len(test)} pages / {len(test_docs)} docs"
)
Counter(p.label for p in train)

# %% [markdown]
# ## 4. Compare models by cross-validation, grouped by document
#
# Each candidate is a TF-IDF vectoriser (words, or words plus character n-grams that survive OCR
# typos and German compounds) followed by a linear model. `StratifiedGroupKFold` keeps all pages
# of a document in the same fold. The metric is **macro-F1**: the mean of the classes' F1, so a
# rare class counts as much as a frequent one.

# %%
table = pd.DataFrame(
    compare([p.text for p in train], [p.label for p in train], [p.document for p in train])
).set_index("model")
display(table)

# %% [markdown]
# LinearSVC is often the strongest text classifier, but it gives no probabilities, and the
# pipeline needs a confidence per page; so we deploy the best model that has `predict_proba`.
# When the scores are this close, the differences are within one standard deviation: any of the
# probabilistic models would do.

# %%
best = table[table["probabilities"]].index[0]
model = candidates()[best].fit([p.text for p in train], [p.label for p in train])
classes = list(model.classes_)
predicted = model.predict([p.text for p in test])
print(best)
print(classification_report([p.label for p in test], predicted, zero_division=0))

# %% [markdown]
# ## 5. Digital and scanned pages, apart
#
# Now the scans of held-out documents, read by OCR (two processes, one tesseract thread each).
# We take a bounded number of pages so the lesson stays fast; `make document-model` does the same.

# %%
scan_test, ocr_seconds = scanned_pages(corpus, test_docs, scans, max_pages=12)
scan_predicted = model.predict([p.text for p in scan_test])
digital_scores = scores([p.label for p in test], list(predicted), classes)
scanned_scores = scores([p.label for p in scan_test], list(scan_predicted), classes)
pd.DataFrame({"digital": digital_scores, "scanned (OCR)": scanned_scores}).loc[
    ["macro_f1", "accuracy", "n_pages"]
]

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 6))
for ax, (name, true, pred) in zip(
    axes,
    [
        ("digital", [p.label for p in test], predicted),
        ("scanned (OCR)", [p.label for p in scan_test], scan_predicted),
    ],
    strict=True,
):
    ConfusionMatrixDisplay.from_predictions(
        true, pred, labels=classes, ax=ax, colorbar=False, xticks_rotation=60
    )
    ax.set_title(f"held-out pages, {name}")
plt.tight_layout()
plt.show()

# %% [markdown]
# The model never saw OCR output, yet it classifies most scanned pages correctly: OCR misreads
# some characters, but most of the words that matter (*Grundbuch*, *Lohnsteuer*, *Kontostand*)
# survive. Compare the two macro-F1 values above: the gap is what training on text layers only
# costs. With only a dozen scanned pages, one mistake moves the score a lot — judge the gap with
# `make document-model`'s larger sample (`models/documents/metrics.json`).
#
# ## 6. Error analysis: why was a page misclassified?
#
# For a linear model, a page's score for a class is the sum over its terms of
# *TF-IDF weight × coefficient*. The terms that pushed the page towards the wrong class and away
# from the right one explain the mistake.

# %%
vectorizer, linear = model[0], model[-1]
names = vectorizer.get_feature_names_out()
weights = getattr(linear, "coef_", None)
if weights is None:
    weights = linear.feature_log_prob_  # naive Bayes: per-class log probabilities of terms


def why(text, true, pred, top=8):
    """The terms that favour `pred` over `true` most on this page."""
    x = vectorizer.transform([text]).toarray()[0]
    if len(classes) == 2 and weights.shape[0] == 1:
        push = x * weights[0] * (1 if pred == classes[1] else -1)
    else:
        push = x * (weights[classes.index(pred)] - weights[classes.index(true)])
    order = np.argsort(push)[::-1][:top]
    return [(names[i], round(float(push[i]), 3)) for i in order if push[i] > 0]


mistakes = [
    (p, pred)
    for p, pred in zip(test + scan_test, list(predicted) + list(scan_predicted), strict=True)
    if pred != p.label
]
print(f"{len(mistakes)} misclassified held-out pages")
for page, pred in mistakes[:5]:
    print(f"\n{page.document} page {page.page} ({page.method}): true {page.label}, predicted {pred}")
    print("  terms for the wrong class:", why(page.text, page.label, pred))

# %% [markdown]
# Typical culprits: a short continuation or signature page with little to go on, the broker's
# receipt stamp ("EINGEGANGEN … Gehaltsabrechnungen, Grundbuchauszug …") that names every kind of
# document, or a contract quoting the land register word for word.
#
# ## 7. Save a verified artifact, and run it without scikit-learn
#
# `save_model` exports the fitted pipeline to JSON — vocabulary, idf, every tokenizer setting,
# coefficients — and writes a manifest with its sha256. `PageClassifier.load` hashes the bytes
# and compares them with the manifest *before* parsing anything; nothing is ever unpickled.

# %%
artifact = Path(tempfile.mkdtemp(prefix="smartcat-"))
manifest = save_model(
    model,
    artifact,
    best,
    {
        "macro_f1": digital_scores["macro_f1"],
        "accuracy": digital_scores["accuracy"],
        "classes": classes,
        "n_train": len(train),
        "n_test": len(test),
    },
)
print(json.dumps({k: manifest[k] for k in ("model", "model_id", "classes", "files")}, indent=1))
started = time.perf_counter()
portable = PageClassifier.load(artifact)
print(f"loaded in {1000 * (time.perf_counter() - started):.0f} ms")

# %% [markdown]
# The portable classifier re-implements TF-IDF (lower-casing, the token pattern, character
# n-grams, sublinear tf, l2 norm) and the model's `predict_proba` in plain Python. It must agree
# with scikit-learn on every page — labels exactly, probabilities to 1e-9:

# %%
texts = [p.text for p in test + scan_test]
difference = np.abs(model.predict_proba(texts) - np.array([portable.probabilities(t) for t in texts]))
same_labels = [p.label for p in portable.predict(texts)] == list(model.predict(texts))
print(f"{len(texts)} pages: same labels {same_labels}, largest probability difference {difference.max():.1e}")
started = time.perf_counter()
portable.predict(texts)
print(f"{1000 * (time.perf_counter() - started) / len(texts):.2f} ms per page in pure Python")

# %% [markdown]
# And a file that changed after training is refused:

# %%
tampered = Path(tempfile.mkdtemp(prefix="smartcat-tampered-"))
shutil.copytree(artifact, tampered, dirs_exist_ok=True)
(tampered / "classifier.json").write_bytes((artifact / "classifier.json").read_bytes().replace(b"e", b"E", 1))
try:
    PageClassifier.load(tampered)
except ClassifierUnavailable as error:
    print("refused:", error)

# %% [markdown]
# ## Exercises

# %% tags=["solution"]
# Exercise 1: how well does a plain word model ("logistic regression · words" from candidates())
# do on scanned pages? Fit it on the training pages and store its macro-F1 on `scan_test` in
# `words_scanned_f1` (use scores(...)["macro_f1"]).

words_model = candidates()["logistic regression · words"]
words_model.fit([p.text for p in train], [p.label for p in train])
words_scanned_f1 = scores(
    [p.label for p in scan_test], list(words_model.predict([p.text for p in scan_test])), classes
)["macro_f1"]
print(
    f"words only, scanned pages: macro-F1 {words_scanned_f1:.3f} "
    f"(deployed model: {scanned_scores['macro_f1']:.3f})"
)

# %% tags=["check"]
assert 0 <= words_scanned_f1 <= 1
assert (
    words_scanned_f1
    == scores([p.label for p in scan_test], list(words_model.predict([p.text for p in scan_test])), classes)[
        "macro_f1"
    ]
)

# %% tags=["solution"]
# Exercise 2: which two classes does the model confuse most on the digital held-out pages?
# From digital_scores["confusion_matrix"] (rows: true class, columns: predicted, in `classes`
# order) find the largest off-diagonal cell; store (true class, predicted class) in
# `most_confused` and its count in `most_confused_count`.

matrix = np.array(digital_scores["confusion_matrix"])
np.fill_diagonal(matrix, 0)
row, column = np.unravel_index(matrix.argmax(), matrix.shape)
most_confused = (classes[row], classes[column])
most_confused_count = int(matrix[row, column])
print(most_confused, most_confused_count)

# %% tags=["check"]
cm = np.array(digital_scores["confusion_matrix"])
off_diagonal = [cm[i, j] for i in range(len(classes)) for j in range(len(classes)) if i != j]
assert most_confused_count == max(off_diagonal)
assert cm[classes.index(most_confused[0]), classes.index(most_confused[1])] == most_confused_count

# %% tags=["solution"]
# Exercise 3: label every page of a bundle (several documents in one PDF, some pages scanned)
# with the portable classifier, and compare with the truth in its JSON file. Store the share of
# correctly labelled pages in `bundle_accuracy`.
# Hint: pdf.open_pdf(bytes), pdf.read_page(document, index).text, portable.predict([...]).

bundle = sorted((CORPUS / BUNDLES).glob("*.pdf"))[0]
truth = json.loads(bundle.with_suffix(".json").read_text())
document = pdf.open_pdf(bundle.read_bytes())
bundle_texts = [pdf.read_page(document, i).text for i in range(len(document))]
labels = [p.label for p in portable.predict(bundle_texts)]
right = [label == page["label"] for label, page in zip(labels, truth["pages"], strict=True)]
bundle_accuracy = float(np.mean(right))
print(f"{bundle.name}: {bundle_accuracy:.0%} of {len(labels)} pages right")
for page, label in zip(truth["pages"], labels, strict=True):
    print(page["page"], page["label"], "→", label, "(scanned)" if page["scanned"] else "")

# %% tags=["check"]
assert 0 <= bundle_accuracy <= 1
assert bundle_accuracy >= 0.5, "most pages of a bundle should be labelled correctly"

# %% [markdown]
# ## Key points
#
# - Generated data can teach real lessons if it is built to be hard: shared vocabulary and
#   near-duplicate classes keep the scores honest.
# - Split and cross-validate **by document**, or pages of one document leak into the test set.
# - Report macro-F1 per input type: digital and scanned pages behave differently, and OCR costs
#   a second per page where the text layer costs milliseconds.
# - A linear model explains its mistakes: TF-IDF weight × coefficient, term by term.
# - The deployed model is JSON + a manifest with its sha256, checked before parsing, evaluated in
#   pure Python exactly as scikit-learn would — no numpy, no pickle on Lambda.

"""Train the SmartCat page classifier on a folder of documents, evaluate it, save the artifact.

    python -m workshop.train_documents --data DIR --out DIR
    make train-documents DATA=DIR OUT=DIR

DATA holds one sub-folder per class (its name is the label) with `.pdf` files (every page is a
sample labelled with the folder's class; pages without a text layer are read by OCR) and/or
`.txt` files (one sample per file). Sub-folders whose names start with "_" or "." are not
classes: the generated corpus keeps its scans (`_scans/`) and bundles (`_bundles/`) there.

What it does: reads every page (workshop_app/smartcat/pdf.py, exactly as the Lambda workers
will), holds out a stratified 20% of the *documents* (pages of one document never sit on both
sides), compares candidate models by cross-validation grouped by document, fits the best one that
gives probabilities, reports precision/recall/F1 per class on the held-out pages, and writes:

    OUT/classifier.json   the model for workshop_app/smartcat/classifier.py (no scikit-learn)
    OUT/metrics.json      macro_f1, accuracy, classes, n_train, n_test, per class, the comparison
    OUT/manifest.json     sha256 of classifier.json, classes, metrics, versions

When DATA/_scans/<class>/<name>.pdf holds a scanned copy of DATA/<class>/<name>.pdf (the
generated corpus does, for a random quarter of its documents), the held-out documents are drawn
from those first, and up to --max-scan-pages of their scanned pages are read by OCR and reported
apart: the model trains on text layers only, and this measures how it copes with OCR'd text.
Because the generator picks the scanned documents at random, the held-out set is still a random
sample of documents.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from workshop_app import artifacts
from workshop_app.smartcat import ocr, pdf
from workshop_app.smartcat.classifier import FORMAT

from . import MODELS_DIR

DOCUMENTS_MODEL_DIR = MODELS_DIR / "documents"
CLASSIFIER_FILE, METRICS_FILE = "classifier.json", "metrics.json"
SCANS = "_scans"
SEED = 42
TEST_SIZE = 0.2
#: A class needs this many documents: at least one held out, and enough left for 3-fold CV.
MIN_DOCUMENTS = 5
FOLDS = 3
MAX_SCAN_PAGES = 48


class TrainingError(Exception):
    """A problem with the data that the user must fix; the CLI prints it and exits with 2."""


@dataclass
class Page:
    text: str
    label: str
    document: str  # the file it came from, relative to DATA: the group for splitting
    page: int  # 1-based; 1 for a .txt file
    method: str  # "text" (PDF text layer), "ocr", or "txt"


@dataclass
class Corpus:
    pages: list[Page]
    classes: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    empty_pages: int = 0

    def documents(self) -> dict[str, str]:
        """Every document and its label."""
        return {p.document: p.label for p in self.pages}


# ---------------------------------------------------------------- reading


def class_folders(data: Path) -> dict[str, list[Path]]:
    """{class: its .pdf/.txt files}, or TrainingError when the folder cannot be a training set."""
    data = Path(data)
    if not data.is_dir():
        raise TrainingError(
            f"{data} is not a directory: point --data at a folder with one sub-folder per class"
        )
    folders = sorted(d for d in data.iterdir() if d.is_dir() and not d.name.startswith(("_", ".")))
    if not folders:
        raise TrainingError(
            f"{data} has no class sub-folders: put each class's .pdf/.txt files "
            "in a sub-folder named after the class"
        )
    files = {}
    for folder in folders:
        found = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in (".pdf", ".txt"))
        if not found:
            raise TrainingError(f"class folder {folder} holds no .pdf or .txt files")
        files[folder.name] = found
    if len(files) < 2:
        raise TrainingError(
            f"{data} has a single class ({next(iter(files))}); a classifier needs at least two class folders"
        )
    return files


def read_file(path: Path) -> tuple[list[tuple[str, str]], str | None]:
    """([(text, method) per page], None) or ([], why it cannot be read)."""
    try:
        if path.suffix.lower() == ".txt":
            return [(path.read_bytes().decode("utf-8"), "txt")], None
        document = pdf.open_pdf(path.read_bytes())
        try:
            out = []
            for index in range(len(document)):
                page = pdf.read_page(document, index)
                out.append((page.text, page.method))
            return out, None
        finally:
            document.close()
    except pdf.PdfRejected as error:
        return [], error.reason
    except UnicodeDecodeError:
        return [], "not UTF-8 text"
    except (OSError, ocr.OcrFailed) as error:
        return [], str(error)
    except Exception as error:  # noqa: BLE001 - a broken page must not stop training; it is listed
        return [], f"unreadable ({type(error).__name__}: {error})"


def _pool_map(function, items: list, workers: int, desc: str, unit: str, progress: bool):
    from tqdm.auto import tqdm

    if workers <= 1 or len(items) < 4:
        yield from tqdm(map(function, items), total=len(items), desc=desc, unit=unit, disable=not progress)
        return
    # forkserver, not fork: forking a process that runs threads (a test's moto server) can deadlock
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        yield from tqdm(
            pool.map(function, items, chunksize=4),
            total=len(items),
            desc=desc,
            unit=unit,
            disable=not progress,
        )


def read_corpus(data: Path, workers: int = 2, progress: bool = True) -> Corpus:
    """Every page of every file under DATA's class folders, with the files that failed."""
    data = Path(data)
    files = class_folders(data)
    jobs = [(label, path) for label, paths in files.items() for path in paths]
    corpus = Corpus(pages=[], classes=sorted(files))
    results = _pool_map(read_file, [path for _, path in jobs], workers, "reading pages", "file", progress)
    for (label, path), (texts, error) in zip(jobs, results, strict=True):
        name = path.relative_to(data).as_posix()
        if error:
            corpus.skipped.append((name, error))
            continue
        for number, (text, method) in enumerate(texts, start=1):
            if text.strip():
                corpus.pages.append(Page(text, label, name, number, method))
            else:
                corpus.empty_pages += 1
    documents = Counter(corpus.documents().values())
    too_few = {c: documents.get(c, 0) for c in corpus.classes if documents.get(c, 0) < MIN_DOCUMENTS}
    if too_few:
        raise TrainingError(
            "too few readable documents to split into training and held-out sets "
            f"(need {MIN_DOCUMENTS} per class): "
            + ", ".join(f"{c}: {n}" for c, n in too_few.items())
            + _skipped_note(corpus.skipped)
        )
    return corpus


def _skipped_note(skipped: list) -> str:
    return (
        f"; {len(skipped)} file(s) could not be read: " + ", ".join(n for n, _ in skipped) if skipped else ""
    )


# ---------------------------------------------------------------- splitting


def scanned_copies(data: Path) -> dict[str, Path]:
    """{document (as in Page.document): its scanned copy} from DATA/_scans, if there is one."""
    root = Path(data) / SCANS
    if not root.is_dir():
        return {}
    return {path.relative_to(root).as_posix(): path for path in sorted(root.glob("*/*.pdf"))}


def split_documents(
    corpus: Corpus, test_size: float = TEST_SIZE, seed: int = SEED, prefer: set[str] | frozenset = frozenset()
) -> tuple[set[str], set[str]]:
    """(train, test) document names: `test_size` of each class's documents held out (≥ 1),
    chosen at random, from the documents in `prefer` first."""
    rng = random.Random(seed)  # noqa: S311 - seeded on purpose: reproducible data
    by_class = defaultdict(list)
    for document, label in sorted(corpus.documents().items()):
        by_class[label].append(document)
    train, test = set(), set()
    for label in sorted(by_class):
        documents = by_class[label]
        rng.shuffle(documents)
        documents.sort(key=lambda d: d not in prefer)  # stable: preferred first, still shuffled
        n_test = max(1, round(len(documents) * test_size))
        test.update(documents[:n_test])
        train.update(documents[n_test:])
    return train, test


# ---------------------------------------------------------------- models


def candidates(seed: int = SEED) -> dict[str, object]:
    """The models compared: TF-IDF on words and/or character n-grams, then a linear model.

    Character n-grams within words (char_wb) survive OCR's typos and German compounds
    ("Grundschuldbestellung") that a word vocabulary misses. LinearSVC is the usual strong
    baseline for text, but has no probabilities, so it is compared and never deployed.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    def words():
        return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=40000)

    def words_chars():
        return FeatureUnion(
            [
                ("words", TfidfVectorizer(sublinear_tf=True, min_df=2)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=(3, 5),
                        sublinear_tf=True,
                        min_df=2,
                        max_features=30000,
                    ),
                ),
            ]
        )

    return {
        "logistic regression · words": Pipeline(
            [("tfidf", words()), ("model", LogisticRegression(C=20, max_iter=3000))]
        ),
        "logistic regression · words+chars": Pipeline(
            [("tfidf", words_chars()), ("model", LogisticRegression(C=20, max_iter=3000))]
        ),
        "complement naive Bayes · words": Pipeline([("tfidf", words()), ("model", ComplementNB(alpha=0.3))]),
        "SGD log-loss · words+chars": Pipeline(
            [
                ("tfidf", words_chars()),
                (
                    "model",
                    SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, tol=None, random_state=seed),
                ),
            ]
        ),
        "linear SVM · words+chars (no probabilities)": Pipeline(
            [("tfidf", words_chars()), ("model", LinearSVC(C=1.0))]
        ),
    }


def deployable(model) -> bool:
    return hasattr(model, "predict_proba")


def compare(
    texts: list[str],
    labels: list[str],
    groups: list[str],
    folds: int = FOLDS,
    seed: int = SEED,
    progress: bool = True,
) -> list[dict]:
    """Cross-validated macro-F1 of every candidate, folds grouped by document; best first."""
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold, cross_validate
    from threadpoolctl import threadpool_limits
    from tqdm.auto import tqdm

    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    rows = []
    with threadpool_limits(1):
        for name, model in tqdm(
            candidates(seed).items(), desc="cross-validating", unit="model", disable=not progress
        ):
            started = time.perf_counter()
            scores = cross_validate(
                model, texts, labels, groups=groups, cv=cv, scoring=["f1_macro", "accuracy"]
            )
            rows.append(
                {
                    "model": name,
                    "cv_macro_f1": round(float(np.mean(scores["test_f1_macro"])), 4),
                    "cv_macro_f1_std": round(float(np.std(scores["test_f1_macro"])), 4),
                    "cv_accuracy": round(float(np.mean(scores["test_accuracy"])), 4),
                    "probabilities": deployable(model[-1]),
                    "seconds": round(time.perf_counter() - started, 2),
                }
            )
    return sorted(rows, key=lambda r: -r["cv_macro_f1"])


def scores(true: list[str], predicted: list[str], classes: list[str]) -> dict:
    """macro-F1, accuracy, per-class precision/recall/F1/support and the confusion matrix."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    if not true:
        return {"macro_f1": None, "accuracy": None, "n_pages": 0}
    p, r, f, s = precision_recall_fscore_support(true, predicted, labels=classes, zero_division=0)
    present = [c for c in classes if c in set(true)]
    return {
        "macro_f1": round(
            float(f1_score(true, predicted, labels=present, average="macro", zero_division=0)), 4
        ),
        "accuracy": round(float(accuracy_score(true, predicted)), 4),
        "n_pages": len(true),
        "per_class": {
            c: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(s[i]),
            }
            for i, c in enumerate(classes)
        },
        "confusion_matrix": confusion_matrix(true, predicted, labels=classes).tolist(),
    }


# ---------------------------------------------------------------- scanned evaluation


def _ocr_page(job: tuple[str, int]) -> tuple[str, float]:
    path, index = job
    document = pdf.open_pdf(Path(path).read_bytes())
    try:
        started = time.perf_counter()
        return pdf.read_page(document, index).text, time.perf_counter() - started
    finally:
        document.close()


def choose_scanned_pages(
    page_counts: dict[str, int], labels: dict[str, str], documents: set[str], seed: int, max_pages: int
) -> list[tuple[str, int]]:
    """The (document, 0-based page) pairs to read by OCR, in order: the scanned pages of
    `documents`, shuffled per class with `seed`, taken round-robin across classes up to
    `max_pages`. `page_counts`: document -> pages of its scanned copy. The same seed gives the
    same pages, so bench/smartcat.py measures the pages training evaluated."""
    by_class = defaultdict(list)
    for document in sorted(documents):
        if document in page_counts:
            by_class[labels[document]] += [(document, i) for i in range(page_counts[document])]
    rng = random.Random(seed)  # noqa: S311 - seeded on purpose: reproducible data
    for pages in by_class.values():
        rng.shuffle(pages)
    chosen = []
    while len(chosen) < max_pages and any(by_class.values()):
        for label in sorted(by_class):
            if by_class[label] and len(chosen) < max_pages:
                chosen.append(by_class[label].pop())
    return chosen


def scanned_pages(
    corpus: Corpus,
    documents: set[str],
    copies: dict[str, Path],
    max_pages: int = MAX_SCAN_PAGES,
    workers: int = 2,
    seed: int = SEED,
    progress: bool = True,
) -> tuple[list[Page], list[float]]:
    """Up to `max_pages` pages of the scanned copies of `documents`, read by OCR (in `workers`
    processes), taken round-robin across classes; and the seconds each page took."""
    labels, page_counts = corpus.documents(), {}
    for document in sorted(documents):
        if document in copies:
            count = pdf.open_pdf(copies[document].read_bytes())
            page_counts[document] = len(count)
            count.close()
    chosen = choose_scanned_pages(page_counts, labels, documents, seed, max_pages)
    jobs = [(str(copies[d]), i) for d, i in chosen]
    results = list(_pool_map(_ocr_page, jobs, workers, "OCR of scanned held-out pages", "page", progress))
    pages = [
        Page(text, labels[d], d, i + 1, "ocr") for (d, i), (text, _) in zip(chosen, results, strict=True)
    ]
    return pages, [seconds for _, seconds in results]


# ---------------------------------------------------------------- the whole run


@dataclass
class Result:
    model: object  # the fitted scikit-learn pipeline
    name: str
    classes: list[str]
    test: list[Page]  # held-out pages as read (text layer / .txt)
    scanned: list[Page]  # OCR'd scanned copies of held-out pages
    metrics: dict
    manifest: dict


def save_model(model, out: Path, name: str, metrics: dict, extra: dict | None = None) -> dict:
    """Write classifier.json, metrics.json and a manifest with the classifier's sha256."""
    from importlib.metadata import version

    import numpy as np
    import sklearn

    from .export_documents import dumps, export

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    document = export(model)
    data = dumps(document)
    artifacts.write_file(out / CLASSIFIER_FILE, data)
    artifacts.write_file(
        out / METRICS_FILE, (json.dumps(metrics, indent=2, ensure_ascii=False) + "\n").encode()
    )
    return artifacts.write_manifest(
        out,
        {artifacts.PORTABLE: CLASSIFIER_FILE, "metrics": METRICS_FILE},
        model=name,
        format=FORMAT,
        classes=document["classes"],
        metrics={k: metrics[k] for k in ("macro_f1", "accuracy", "n_train", "n_test") if k in metrics}
        | {"scanned_macro_f1": (metrics.get("scanned") or {}).get("macro_f1")},
        versions={
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "pypdfium2": version("pypdfium2"),
        },
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        **(extra or {}),
    )


def train(
    data: Path,
    out: Path | None = DOCUMENTS_MODEL_DIR,
    *,
    seed: int = SEED,
    max_scan_pages: int = MAX_SCAN_PAGES,
    workers: int = 2,
    progress: bool = True,
) -> Result:
    """Read, split, compare, fit, evaluate (digital and scanned apart) and, if `out`, save."""
    from threadpoolctl import threadpool_limits

    timings = {}
    started = time.perf_counter()
    corpus = read_corpus(data, workers, progress)
    timings["read_s"] = round(time.perf_counter() - started, 2)
    copies = scanned_copies(data)
    train_docs, test_docs = split_documents(corpus, seed=seed, prefer=set(copies))
    train_pages = [p for p in corpus.pages if p.document in train_docs]
    test_pages = [p for p in corpus.pages if p.document in test_docs]
    texts, labels = [p.text for p in train_pages], [p.label for p in train_pages]
    started = time.perf_counter()
    table = compare(texts, labels, [p.document for p in train_pages], seed=seed, progress=progress)
    timings["compare_s"] = round(time.perf_counter() - started, 2)
    best = next(row for row in table if row["probabilities"])
    started = time.perf_counter()
    with threadpool_limits(1):
        model = candidates(seed)[best["model"]].fit(texts, labels)
    timings["fit_s"] = round(time.perf_counter() - started, 2)
    classes = [str(c) for c in model.classes_]
    digital = scores(
        [p.label for p in test_pages], list(model.predict([p.text for p in test_pages])), classes
    )
    started = time.perf_counter()
    scanned, ocr_seconds = scanned_pages(corpus, test_docs, copies, max_scan_pages, workers, seed, progress)
    timings["ocr_s"] = round(time.perf_counter() - started, 2)
    scanned_scores = (
        scores([p.label for p in scanned], list(model.predict([p.text for p in scanned])), classes)
        if scanned
        else None
    )
    if ocr_seconds:
        timings["ocr_s_per_page_median"] = round(sorted(ocr_seconds)[len(ocr_seconds) // 2], 3)
    methods = Counter(p.method for p in corpus.pages)
    metrics = {
        "macro_f1": digital["macro_f1"],
        "accuracy": digital["accuracy"],
        "classes": classes,
        "n_train": len(train_pages),
        "n_test": len(test_pages),
        "n_train_documents": len(train_docs),
        "n_test_documents": len(test_docs),
        "model": best["model"],
        "cv_folds": FOLDS,
        "comparison": table,
        "per_class": digital["per_class"],
        "confusion_matrix": digital["confusion_matrix"],
        "scanned": scanned_scores,
        "pages_read": dict(methods),
        "empty_pages": corpus.empty_pages,
        "skipped": [{"file": name, "reason": why} for name, why in corpus.skipped],
        "timings": timings,
        "seed": seed,
    }
    result = Result(model, best["model"], classes, test_pages, scanned, metrics, {})
    if out is not None:
        extra = {}
        recipe = Path(data) / "corpus.json"
        if recipe.exists():
            extra["corpus"] = {"recipe": json.loads(recipe.read_text()), "path": str(data)}
        result.manifest = save_model(model, out, best["model"], metrics, extra)
    return result


def report(result: Result) -> str:
    """The printed summary: comparison, per-class scores, digital vs scanned."""
    m = result.metrics
    lines = [f"{'model':48} {'CV macro-F1':>12} {'± sd':>7} {'s':>6}"]
    lines += [
        f"{r['model']:48} {r['cv_macro_f1']:12.3f} {r['cv_macro_f1_std']:7.3f} {r['seconds']:6.1f}"
        + ("" if r["probabilities"] else "  (not deployable: no probabilities)")
        for r in m["comparison"]
    ]
    lines += [
        "",
        f"chosen: {result.name}",
        "",
        f"held-out pages ({m['n_test']} from {m['n_test_documents']} documents):",
        f"{'class':22} {'precision':>9} {'recall':>7} {'F1':>7} {'pages':>6}",
    ]
    for c, s in m["per_class"].items():
        lines.append(f"{c:22} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:7.3f} {s['support']:6d}")
    lines.append(f"digital: macro-F1 {m['macro_f1']:.3f}, accuracy {m['accuracy']:.3f}")
    if m["scanned"]:
        lines.append(
            f"scanned (OCR, {m['scanned']['n_pages']} pages): macro-F1 {m['scanned']['macro_f1']:.3f}, "
            f"accuracy {m['scanned']['accuracy']:.3f}"
        )
    for item in m["skipped"]:
        lines.append(f"skipped {item['file']}: {item['reason']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Train the SmartCat page classifier on a folder "
        "with one sub-folder of .pdf/.txt files per class."
    )
    parser.add_argument("--data", type=Path, required=True, help="folder of class folders")
    parser.add_argument("--out", type=Path, default=DOCUMENTS_MODEL_DIR, help="artifact directory")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--max-scan-pages",
        type=int,
        default=MAX_SCAN_PAGES,
        help="scanned held-out pages to OCR for the scanned report (0: none)",
    )
    parser.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes for reading and OCR"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        result = train(
            args.data, args.out, seed=args.seed, max_scan_pages=args.max_scan_pages, workers=args.workers
        )
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report(result))
    print(
        f"saved to {args.out} [model_id {result.manifest['model_id']}] in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

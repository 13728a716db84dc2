"""`python -m workshop.train_documents` (what `make train-documents` runs): the happy path on
.pdf and .txt files, the metrics it writes, and a clear error (exit 2, no traceback) for each
kind of bad training folder."""

import json
import shutil

import pytest

from workshop import train_documents
from workshop.paperwork import DOCUMENT_TYPES
from workshop.train_documents import main

NOTES = [
    "Rückrufbitte wegen Termin beim Notar",
    "Bitte Unterlagen bis Freitag nachreichen",
    "Kunde ruft wegen Zinsbindung zurück",
    "Telefonnotiz: Beratungstermin verschoben",
    "Notiz: Eigenkapital noch offen",
    "Rückfrage zur Anschlussfinanzierung",
]


def run(capsys, *args):
    code = main([*args, "--max-scan-pages", "0", "--workers", "1"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def mixed_data(smartcat_corpus, tmp_path):
    """The small corpus's class folders, a class of .txt notes, and two unreadable files."""
    data = tmp_path / "data"
    for label in ["payslip", "salary_certificate", "bank_statement"]:
        shutil.copytree(smartcat_corpus / label, data / label)
    (data / "_bundles").mkdir()  # not a class: starts with "_"
    shutil.copy(next((smartcat_corpus / "_bundles").glob("*.pdf")), data / "_bundles")
    (data / "phone_note").mkdir()
    for i, note in enumerate(NOTES):
        (data / "phone_note" / f"note-{i}.txt").write_text(f"{note}. Anruf am 0{i + 1}.03.2024.\n")
    (data / "payslip" / "corrupt.pdf").write_bytes(b"%PDF-1.7\nthis is not really a PDF")
    (data / "payslip" / "latin1.txt").write_bytes("Gehalt für März".encode("latin-1"))
    return data


def test_trains_on_pdf_and_txt_and_writes_metrics(mixed_data, tmp_path, capsys):
    out = tmp_path / "model"
    code, stdout, _ = run(capsys, "--data", str(mixed_data), "--out", str(out))
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["classes"] == ["bank_statement", "payslip", "phone_note", "salary_certificate"]
    assert isinstance(metrics["macro_f1"], float) and 0 <= metrics["macro_f1"] <= 1
    assert isinstance(metrics["accuracy"], float) and 0 <= metrics["accuracy"] <= 1
    assert isinstance(metrics["n_train"], int) and isinstance(metrics["n_test"], int)
    assert metrics["n_test_documents"] == 4  # one of each class's five or six documents
    assert metrics["pages_read"]["txt"] == len(NOTES)
    assert metrics["n_train"] + metrics["n_test"] == sum(metrics["pages_read"].values())
    assert sorted(s["file"] for s in metrics["skipped"]) == ["payslip/corrupt.pdf", "payslip/latin1.txt"]
    assert "skipped payslip/corrupt.pdf: the PDF is corrupt" in stdout
    assert "skipped payslip/latin1.txt: not UTF-8 text" in stdout
    assert set(metrics["per_class"]) == set(metrics["classes"])
    assert [r["model"] for r in metrics["comparison"]] and metrics["model"] in {
        r["model"] for r in metrics["comparison"] if r["probabilities"]
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["classes"] == metrics["classes"]
    assert manifest["metrics"]["macro_f1"] == metrics["macro_f1"]
    assert "phone_note" in stdout and "macro-F1" in stdout


def test_scanned_held_out_pages_are_read_by_ocr_and_reported_apart(smartcat_corpus, tmp_path):
    result = train_documents.train(smartcat_corpus, None, max_scan_pages=2, workers=2, progress=False)
    scanned = result.metrics["scanned"]
    assert scanned["n_pages"] == 2 == len(result.scanned)
    assert all(p.method == "ocr" and p.document in {t.document for t in result.test} for p in result.scanned)
    assert result.metrics["n_test_documents"] == len(DOCUMENT_TYPES)


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("missing", "is not a directory"),
        ("empty", "has no class sub-folders"),
        ("empty_class", "holds no .pdf or .txt files"),
        ("single_class", "has a single class (payslip)"),
        ("too_few", "too few readable documents"),
        ("unreadable", "too few readable documents"),
    ],
)
def test_bad_training_folders_are_clear_errors(smartcat_corpus, tmp_path, capsys, layout, message):
    data = tmp_path / "data"
    if layout != "missing":
        data.mkdir()
    if layout in ("empty_class", "single_class", "too_few", "unreadable"):
        shutil.copytree(smartcat_corpus / "payslip", data / "payslip")
    if layout == "empty_class":
        (data / "bank_statement").mkdir()
    if layout == "too_few":
        (data / "bank_statement").mkdir()
        shutil.copy(smartcat_corpus / "bank_statement" / "bank_statement-0001.pdf", data / "bank_statement")
    if layout == "unreadable":
        (data / "bank_statement").mkdir()
        for i in range(6):
            (data / "bank_statement" / f"broken-{i}.pdf").write_bytes(b"not a pdf at all")
    code, _, err = run(capsys, "--data", str(data), "--out", str(tmp_path / "out"))
    assert code == 2
    assert any(line.startswith("error: ") and message in line for line in err.splitlines())
    if layout == "too_few":
        assert "bank_statement: 1" in err
    if layout == "unreadable":
        assert "6 file(s) could not be read: bank_statement/broken-0.pdf" in err
    assert not (tmp_path / "out" / "manifest.json").exists()

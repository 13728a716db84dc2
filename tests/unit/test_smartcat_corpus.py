"""The generated SmartCat corpus: deterministic, the promised layout, consistent bundles, and
scanned pages that only OCR can read."""

import json
import re

import pypdfium2 as pdfium

from workshop.paperwork import DOCUMENT_TYPES, euro
from workshop.smartcat_corpus import BUNDLES, SCANS, generate
from workshop_app.smartcat import pdf


def all_files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_whatever_the_worker_count(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    generate(one, size=1, seed=3, scan_fraction=1.0, bundles=1, workers=1, progress=False)
    generate(two, size=1, seed=3, scan_fraction=1.0, bundles=1, workers=2, progress=False)
    first, second = all_files(one), all_files(two)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    other = tmp_path / "other"
    generate(other, size=1, seed=4, scan_fraction=0.0, bundles=0, workers=1, progress=False)
    assert all_files(other)["payslip/payslip-0001.pdf"] != first["payslip/payslip-0001.pdf"]


def test_one_folder_per_class_with_size_documents(smartcat_corpus):
    recipe = json.loads((smartcat_corpus / "corpus.json").read_text())
    assert recipe["classes"] == list(DOCUMENT_TYPES) and len(recipe["classes"]) >= 8
    for label in DOCUMENT_TYPES:
        files = sorted((smartcat_corpus / label).glob("*.pdf"))
        assert [f.name for f in files] == [f"{label}-{n:04d}.pdf" for n in range(1, 6)]
        pages_ = sum(len(pdfium.PdfDocument(f)) for f in files)
        assert recipe["counts"][label]["pages"] == pages_
        scans = sorted((smartcat_corpus / SCANS / label).glob("*.pdf"))
        assert recipe["counts"][label]["scanned_documents"] == len(scans)
        assert {s.name for s in scans} <= {f.name for f in files}
    assert recipe["pages"] > recipe["documents"], "some documents span several pages"


def test_documents_read_like_german_paperwork(smartcat_corpus):
    document = pdfium.PdfDocument(smartcat_corpus / "payslip" / "payslip-0001.pdf")
    text = pdf.text_layer(document, 0)
    assert re.search(r"\d{1,3}(\.\d{3})*,\d{2} €", text), text
    assert "Lohnsteuer" in text and "IBAN DE" in text
    assert euro(1234.5) == "1.234,50 €" and euro(-3) == "-3,00 €"


def test_bundles_truth_matches_their_pages(smartcat_corpus):
    truths = sorted((smartcat_corpus / BUNDLES).glob("*.json"))
    assert len(truths) == 2
    for path in truths:
        truth = json.loads(path.read_text())
        document = pdfium.PdfDocument(path.with_suffix(".pdf"))
        assert truth["page_count"] == len(document) == len(truth["pages"])
        assert [p["page"] for p in truth["pages"]] == list(range(1, len(document) + 1))
        assert len(truth["documents"]) >= 2
        expected_first = 1
        for doc in truth["documents"]:
            assert doc["first_page"] == expected_first and doc["last_page"] >= doc["first_page"]
            assert doc["label"] in DOCUMENT_TYPES
            for page in truth["pages"][doc["first_page"] - 1 : doc["last_page"]]:
                assert (page["label"], page["document"], page["scanned"]) == (
                    doc["label"],
                    doc["document"],
                    doc["scanned"],
                )
                has_text = len(pdf.text_layer(document, page["page"] - 1).strip()) >= pdf.MIN_TEXT_CHARS
                assert has_text != page["scanned"]
            expected_first = doc["last_page"] + 1
        assert expected_first == truth["page_count"] + 1


def test_scanned_pages_have_no_text_layer_and_ocr_reads_them(smartcat_corpus):
    scan = sorted((smartcat_corpus / SCANS / "salary_certificate").glob("*.pdf"))[0]
    scanned = pdfium.PdfDocument(scan)
    digital = pdfium.PdfDocument(smartcat_corpus / "salary_certificate" / scan.name)
    assert len(scanned) == len(digital)
    assert all(pdf.text_layer(scanned, i).strip() == "" for i in range(len(scanned)))
    read = pdf.read_page(scanned, 0)
    assert read.method == "ocr"
    words = {w for w in re.findall(r"\w{5,}", pdf.text_layer(digital, 0))}
    found = {w for w in re.findall(r"\w{5,}", read.text)}
    assert len(words & found) / len(words) > 0.6, (sorted(words - found), read.text)

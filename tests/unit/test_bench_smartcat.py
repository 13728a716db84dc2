"""bench/smartcat.py's pure helpers: it picks the same scanned held-out pages as train_documents,
writes the PGM the tesseract program reads, rotates the variants, picks the default variant by
measurement and checks the targets."""

import importlib.util
import random

import pypdfium2 as pdfium

from workshop import ROOT
from workshop import train_documents as td


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_smartcat", ROOT / "bench" / "smartcat.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_bench()


def test_the_bench_reads_the_same_scanned_pages_as_train_documents(tmp_path, monkeypatch):
    rng = random.Random(7)
    labels, copies, counts, pages = {}, {}, {}, []
    for c in range(4):
        for d in range(5):
            document = f"class{c}/doc-{d}.pdf"
            labels[document] = f"class{c}"
            counts[document] = rng.randint(1, 4)
            scan = pdfium.PdfDocument.new()
            for _ in range(counts[document]):
                scan.new_page(200, 200)
            copies[document] = tmp_path / f"c{c}-d{d}.pdf"
            scan.save(copies[document])
            scan.close()
            pages.append(td.Page("text", labels[document], document, 1, "text"))
    corpus = td.Corpus(pages, sorted(set(labels.values())))
    held_out = {d for d in labels if rng.random() < 0.6}
    monkeypatch.setattr(td, "_pool_map", lambda function, items, *a, **k: [("", 0.0) for _ in items])
    for max_pages in (3, 10, 100):
        read, _ = td.scanned_pages(corpus, held_out, copies, max_pages, workers=1, seed=42, progress=False)
        chosen = td.choose_scanned_pages(counts, labels, held_out, seed=42, max_pages=max_pages)
        assert chosen == [(p.document, p.page - 1) for p in read]
        assert len(chosen) == min(max_pages, sum(counts[d] for d in held_out))


def test_pgm_drops_the_row_padding():
    pixels = bytes([1, 2, 3, 0, 4, 5, 6, 0])  # 3 pixels a row, rows of 4 bytes
    assert bench.pgm(pixels, 3, 2, 4) == b"P5\n3 2\n255\n" + bytes([1, 2, 3, 4, 5, 6])
    assert bench.pgm(bytes(6), 3, 2, 3) == b"P5\n3 2\n255\n" + bytes(6)


def test_each_variant_takes_its_turn_first():
    names = ["binary", "fast", "best"]
    assert [bench.rotated(names, i)[0] for i in range(4)] == ["binary", "fast", "best", "binary"]
    assert sorted(bench.rotated(names, 5)) == sorted(names)
    assert bench.rotated([], 3) == []


def variant(f1, cpu, available=True):
    return {
        "available": available,
        "macro_f1": f1,
        "cpu_seconds_per_page_median": cpu,
        "seconds_per_page_median": cpu,
    }


def test_the_default_is_the_most_accurate_then_the_cheapest_in_process_variant():
    fast, best = bench.FAST, bench.BEST
    assert (
        bench.pick_default(
            {bench.BINARY: variant(0.99, 0.1), fast: variant(0.9, 0.5), best: variant(0.95, 0.7)}
        )
        == best
    )
    assert bench.pick_default({fast: variant(0.947, 0.5), best: variant(0.947, 0.7)}) == fast
    assert bench.pick_default({fast: variant(None, 0.5, available=False), best: variant(0.9, 0.7)}) == best
    assert bench.pick_default({bench.BINARY: variant(0.99, 0.1)}) is None


def test_the_targets():
    results = {
        "ocr": {"default": bench.FAST, "variants": {bench.FAST: variant(0.9471, 0.93)}},
        "digital_pages_per_second_per_core": 810.0,
    }
    assert [row[-1] for row in bench.check_targets(results)] == [True, True, True]
    results["ocr"]["variants"][bench.FAST] = variant(0.94, 1.2)
    assert [row[-1] for row in bench.check_targets(results)] == [False, False, True]
    results["ocr"]["default"] = None
    assert [row[-1] for row in bench.check_targets(results)] == [False, False, True]

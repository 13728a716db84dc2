"""Generate the SmartCat corpus: German paperwork as PDFs, deterministic for a seed.

    python -m workshop.smartcat_corpus [--size 20] [--seed 7] [--out data/corpus]
    make corpus SIZE=20 SEED=7 OUT=data/corpus

Layout of OUT (the trainer reads the class folders; folders starting with "_" are not classes):

    OUT/<class>/<class>-0001.pdf     digital documents (a text layer), SIZE per class
    OUT/_scans/<class>/<class>-0001.pdf
                                     the same documents scanned: rasterised, rotated, noisy,
                                     image-only (no text layer; only OCR reads them), for a
                                     fraction of the documents (--scan-fraction)
    OUT/_bundles/bundle-001.pdf      several further documents in one file, some pages scanned,
    OUT/_bundles/bundle-001.json     with their truth: every page's label, the documents' ranges
    OUT/corpus.json                  the recipe (seed, size, classes, generator version) and counts

The same seed gives byte-identical files (fpdf2's creation date is fixed, every document has its
own random generator derived from the seed, its class and its number), whatever order the two
worker processes finish in.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import multiprocessing
import os
import random
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from . import DATA_DIR
from .paperwork import DOCUMENT_TYPES, Person, Sheet, broker_stamp

#: Bump when the documents change: the Makefile's model cache and corpus.json record it.
GENERATOR_VERSION = 2
DEFAULT_SIZE = 20
DEFAULT_SEED = 7
DEFAULT_OUT = DATA_DIR / "corpus"
SCAN_DPI = 150
STAMP_RATE = 0.25  # pages that get the broker's receipt stamp (it names all kinds of document)
CREATED = datetime(2024, 1, 1, tzinfo=UTC)  # fixed, so the same seed gives the same bytes
SCANS, BUNDLES = "_scans", "_bundles"
_FONTS = {
    "Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "Serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
}
# The characters the documents use: Latin-1, €, typographic quotes and dashes.
_CHARSET = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x180),
    0x20AC,
    0x2013,
    0x2014,
    0x2018,
    0x201A,
    0x201C,
    0x201E,
    0x2022,
    0x2026,
]


def font_dir() -> Path:
    """DejaVu from matplotlib's package (works wherever the venv does), else the system's."""
    candidates = []
    try:
        import matplotlib

        candidates.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:
        pass
    candidates.append(Path("/usr/share/fonts/truetype/dejavu"))
    for directory in candidates:
        if all((directory / f).exists() for pair in _FONTS.values() for f in pair):
            return directory
    raise SystemExit(
        "DejaVu fonts not found: install matplotlib (it bundles them) or "
        "fonts-dejavu-core; looked in " + ", ".join(map(str, candidates))
    )


_font_cache: dict[str, str] = {}


def _fonts() -> dict[str, str]:
    """Small Latin subsets of the DejaVu fonts, written once per process.

    fpdf2 parses a font every time a document adds it; the full DejaVu (700 KB) costs ~0.1 s per
    document, a 22 KB subset a tenth of that, and the PDFs come out smaller.
    """
    if _font_cache:
        return _font_cache
    # fontTools stamps the fonts it writes (ours, and the subsets fpdf2 embeds) with the current
    # time unless SOURCE_DATE_EPOCH is set: fix it, or no two runs give the same bytes.
    os.environ["SOURCE_DATE_EPOCH"] = str(int(CREATED.timestamp()))
    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    directory = Path(tempfile.mkdtemp(prefix="smartcat-fonts-"))
    source = font_dir()
    for family, files in _FONTS.items():
        for style, name in zip(("", "B"), files, strict=True):
            font = TTFont(source / name)
            options = subset.Options()
            options.layout_features, options.hinting = [], False
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=_CHARSET)
            subsetter.subset(font)
            path = directory / f"{family}{style}.ttf"
            font.save(path)
            _font_cache[family + style] = str(path)
    return _font_cache


def _new_pdf():
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(CREATED)
    pdf.set_creator("workshop.smartcat_corpus")
    pdf.set_producer("fpdf2")
    for family in _FONTS:
        pdf.add_font(family, "", _fonts()[family])
        pdf.add_font(family, "B", _fonts()[family + "B"])
    return pdf


def document_seed(seed: int, label: str, number: int) -> int:
    """Each document's own seed: stable whatever else is generated, and in whatever order."""
    digest = hashlib.sha256(f"{seed}:{label}:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


_faker = None


def render_document(label: str, doc_seed: int) -> bytes:
    """One document of type `label` as PDF bytes."""
    global _faker
    if _faker is None:
        from faker import Faker

        _faker = Faker("de_DE")
    rng = random.Random(doc_seed)  # noqa: S311 - seeded on purpose: reproducible data
    _faker.seed_instance(doc_seed)
    person = Person.fake(_faker, rng)
    pdf = _new_pdf()
    sheet = Sheet(pdf, rng, list(_FONTS))
    DOCUMENT_TYPES[label](sheet, person, rng)
    last = pdf.page
    for page in range(1, last + 1):
        if rng.random() < STAMP_RATE:
            pdf.page = page
            broker_stamp(sheet, person, rng)
    pdf.page = last  # the footer of the last page is drawn on output
    return bytes(pdf.output())


def scan(pdf_bytes: bytes, doc_seed: int, dpi: int = SCAN_DPI) -> bytes:
    """The document as a scanner would return it: every page an image, slightly rotated, noisy,
    blurred and JPEG-compressed, in a PDF with no text layer."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    rng = random.Random(doc_seed ^ 0x5CA11)  # noqa: S311 - seeded on purpose: reproducible data
    grain, specks = _noise_fields()
    out = _new_pdf()
    document = pdfium.PdfDocument(pdf_bytes)
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            page.close()
            image = image.rotate(
                rng.uniform(-2.0, 2.0),
                resample=Image.Resampling.BILINEAR,
                fillcolor=255,
                translate=(rng.uniform(-15, 15), rng.uniform(-15, 15)),
            )
            h, w = image.height, image.width
            y, x = rng.randrange(grain.shape[0] - h), rng.randrange(grain.shape[1] - w)
            pixels = np.asarray(image, dtype=np.int16)
            pixels = pixels * rng.randrange(85, 98) // 100 + rng.randrange(0, 25)  # grey paper
            pixels += grain[y : y + h, x : x + w] * rng.randrange(6, 16) // 8
            pixels[specks[y : y + h, x : x + w] < rng.randrange(5, 20)] = 0  # dust
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
            image = image.filter(ImageFilter.BoxBlur(rng.uniform(0.3, 0.7)))
            jpeg = io.BytesIO()
            image.save(jpeg, format="JPEG", quality=rng.randrange(45, 75))
            jpeg.seek(0)
            out.add_page(format=(width * 25.4 / 72, height * 25.4 / 72))
            out.image(jpeg, x=0, y=0, w=out.w, h=out.h)
    finally:
        document.close()
    return bytes(out.output())


_fields = None


def _noise_fields():
    """Sensor grain (normal, sd 8) and a dust map, made once per process from a fixed seed;
    each page takes a random window of them, which is much cheaper than new noise per page."""
    global _fields
    if _fields is None:
        import numpy as np

        noise = np.random.default_rng(2024)
        size = (int(13 * SCAN_DPI), int(13 * SCAN_DPI))  # larger than A4 at SCAN_DPI
        grain = np.clip(noise.standard_normal(size, dtype=np.float32) * 8, -60, 60).astype(np.int16)
        _fields = grain, noise.integers(0, 10000, size, dtype=np.int16)
    return _fields


def page_count(pdf_bytes: bytes) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf_bytes)
    try:
        return len(document)
    finally:
        document.close()


# ---------------------------------------------------------------- the jobs the workers run


def _document_job(job: tuple) -> tuple[str, str, int, bool]:
    out, label, number, doc_seed, scanned = job
    data = render_document(label, doc_seed)
    name = f"{label}-{number:04d}.pdf"
    (Path(out) / label / name).write_bytes(data)
    if scanned:
        (Path(out) / SCANS / label / name).write_bytes(scan(data, doc_seed))
    return label, name, page_count(data), scanned


def _fixed_pdfium_stamps(data: bytes) -> bytes:
    """PDFium writes the time as the creation date and a random file /ID: replace both with
    values of the same length (so the cross-reference offsets stay right) that depend only on
    the content."""
    data = re.sub(
        rb"/CreationDate\(D:\d{14}", b"/CreationDate(D:" + CREATED.strftime("%Y%m%d%H%M%S").encode(), data
    )
    file_id = hashlib.md5(data.rpartition(b"trailer")[0], usedforsecurity=False).hexdigest().upper().encode()
    return re.sub(
        rb"/ID\[<[0-9A-Fa-f]{32}><[0-9A-Fa-f]{32}>\]", b"/ID[<" + file_id + b"><" + file_id + b">]", data
    )


def _bundle_job(job: tuple) -> tuple[str, int]:
    out, number, bundle_seed, labels = job
    import pypdfium2 as pdfium

    rng = random.Random(bundle_seed)  # noqa: S311 - seeded on purpose: reproducible data
    bundle = pdfium.PdfDocument.new()
    pages, documents = [], []
    for i in range(rng.randrange(2, 6)):
        label = rng.choice(labels)
        doc_seed = document_seed(bundle_seed, label, i)
        data = render_document(label, doc_seed)
        scanned = rng.random() < 0.4
        if scanned:
            data = scan(data, doc_seed)
        source = pdfium.PdfDocument(data)
        first = len(pages) + 1
        bundle.import_pages(source)
        for _ in range(len(source)):
            pages.append({"page": len(pages) + 1, "label": label, "document": i, "scanned": scanned})
        source.close()
        documents.append(
            {"document": i, "label": label, "first_page": first, "last_page": len(pages), "scanned": scanned}
        )
    buffer = io.BytesIO()
    bundle.save(buffer)
    bundle.close()
    data = _fixed_pdfium_stamps(buffer.getvalue())
    name = f"bundle-{number:03d}"
    (Path(out) / BUNDLES / f"{name}.pdf").write_bytes(data)
    truth = {"file": f"{name}.pdf", "page_count": len(pages), "pages": pages, "documents": documents}
    (Path(out) / BUNDLES / f"{name}.json").write_text(json.dumps(truth, indent=2) + "\n")
    return name, len(pages)


def generate(
    out: Path = DEFAULT_OUT,
    size: int = DEFAULT_SIZE,
    seed: int = DEFAULT_SEED,
    scan_fraction: float = 0.25,
    bundles: int = 6,
    workers: int | None = None,
    progress: bool = True,
) -> dict:
    """Write the corpus to `out` (replacing what a previous run wrote there); return its summary.

    It is written to a scratch directory beside `out` and moved in at the end, so a reader of
    `out` (a notebook, a test, the trainer) never sees a half-written corpus for long.
    """
    from tqdm.auto import tqdm

    if size < 1:
        raise ValueError("size must be at least 1 document per class")
    final = Path(out)
    final.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix=f".{final.name}-partial-", dir=final.parent))
    labels = list(DOCUMENT_TYPES)
    for label in labels:
        (out / label).mkdir(parents=True)
        (out / SCANS / label).mkdir(parents=True)
    (out / BUNDLES).mkdir(parents=True)
    jobs = []
    for label in labels:
        for number in range(1, size + 1):
            doc_seed = document_seed(seed, label, number)
            scanned = random.Random(doc_seed ^ 0xC0FFEE).random() < scan_fraction  # noqa: S311
            jobs.append((str(out), label, number, doc_seed, scanned))
    bundle_jobs = [(str(out), n, document_seed(seed, "bundle", n), labels) for n in range(1, bundles + 1)]
    workers = workers or min(2, os.cpu_count() or 1)
    started = time.perf_counter()
    counts = {
        label: {"documents": 0, "pages": 0, "scanned_documents": 0, "scanned_pages": 0} for label in labels
    }
    # forkserver, not fork: forking a process that runs threads (a test's moto server) can deadlock
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        for label, _, pages, scanned in tqdm(
            pool.map(_document_job, jobs, chunksize=4),
            total=len(jobs),
            desc="documents",
            unit="doc",
            disable=not progress,
        ):
            counts[label]["documents"] += 1
            counts[label]["pages"] += pages
            counts[label]["scanned_documents"] += scanned
            counts[label]["scanned_pages"] += pages if scanned else 0
        bundle_pages = sum(
            p
            for _, p in tqdm(
                pool.map(_bundle_job, bundle_jobs),
                total=len(bundle_jobs),
                desc="bundles",
                unit="file",
                disable=not progress,
            )
        )
    summary = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "size": size,
        "scan_fraction": scan_fraction,
        "scan_dpi": SCAN_DPI,
        "classes": labels,
        "counts": counts,
        "bundles": {"files": bundles, "pages": bundle_pages},
        "documents": sum(c["documents"] for c in counts.values()),
        "pages": sum(c["pages"] for c in counts.values()),
    }
    (out / "corpus.json").write_text(json.dumps(summary, indent=2) + "\n")
    old = Path(tempfile.mkdtemp(prefix=f".{final.name}-old-", dir=final.parent))
    for name in [*labels, SCANS, BUNDLES, "corpus.json"]:
        if (final / name).exists():
            (final / name).rename(old / name)
        (out / name).rename(final / name)
    shutil.rmtree(old)
    shutil.rmtree(out)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the SmartCat corpus of German paperwork.")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="documents per class")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="same seed, same bytes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--scan-fraction",
        type=float,
        default=0.25,
        help="share of documents that also get a scanned copy (0..1)",
    )
    parser.add_argument("--bundles", type=int, default=6, help="multi-document files to write")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: up to 2)")
    args = parser.parse_args(argv)
    if args.size < 1 or not 0 <= args.scan_fraction <= 1 or args.bundles < 0:
        parser.error("--size must be ≥ 1, --scan-fraction in [0, 1], --bundles ≥ 0")
    summary = generate(args.out, args.size, args.seed, args.scan_fraction, args.bundles, args.workers)
    scanned = sum(c["scanned_pages"] for c in summary["counts"].values())
    print(
        f"wrote {summary['documents']} documents ({summary['pages']} pages, {scanned} of them also "
        f"scanned) in {len(summary['classes'])} classes and {summary['bundles']['files']} bundles "
        f"({summary['bundles']['pages']} pages) to {args.out} in {summary['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

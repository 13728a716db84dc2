"""Reading PDFs, and its limits, in one place: open and validate a PDF, count and split its
pages, and read a page (its text layer, or OCR when it has none).

Training (workshop.train_documents) and the Lambda functions read pages with this same code, so a
page is read identically when the model learns and when it predicts. PDFium (pypdfium2) opens,
splits and renders; it is a ~5 MB wheel with no numpy or Pillow behind it. Only what reads PDFs
imports this module (the jobs API on its first upload, split and page): PDFium is not in the
other functions' artifacts.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass

import pypdfium2 as pdfium

from . import ocr
from .pdf_streams import decoded_size

#: Fewer characters than this on a page's text layer means "scanned": read it with OCR.
MIN_TEXT_CHARS = 20
#: Rendering resolution for OCR: 200 dpi reads body text well (`make bench`: bench/smartcat.json).
OCR_DPI = 200
#: The most a single page's streams (its content, images, fonts) may inflate to: PDFium inflates
#: them in memory, with no limit of its own, to read or render the page (docs/hardening.md). A
#: page scanned at 600 dpi in colour is ~105 MB of pixels; this leaves room for that and stays
#: well within the page function's 1769 MB (PDFium holds about twice the decoded size while it
#: reads and renders).
MAX_PAGE_DECODED_BYTES = 256 * 1024 * 1024
#: PDFium is not thread-safe. Lambda runs one event per process at a time, so there this lock is
#: never contended; the local worker and the dev server run several threads.
PDFIUM = threading.Lock()


class PdfRejected(ValueError):
    """The bytes are not a PDF we can read; `reason` says why in words a user understands."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class PageText:
    text: str
    method: str  # "text" (the PDF's text layer) or "ocr"


def open_pdf(data: bytes, *, max_pages: int | None = None) -> pdfium.PdfDocument:
    """Open PDF bytes, or raise PdfRejected: not a PDF, corrupt, encrypted, no pages, too many."""
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise PdfRejected("the file is not a PDF (it does not start with %PDF-)", "not_a_pdf")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        # PDFium's error code (FPDF_GetLastError) is stale when it refuses a PDF without pages
        # (it still says the previous failure, or "Success"): judge by the bytes instead.
        if b"/Encrypt" in data:
            raise PdfRejected("the PDF is encrypted; upload it without a password", "encrypted") from None
        if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Count\s+[1-9]", data):
            raise PdfRejected("the PDF has no pages", "no_pages") from None
        raise PdfRejected("the PDF is corrupt and cannot be opened", "corrupt") from None
    pages = len(document)
    if pages == 0:
        document.close()
        raise PdfRejected("the PDF has no pages", "no_pages")
    # PDFium takes the page count from the page tree's /Count, which a PDF can make up: check
    # the pages are there (by their size: no content is parsed). All of them when they are
    # within the limit, the last one otherwise, so a made-up million is not "too many pages".
    over = max_pages is not None and pages > max_pages
    for index in [pages - 1] if over else range(pages):
        try:
            document.get_page_size(index)
        except pdfium.PdfiumError:
            document.close()
            raise PdfRejected(
                f"the PDF is corrupt: its page tree says {pages:,} pages, but page {index + 1:,} is missing",
                "corrupt",
            ) from None
    if over:
        document.close()
        raise PdfRejected(f"the PDF has {pages:,} pages; the limit is {max_pages:,}", "too_many_pages")
    return document


def check_decoded_size(data: bytes, limit: int = MAX_PAGE_DECODED_BYTES) -> None:
    """Raise PdfRejected when the PDF's streams inflate to more than `limit` bytes."""
    if decoded_size(data, limit) > limit:
        raise PdfRejected(
            f"the page inflates to more than {limit // 2**20:,} MB when decoded "
            "(a compression bomb?); it was not read",
            "too_large_decoded",
        )


def text_layer(document: pdfium.PdfDocument, index: int) -> str:
    """The text of page `index` (0-based) as the PDF stores it; empty for a scanned page."""
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_range().replace("\r\n", "\n")
        finally:
            textpage.close()
    finally:
        page.close()


def render_gray(document: pdfium.PdfDocument, index: int, dpi: int = OCR_DPI) -> tuple[bytes, int, int, int]:
    """Page `index` as 8-bit greyscale: (pixels, width, height, bytes per row), no Pillow needed."""
    page = document[index]
    try:
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        try:
            if bitmap.n_channels != 1:
                raise ocr.OcrFailed(f"expected a greyscale bitmap, PDFium gave {bitmap.mode}")
            return bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride
        finally:
            bitmap.close()
    finally:
        page.close()


def read_page(document: pdfium.PdfDocument, index: int, *, dpi: int = OCR_DPI) -> PageText:
    """The page's text: its text layer, or OCR when the layer is (nearly) empty."""
    text = text_layer(document, index)
    if len(text.strip()) >= MIN_TEXT_CHARS:
        return PageText(text, "text")
    return PageText(ocr.ocr(*render_gray(document, index, dpi), dpi=dpi), "ocr")


def count_pages(data: bytes, max_pages: int | None = None) -> int:
    """The number of pages; raises PdfRejected for anything a job cannot take."""
    with PDFIUM:
        document = open_pdf(data, max_pages=max_pages)
        try:
            return len(document)
        finally:
            document.close()


def single_page_pdfs(data: bytes) -> list[bytes]:
    """Each page of a (validated) PDF as a PDF of its own, in page order."""
    singles = []
    with PDFIUM:
        document = open_pdf(data)
        try:
            for index in range(len(document)):
                single = pdfium.PdfDocument.new()
                try:
                    single.import_pages(document, [index])
                    buffer = io.BytesIO()
                    single.save(buffer)
                finally:
                    single.close()
                singles.append(buffer.getvalue())
        finally:
            document.close()
    return singles


def read_single_page(data: bytes) -> PageText:
    """The text of a one-page PDF (as split writes them), after checking what it inflates to."""
    check_decoded_size(data)  # before PDFium inflates it all in memory
    with PDFIUM:
        document = open_pdf(data)
        try:
            return read_page(document, 0)
        finally:
            document.close()

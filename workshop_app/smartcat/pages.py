"""Read PDFs page by page: the text layer when a page has one, OCR (tesseract `deu`) when not.

Used the same way by training (workshop.train_documents) and by the Lambda workers, so a page is
read identically when the model learns and when it predicts. PDFium (pypdfium2) opens, splits and
renders the PDF; it is a ~5 MB wheel with no numpy or Pillow behind it, so it fits a Lambda
package. Tesseract is a program, not a Python package: on Lambda it comes from a layer (the
`TESSERACT_CMD` and `TESSDATA_PREFIX` environment variables point at it); on a laptop from the
system's packages (`make system`).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

import pypdfium2 as pdfium

#: Fewer characters than this on a page's text layer means "scanned": read it with OCR.
MIN_TEXT_CHARS = 20
#: Rendering resolution for OCR. 200 dpi reads body text well at ~1.2 s per A4 page.
OCR_DPI = 200
OCR_LANGUAGE = "deu"


class PdfRejected(ValueError):
    """The bytes are not a PDF we can read; `reason` says why in words a user understands."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


class OcrFailed(RuntimeError):
    """Tesseract is missing or failed on a page."""


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
            raise PdfRejected("the PDF is encrypted; upload it without a password",
                              "encrypted") from None
        if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Count\s+[1-9]", data):
            raise PdfRejected("the PDF has no pages", "no_pages") from None
        raise PdfRejected("the PDF is corrupt and cannot be opened", "corrupt") from None
    pages = len(document)
    if pages == 0:
        document.close()
        raise PdfRejected("the PDF has no pages", "no_pages")
    if max_pages is not None and pages > max_pages:
        document.close()
        raise PdfRejected(f"the PDF has {pages} pages; the limit is {max_pages}", "too_many_pages")
    return document


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


def render_pgm(document: pdfium.PdfDocument, index: int, dpi: int = OCR_DPI) -> bytes:
    """Page `index` as a greyscale PGM image (what tesseract reads from stdin), no Pillow needed."""
    page = document[index]
    try:
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        try:
            width, height, stride = bitmap.width, bitmap.height, bitmap.stride
            if bitmap.n_channels != 1:
                raise OcrFailed(f"expected a greyscale bitmap, PDFium gave {bitmap.mode}")
            raw = bytes(bitmap.buffer)
        finally:
            bitmap.close()
    finally:
        page.close()
    if stride == width:
        pixels = raw[: width * height]
    else:
        pixels = b"".join(raw[row * stride : row * stride + width] for row in range(height))
    return b"P5\n%d %d\n255\n" % (width, height) + pixels


def ocr(image: bytes, *, language: str = OCR_LANGUAGE, timeout: float = 60) -> str:
    """Run tesseract on one image (PGM/PNG bytes) and return its text."""
    command = os.environ.get("TESSERACT_CMD", "tesseract")
    env = {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}
    try:
        result = subprocess.run(
            [command, "stdin", "stdout", "-l", language, "--psm", "3"],
            input=image,
            capture_output=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        raise OcrFailed(
            f"tesseract not found ({command}); install it (make system) or set TESSERACT_CMD"
        ) from None
    except subprocess.TimeoutExpired:
        raise OcrFailed(f"tesseract took longer than {timeout:g} s on one page") from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise OcrFailed(f"tesseract failed: {' '.join(detail) or result.returncode}")
    return result.stdout.decode("utf-8", "replace")


def read_page(document: pdfium.PdfDocument, index: int, *, dpi: int = OCR_DPI) -> PageText:
    """The page's text: its text layer, or OCR when the layer is (nearly) empty."""
    text = text_layer(document, index)
    if len(text.strip()) >= MIN_TEXT_CHARS:
        return PageText(text, "text")
    return PageText(ocr(render_pgm(document, index, dpi)), "ocr")

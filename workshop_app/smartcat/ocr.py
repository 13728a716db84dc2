"""OCR of one rendered page with tesseract (`deu`): the program, run once per page."""

from __future__ import annotations

import os
import subprocess

OCR_LANGUAGE = "deu"


class OcrFailed(RuntimeError):
    """Tesseract is missing or failed on a page."""


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

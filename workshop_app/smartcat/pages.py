"""Read PDFs page by page: the text layer when a page has one, OCR (tesseract `deu`) when not.

Used the same way by training (workshop.train_documents) and by the Lambda workers, so a page is
read identically when the model learns and when it predicts. PDFium (pypdfium2) opens, splits and
renders the PDF; it is a ~5 MB wheel with no numpy or Pillow behind it, so it fits a Lambda
package. Tesseract is a program, not a Python package: on Lambda it comes from a layer (the
`TESSERACT_CMD` and `TESSDATA_PREFIX` environment variables point at it); on a laptop from the
system's packages (`make system`).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import subprocess
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium

#: Fewer characters than this on a page's text layer means "scanned": read it with OCR.
MIN_TEXT_CHARS = 20
#: Rendering resolution for OCR. 200 dpi reads body text well at ~1.2 s per A4 page.
OCR_DPI = 200
OCR_LANGUAGE = "deu"
#: The most a single page's streams (its content, images, fonts) may inflate to. PDFium inflates
#: them in memory, with no limit, to read or render the page: a 5 KB PDF whose content stream is
#: Flate inside Flate took 4 GB and 15 s (docs/hardening.md). A page scanned at 600 dpi in colour
#: is ~105 MB of pixels; this leaves room for that and stays well within the page function's
#: 1769 MB (PDFium holds about twice the decoded size while it reads and renders).
MAX_PAGE_DECODED_BYTES = 256 * 1024 * 1024


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


# -- how much a PDF's streams inflate to, measured without holding it in memory ---------------

_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+)")
_LENGTH = re.compile(rb"/Length\s+(\d+)(\s+\d+\s+R)?")
_CHUNK = 1 << 20


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """FlateDecode, a megabyte at a time; what a corrupt stream gave before its error."""
    inflater = zlib.decompressobj()
    try:
        for chunk in chunks:
            while chunk and not inflater.eof:
                yield inflater.decompress(chunk, _CHUNK)
                chunk = inflater.unconsumed_tail
            if inflater.eof:
                return
        yield inflater.flush()
    except zlib.error:
        return


def _ascii85_text(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A stream's ASCII85 characters, a chunk at a time: whitespace, `<~` and what follows `~>`
    removed."""
    head: bytes | None = b""  # the first characters, until it is known whether they are `<~`
    for chunk in chunks:
        text = re.sub(rb"\s", b"", chunk)
        end = text.find(b"~>")
        text = text if end < 0 else text[:end]
        if head is not None:
            head += text
            if len(head) < 2 and end < 0:
                continue
            text, head = head.removeprefix(b"<~"), None
        yield text
        if end >= 0:
            return
    if head:
        yield head


def _ascii85(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """ASCII85Decode, five characters to four bytes, a chunk at a time ("z" is four zeros)."""
    pending = b""
    try:
        for text in _ascii85_text(chunks):
            data = pending + text.replace(b"z", b"!!!!!")
            whole = len(data) - len(data) % 5
            yield base64.a85decode(data[:whole])
            pending = data[whole:]
        yield base64.a85decode(pending)
    except ValueError:
        return


def _hex_digits(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A stream's hexadecimal digits, a chunk at a time, up to the `>` that ends them."""
    for chunk in chunks:
        end = chunk.find(b">")
        yield re.sub(rb"[^0-9A-Fa-f]", b"", chunk if end < 0 else chunk[:end])
        if end >= 0:
            return


def _ascii_hex(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """ASCIIHexDecode, two digits to a byte, a chunk at a time (an odd last digit is padded)."""
    pending = b""
    for digits in _hex_digits(chunks):
        data = pending + digits
        whole = len(data) - len(data) % 2
        yield binascii.unhexlify(data[:whole])
        pending = data[whole:]
    yield binascii.unhexlify(pending + b"0" * len(pending))


def _run_length(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """RunLengthDecode (up to 128 times its input)."""
    pending = b""
    for chunk in chunks:
        data, out, i = pending + chunk, bytearray(), 0
        while i < len(data):
            n = data[i]
            if n == 128:
                yield bytes(out)
                return
            if n < 128:
                if i + n + 2 > len(data):
                    break
                out += data[i + 1 : i + n + 2]
                i += n + 2
            else:
                if i + 1 >= len(data):
                    break
                out += data[i + 1 : i + 2] * (257 - n)
                i += 2
        pending = data[i:]
        yield bytes(out)


def _lzw(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """LZWDecode (EarlyChange 1, as PDF writers use it), up to thousands of times its input."""
    table = [bytes([i]) for i in range(256)] + [b"", b""]
    width, previous, bits, nbits = 9, b"", 0, 0
    for chunk in chunks:
        out = bytearray()
        for byte in chunk:
            bits, nbits = (bits << 8) | byte, nbits + 8
            while nbits >= width:
                nbits -= width
                code = (bits >> nbits) & ((1 << width) - 1)
                if code == 256:
                    table, width, previous = table[:258], 9, b""
                    continue
                if code == 257:
                    yield bytes(out)
                    return
                if code < len(table):
                    entry = table[code]
                elif previous:
                    entry = previous + previous[:1]
                else:
                    yield bytes(out)
                    return
                out += entry
                if previous and len(table) < 4096:
                    table.append(previous + entry[:1])
                previous = entry
                if len(table) + 1 >= (1 << width) and width < 12:
                    width += 1
        bits &= (1 << nbits) - 1
        yield bytes(out)


_DECODERS = {
    b"FlateDecode": _inflate,
    b"Fl": _inflate,
    b"LZWDecode": _lzw,
    b"LZW": _lzw,
    b"RunLengthDecode": _run_length,
    b"RL": _run_length,
    b"ASCII85Decode": _ascii85,
    b"A85": _ascii85,
    b"ASCIIHexDecode": _ascii_hex,
    b"AHx": _ascii_hex,
}


def _stream_data(data: bytes, start: int, dictionary: bytes) -> bytes:
    length = _LENGTH.search(dictionary)
    if length and not length.group(2):
        end = start + int(length.group(1))
        if data[end : end + 12].lstrip().startswith(b"endstream"):
            return data[start:end]
    end = data.find(b"endstream", start)
    return data[start : end if end >= 0 else len(data)]


def _count_ascii85(chunks: Iterable[bytes]) -> Iterator[int]:
    """How many bytes ASCII85Decode gives, without decoding (the decoder runs ~7 MB/s)."""
    characters = zeros = 0
    for text in _ascii85_text(chunks):
        zeros += text.count(b"z")
        characters += len(text) - text.count(b"z")
        yield 0
    yield 4 * zeros + characters // 5 * 4 + max(0, characters % 5 - 1)


def _count_ascii_hex(chunks: Iterable[bytes]) -> Iterator[int]:
    """How many bytes ASCIIHexDecode gives, without decoding."""
    digits = 0
    for text in _hex_digits(chunks):
        digits += len(text)
        yield 0
    yield (digits + 1) // 2


_COUNTERS = {_ascii85: _count_ascii85, _ascii_hex: _count_ascii_hex}


class _OverLimit(Exception):
    pass


def decoded_size(data: bytes, limit: int) -> int:
    """How many bytes the PDF's streams inflate to in all, counted a megabyte at a time and no
    further than just past `limit`. Each filter's output counts (PDFium holds every stage of a
    chain in memory). Image codecs (DCT, JPX, CCITT, JBIG2) count as stored: PDFium bounds those
    by the image's dimensions. Finds streams in the bytes as written, which is how PDFium writes
    them (the page function reads the single-page PDFs the split function saved)."""
    total = 0

    def counted(chunks: Iterable[bytes | int]) -> Iterator[bytes]:
        nonlocal total
        for chunk in chunks:
            total += chunk if isinstance(chunk, int) else len(chunk)
            if total > limit:
                raise _OverLimit
            if not isinstance(chunk, int):
                yield chunk

    for match in _STREAM.finditer(data):
        head = data[max(0, match.start() - 4096) : match.start()]
        objects = list(_OBJ.finditer(head))
        dictionary = head[objects[-1].end() :] if objects else head
        stream = _stream_data(data, match.end(), dictionary)
        filters = _FILTER.search(dictionary)
        names = re.findall(rb"/([^\s/\[\]<>()]+)", filters.group(1)) if filters else []
        decoders = []
        for name in names:
            if name not in _DECODERS:
                break  # an image codec: what is left is bounded by the image's size
            decoders.append(_DECODERS[name])
        if decoders and decoders[-1] in _COUNTERS:  # the last stage need only be counted
            decoders[-1] = _COUNTERS[decoders[-1]]
        chunks: Iterable = [stream]
        for decoder in decoders or [iter]:  # an unfiltered stream counts as it is stored
            chunks = counted(decoder(chunks))
        try:
            for _ in chunks:
                pass
        except _OverLimit:
            return total
    return total


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

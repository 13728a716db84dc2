"""The decoded-size check (workshop_app/smartcat/pdf_streams.py) that keeps compression bombs away
from PDFium: every inflating filter measured, a chunk at a time, only just past the limit.
(Bombs sent through the API and the pipeline: tests/integration/test_hostile_pdfs.py.)"""

import time
import tracemalloc
import zlib

import pytest
from helpers import pdfs

from workshop_app.smartcat import pdf
from workshop_app.smartcat.pdf_streams import decoded_size


def test_the_decoded_size_is_counted_only_just_past_the_limit():
    """Counting stops a megabyte past the limit: a bomb costs time in proportion to the limit,
    not to what it would inflate to."""
    bomb = pdfs.zip_bomb()
    started = time.perf_counter()
    assert 10 * 2**20 < decoded_size(bomb, 10 * 2**20) <= 11 * 2**20
    assert time.perf_counter() - started < 0.5
    assert decoded_size(bomb, 2**30) == 300_000_000  # all of it, exactly


@pytest.mark.parametrize(
    "filters",
    [b"/FlateDecode", b"[/ASCIIHexDecode /FlateDecode]", b"[/A85 /Fl]", b"/RunLengthDecode", b"/LZWDecode"],
)
def test_every_inflating_filter_is_measured(filters):
    import base64

    text = b"BT /F1 12 Tf 72 720 Td (Kontoauszug) Tj ET " * 2000
    encoded = {
        b"/FlateDecode": zlib.compress(text),
        b"[/ASCIIHexDecode /FlateDecode]": zlib.compress(text).hex().encode() + b">",
        b"[/A85 /Fl]": base64.a85encode(zlib.compress(text)) + b"~>",
        b"/RunLengthDecode": b"".join(
            bytes([len(text[i : i + 128]) - 1]) + text[i : i + 128] for i in range(0, len(text), 128)
        )
        + b"\x80",
        b"/LZWDecode": lzw(text),
    }[filters]
    data = pdfs.one_page(encoded, stream_extra=b" /Filter " + filters)
    # Each stage of a chain counts: PDFium holds each one in memory.
    middle = len(zlib.compress(text)) if filters.startswith(b"[") else 0
    assert decoded_size(data, 2**30) == len(text) + middle
    assert decoded_size(data, 1000) > 1000
    with pytest.raises(pdf.PdfRejected, match="inflates to more than"):
        pdf.check_decoded_size(data, 1000)


@pytest.mark.parametrize("filters", [b"[/FlateDecode /ASCIIHexDecode]", b"[/Fl /A85]", b"[/Fl /A85 /Fl]"])
def test_a_bomb_behind_a_shrinking_filter_is_measured_a_chunk_at_a_time(filters):
    """Flate, then ASCII85 or hex (then Flate again): half a gigabyte of text behind a small
    stream is measured a megabyte at a time, never held whole, and quickly."""
    import base64

    def deflate(unit: bytes, times: int) -> bytes:
        deflater = zlib.compressobj(9)
        return b"".join(deflater.compress(unit) for _ in range(times)) + deflater.flush()

    if filters.count(b"/") == 3:  # the bomb is the inner Flate; the A85 text is ~0.7 MB
        encoded = deflate(base64.a85encode(deflate(b"\x01" * 2**20, 512)), 1)
    else:
        encoded = deflate(b"00" * 2**19 if b"ASCIIHex" in filters else base64.a85encode(b"\x01" * 2**20), 512)
    data = pdfs.one_page(encoded, stream_extra=b" /Filter " + filters)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        assert 64 * 2**20 < decoded_size(data, 64 * 2**20) <= 70 * 2**20
        assert tracemalloc.get_traced_memory()[1] < 32 * 2**20
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 20  # not the ~7 MB/s of decoding ASCII85


def lzw(data: bytes) -> bytes:
    """An LZW encoder (EarlyChange 1), as PDF writers write LZWDecode streams."""
    table, next_code, width, out, bits, nbits = {bytes([i]): i for i in range(256)}, 258, 9, bytearray(), 0, 0

    def emit(code: int) -> None:
        nonlocal bits, nbits
        bits, nbits = (bits << width) | code, nbits + width
        while nbits >= 8:
            nbits -= 8
            out.append((bits >> nbits) & 255)

    emit(256)
    word = b""
    for byte in data:
        longer = word + bytes([byte])
        if longer in table:
            word = longer
            continue
        emit(table[word])
        if next_code < 4096:
            table[longer], next_code = next_code, next_code + 1
            if next_code + 1 > 1 << width and width < 12:
                width += 1
        else:
            emit(256)
            table, next_code, width = {bytes([i]): i for i in range(256)}, 258, 9
        word = bytes([byte])
    emit(table[word])
    emit(257)
    if nbits:
        out.append((bits << (8 - nbits)) & 255)
    return bytes(out)

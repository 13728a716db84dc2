"""How many bytes a PDF's streams inflate to, counted a megabyte at a time without holding the
result in memory: the check that keeps a compression bomb away from PDFium (pdf.py sets the limit).

Each stream's filters are decoded in turn (Flate, LZW, RunLength, ASCII85, ASCIIHex); the last
stage of a chain need only be counted. Image codecs (DCT, JPX, CCITT, JBIG2) count as stored:
PDFium bounds those by the image's dimensions.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterable, Iterator

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

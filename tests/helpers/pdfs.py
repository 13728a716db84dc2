"""PDFs for the SmartCat tests: realistic paperwork from the corpus generator, and every kind of
bad input the API and the pipeline must refuse."""

import io
from functools import cache

import pypdfium2 as pdfium
from fpdf import FPDF

from workshop.smartcat_corpus import render_document, scan


@cache
def document(label: str, seed: int = 1, scanned: bool = False) -> bytes:
    """One generated document (digital: with a text layer; scanned: images only)."""
    data = render_document(label, seed)
    return scan(data, seed) if scanned else data


def bundle(*parts: bytes) -> bytes:
    """The PDFs' pages, in order, in one PDF (as a customer's scanner would send them)."""
    out = pdfium.PdfDocument.new()
    for part in parts:
        source = pdfium.PdfDocument(part)
        out.import_pages(source)
        source.close()
    buffer = io.BytesIO()
    out.save(buffer)
    out.close()
    return buffer.getvalue()


def page_count(data: bytes) -> int:
    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def blank_pages(n: int) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for number in range(n):
        pdf.add_page()
        pdf.cell(text=f"Seite {number + 1}")
    return bytes(pdf.output())


def encrypted() -> bytes:
    """A PDF that needs a password to open."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.cell(text="Vertraulich: Gehaltsabrechnung")
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    return bytes(pdf.output())


def zero_pages() -> bytes:
    """A well-formed PDF whose page tree is empty (fpdf2 will not write one: crafted here)."""
    return _pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"], header=b"%PDF-1.4\n"
    )


def corrupt() -> bytes:
    """Starts like a PDF, then is not one (a truncated download, a renamed file)."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 8


NOT_A_PDF = b"PK\x03\x04 this is a zip file, not a PDF" + bytes(64)


# -- hostile PDFs: written object by object, so each is exactly the trap it is meant to be ------


def _pdf(objects: list[bytes], *, root: int = 1, header: bytes = b"%PDF-1.7\n") -> bytes:
    """A PDF from its objects' bodies (object n is objects[n - 1]), with a correct xref table."""
    out = bytearray(header + b"%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_TEXT = b"BT /F1 12 Tf 72 720 Td (Gehaltsabrechnung Januar: dieses Dokument ist eine Seite) Tj ET"


def many_pages(n: int) -> bytes:
    """n tiny pages sharing one content stream and one font: a few bytes per page."""
    # 1 catalog, 2 pages tree, 3 font, 4 content, 5.. the pages
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(n))
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 3 0 R >> >> >>"
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n),
            _FONT,
            _stream(_TEXT),
            *[page] * n,
        ]
    )


def one_page(
    content: bytes,
    *,
    catalog_extra: bytes = b"",
    page_extra: bytes = b"",
    stream_extra: bytes = b"",
    count: int = 1,
    extra_objects: tuple = (),
    header: bytes = b"%PDF-1.7\n",
) -> bytes:
    """A one-page PDF with this content stream; the page tree claims `count` pages."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R%s >>" % catalog_extra,
            b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % count,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >>%s >>" % page_extra,
            _stream(content, stream_extra),
            _FONT,
            *extra_objects,
        ],
        header=header,
    )


def zip_bomb(inflated: int = 300_000_000) -> bytes:
    """One page whose content stream is ~inflated/1000 bytes of Flate that inflate to `inflated`
    bytes of nothing (spaces): a page that costs PDFium hundreds of MB to read."""
    import zlib

    return one_page(zlib.compress(b" " * inflated, 9), stream_extra=b" /Filter /FlateDecode")


def lying_count(count: int = 1_000_000) -> bytes:
    """One real page; the page tree claims a million."""
    return one_page(_TEXT, count=count)


def truncated() -> bytes:
    """A real document cut off in the middle (an interrupted download): no xref, no %%EOF."""
    data = document("payslip")
    return data[: len(data) // 2]


def javascript(program: str = "/bin/sh") -> bytes:
    """A page with text, and actions that would run JavaScript and launch `program` on open."""
    js = b"<< /Type /Action /S /JavaScript /JS (app.alert('pwned'); this.exportDataObject({}))>>"
    launch = b"<< /Type /Action /S /Launch /F (%s) /Win << /F (cmd.exe) /P (/c calc) >> >>" % (
        program.encode()
    )
    return one_page(
        _TEXT,
        catalog_extra=b" /OpenAction 6 0 R /Names << /JavaScript << /Names [(x) 6 0 R] >> >>",
        page_extra=b" /AA << /O 7 0 R >>",
        extra_objects=(js, launch),
    )


def polyglot() -> bytes:
    """2 KB of something else (a zip's local header, HTML) and then a whole PDF: some readers
    look for %PDF- in the first 1 KB, some anywhere."""
    junk = (b"PK\x03\x04" + b"<html><script>alert(1)</script></html>" + bytes(range(256)) * 8)[:2048]
    return junk + document("payslip")

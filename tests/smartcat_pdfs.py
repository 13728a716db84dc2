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
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def corrupt() -> bytes:
    """Starts like a PDF, then is not one (a truncated download, a renamed file)."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 8


NOT_A_PDF = b"PK\x03\x04 this is a zip file, not a PDF" + bytes(64)

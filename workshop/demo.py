"""`make demo`: start the local stack, take the API on a scripted tour, shut everything down.

Each step prints the request and the response. The tour checks every status code, so it exits
non-zero if the API misbehaves. The second part is SmartCat: a generated PDF of several
customer documents (one of them scanned) is uploaded, the job followed until it redirects to its
output, and every page's label printed.

    python -m workshop.demo [--port 5000] [--moto-port 4566]
"""

import argparse
import json
import sys
import time
from dataclasses import dataclass
from http import HTTPStatus

import requests

from . import CARS_MODEL_DIR
from .stack import LocalStack, port_arguments

DATSUN = {
    "name": "datsun 510",
    "cylinders": 4,
    "displacement": 97.0,
    "horsepower": 88.0,
    "weight": 2130.0,
    "acceleration": 14.5,
    "year": 1971,
    "origin": "Japan",
}
CHEVY = {
    "name": "chevrolet impala",
    "cylinders": 8,
    "displacement": 350.0,
    "horsepower": 165.0,
    "weight": 4209.0,
    "acceleration": 12.0,
    "year": 1971,
    "origin": "USA",
}


@dataclass
class Step:
    title: str
    method: str
    path: str
    expect: int
    body: object = None


def tour() -> list[Step]:
    """The requests, in order. "{carid}" is replaced by the id the create step returned."""
    return [
        Step("Is the API healthy?", "GET", "/health", 200),
        Step("Create a car: the API stores it with the model's prediction", "POST", "/cars", 201, DATSUN),
        Step("Get it back", "GET", "/cars/{carid}", 200),
        Step("List the collection", "GET", "/cars?limit=5", 200),
        Step(
            "Update it (a heavier car): the API predicts again",
            "PUT",
            "/cars/{carid}",
            200,
            {**DATSUN, "weight": 2600.0},
        ),
        Step("Predict without storing: one car", "POST", "/predict", 200, CHEVY),
        Step("Predict a batch", "POST", "/predict", 200, [DATSUN, CHEVY]),
        Step(
            "A bad request: a typo, a string for a number and a missing field",
            "POST",
            "/cars",
            422,
            {
                "cylinder": 4,
                "displacement": "big",
                "horsepower": 88.0,
                "weight": 2130.0,
                "acceleration": 14.5,
                "year": 1971,
                "origin": "Japan",
            },
        ),
        Step("Delete the car", "DELETE", "/cars/{carid}", 204),
        Step("It is gone", "GET", "/cars/{carid}", 404),
    ]


def _show(value: object) -> str:
    return "\n".join("    " + line for line in json.dumps(value, indent=2).splitlines())


def run_tour(base_url: str, out=sys.stdout) -> bool:
    """Send every step to base_url, print it, and return whether every status was as expected."""
    carid, ok = None, True
    session = requests.Session()
    steps = tour()
    for n, step in enumerate(steps, 1):
        path = step.path.replace("{carid}", carid or "")
        print(f"\n── {n}/{len(steps)}  {step.title} " + "─" * max(0, 60 - len(step.title)), file=out)
        print(f"  → {step.method} {path}", file=out)
        if step.body is not None:
            print(_show(step.body), file=out)
        started = time.perf_counter()
        response = session.request(step.method, base_url + path, json=step.body, timeout=30)
        took = (time.perf_counter() - started) * 1000
        status = f"{response.status_code} {HTTPStatus(response.status_code).phrase}"
        location = response.headers.get("Location")
        print(f"  ← {status}  ({took:.0f} ms)" + (f"  Location: {location}" if location else ""), file=out)
        if response.content:
            print(_show(response.json()), file=out)
        if response.status_code != step.expect:
            print(f"  ✗ expected {step.expect}", file=out)
            ok = False
        if step.method == "POST" and step.path == "/cars" and response.status_code == 201:
            carid = response.json()["carid"]
    return ok


def smartcat_pdf() -> tuple[bytes, list[str]]:
    """A customer's upload: four generated documents in one PDF, the ID card scanned (only OCR
    reads it); and the label each page should get."""
    import io

    import pypdfium2 as pdfium

    from .smartcat_corpus import render_document, scan

    parts = [
        ("payslip", render_document("payslip", 11)),
        ("bank_statement", render_document("bank_statement", 12)),
        ("id_card", scan(render_document("id_card", 13), 13)),
        ("tax_assessment", render_document("tax_assessment", 14)),
    ]
    bundle, labels = pdfium.PdfDocument.new(), []
    for label, data in parts:
        source = pdfium.PdfDocument(data)
        labels += [label] * len(source)
        bundle.import_pages(source)
        source.close()
    buffer = io.BytesIO()
    bundle.save(buffer)
    return buffer.getvalue(), labels


def run_smartcat_tour(base_url: str, out=sys.stdout, timeout: float = 180) -> bool:
    """Upload a multi-document PDF, follow the job to its output, print the pages; then a bad
    upload and the clean-up. Returns whether everything was as expected."""
    session, ok = requests.Session(), True

    def step(title: str) -> None:
        print(f"\n── SmartCat  {title} " + "─" * max(0, 60 - len(title)), file=out)

    def expect(response, status: int) -> None:
        nonlocal ok
        phrase = HTTPStatus(response.status_code).phrase
        location = response.headers.get("Location")
        print(
            f"  ← {response.status_code} {phrase}" + (f"  Location: {location}" if location else ""), file=out
        )
        if response.status_code != status:
            print(f"  ✗ expected {status}: {response.text[:300]}", file=out)
            ok = False

    data, labels = smartcat_pdf()
    step("Upload a customer's PDF: the job runs asynchronously")
    print(
        f"  → POST /jobs  ({len(data):,} bytes, {len(labels)} pages, Content-Type: application/pdf)", file=out
    )
    response = session.post(
        f"{base_url}/jobs", data=data, headers={"Content-Type": "application/pdf"}, timeout=30
    )
    expect(response, 202)
    if response.status_code != 202:
        return False
    print(_show(response.json()), file=out)
    job_url = base_url + response.headers["Location"]

    step("Follow it: 200 with progress, then 303 See Other to the output")
    started, last = time.perf_counter(), None
    while True:
        response = session.get(job_url, allow_redirects=False, timeout=30)
        job = response.json()
        progress = (job["status"], job["pages_done"], job["pages_total"])
        if progress != last:
            print(
                f"  {time.perf_counter() - started:5.1f} s  {job['status']:8}  "
                f"{job['pages_done']}/{job['pages_total'] or '?'} pages",
                file=out,
            )
            last = progress
        if response.status_code != 200 or job["status"] == "failed":
            break
        if time.perf_counter() - started > timeout:
            print(f"  ✗ not done after {timeout:.0f} s", file=out)
            return False
        time.sleep(0.25)
    expect(response, 303)
    if response.status_code != 303:
        return False

    step("The output: every page's label, and the documents they form")
    output = session.get(base_url + response.headers["Location"], timeout=30)
    expect(output, 200)
    result = output.json()
    for page, truth in zip(result["pages"], labels, strict=True):
        mark = "✓" if page["label"] == truth else f"✗ (is {truth})"
        print(
            f"  page {page['page']:2}  {page['label']:16} {page['confidence']:.2f}  "
            f"{page['method']:4}  {mark}",
            file=out,
        )
    for document in result["documents"]:
        print(f"  pages {document['first_page']}-{document['last_page']}: {document['label']}", file=out)

    step("A file that is not a PDF is refused at once")
    response = session.post(
        f"{base_url}/jobs",
        data=b"PK\x03\x04 a zip file",
        headers={"Content-Type": "application/pdf"},
        timeout=30,
    )
    expect(response, 422)
    print(_show(response.json()), file=out)

    step("Delete the job: its records and files are gone")
    expect(session.delete(job_url, timeout=30), 204)
    expect(session.get(job_url, timeout=30), 404)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    port_arguments(parser)
    args = parser.parse_args(argv)
    if not (CARS_MODEL_DIR / "manifest.json").exists():
        from .train_cars import train

        print("no model yet: training one", flush=True)
        train()
    print(f"starting local AWS on :{args.moto_port} and the API on :{args.port} ...", flush=True)
    with LocalStack(args.port, args.moto_port, quiet=True) as stack:
        ok = run_tour(stack.url)
        ok = run_smartcat_tour(stack.url) and ok
    print(
        "\nlocal stack stopped. "
        + ("The tour went as expected." if ok else "Some responses were not what the tour expected.")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

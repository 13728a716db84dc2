"""Hostile PDFs, over a real socket to the app on Werkzeug's threaded server (what `make serve`
runs) and through the real pipeline: a compression bomb, thousands of pages, a page tree that
lies, a truncated file, JavaScript and launch actions, a polyglot. Each is refused at upload with
a 422 that says why, or its job ends `failed` with the reason; the server keeps serving and a
good job submitted alongside ends `done`. (tests/integration/test_pdf_input.py has the everyday bad input.)"""

import threading
import time

import pytest
import requests
from helpers import pdfs, smartcat_worker, upload_presigned
from helpers.openapi import check_response
from werkzeug.serving import make_server

from workshop_app import create_app

PDF = {"Content-Type": "application/pdf"}

# name -> (bytes, error code, words the reason must contain): refused before a job exists
REFUSED = {
    "5000_pages": (pdfs.many_pages(5000), "too_many_pages", "the PDF has 5,000 pages; the limit is 100"),
    "count_says_a_million": (
        pdfs.lying_count(1_000_000),
        "corrupt",
        "page tree says 1,000,000 pages, but page 1,000,000 is missing",
    ),
    "count_says_5": (pdfs.lying_count(5), "corrupt", "says 5 pages, but page 2 is missing"),
    "truncated": (pdfs.truncated(), "corrupt", "corrupt"),
    "polyglot": (pdfs.polyglot(), "not_a_pdf", "does not start with %PDF-"),
}


class Response:
    """A requests response as openapi_check reads it."""

    def __init__(self, response: requests.Response):
        self.raw, self.status_code = response, response.status_code
        self.headers, self.data = response.headers, response.content
        self.mimetype = response.headers.get("Content-Type", "").split(";")[0].strip()

    def get_json(self):
        return self.raw.json()


@pytest.fixture
def config(make_smartcat, table_name, model_dir):
    """SmartCat's resources, and the car API's (GET /health checks its table and model)."""
    return make_smartcat(visibility_timeout=1, CARS_TABLE=table_name, MODEL_URI=str(model_dir))


@pytest.fixture
def api(config):
    """`api(method, path, **kwargs)`: a request to the app on a free port; every answer is
    checked against the OpenAPI document, and after the test the server still answers."""
    server = make_server("127.0.0.1", 0, create_app(config), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"

    def call(method: str, path: str, **kwargs) -> Response:
        response = Response(
            requests.request(method, base + path, timeout=60, allow_redirects=False, **kwargs)
        )
        check_response(method, path, response)
        return response

    yield call
    assert call("GET", "/health").status_code == 200
    server.shutdown()
    thread.join()


@pytest.mark.parametrize("name", REFUSED)
def test_refused_at_upload_fast_with_the_reason(api, config, name):
    data, code, words = REFUSED[name]
    started = time.perf_counter()
    response = api("POST", "/jobs", data=data, headers=PDF)
    assert time.perf_counter() - started < 2
    assert response.status_code == 422, response.data
    assert response.get_json()["error"] == code
    assert words in response.get_json()["message"]
    assert api("GET", "/health").status_code == 200


def test_by_presigned_upload_they_fail_their_jobs(api, config):
    """The API never sees these bytes: the split function refuses them, once, with the reason."""
    jobs = upload_presigned(
        lambda path: api("POST", path), {name: data for name, (data, _, _) in REFUSED.items()}
    )
    _, worker = smartcat_worker(config)
    worker.run_until_idle(timeout=60)
    assert worker.failed["split"] == 0  # refused, not crashed: nothing was retried
    for name, job_id in jobs.items():
        job = api("GET", f"/jobs/{job_id}").get_json()
        assert job["status"] == "failed", (name, job)
        assert REFUSED[name][2] in job["reason"], (name, job)


def test_a_compression_bomb_fails_its_job_and_the_rest_goes_on(api, config, document_model_dir, tmp_path):
    """A 290 KB page that inflates to 300 MB, a 1.5 KB one that inflates to 400 MB (Flate inside
    Flate), a page with JavaScript and launch actions, and a real document, all at once: the
    bombs fail with the reason without PDFium ever inflating them, the others are read."""
    import zlib

    marker = tmp_path / "launched"
    program = tmp_path / "launch.sh"
    program.write_text(f"#!/bin/sh\ntouch {marker}\n")
    program.chmod(0o755)
    double = zlib.compress(zlib.compress(b" " * 400_000_000, 9), 9)
    uploads = {
        "bomb": pdfs.zip_bomb(),
        "double_bomb": pdfs.one_page(double, stream_extra=b" /Filter [/Fl /Fl]"),
        "javascript": pdfs.javascript(str(program)),
        "good": pdfs.bundle(pdfs.document("payslip"), pdfs.document("id_card")),
    }
    jobs = {}
    for name, data in uploads.items():
        response = api("POST", "/jobs", data=data, headers=PDF)
        assert response.status_code == 202, (name, response.data)  # cheap checks pass them
        jobs[name] = response.get_json()["job_id"]
    _, worker = smartcat_worker(config)
    started = time.perf_counter()
    worker.run_until_idle(timeout=90)
    assert time.perf_counter() - started < 60

    assert worker.failed["page"] == 0  # the bombs were refused at their first delivery
    for name in ("bomb", "double_bomb"):
        job = api("GET", f"/jobs/{jobs[name]}").get_json()
        assert job["status"] == "failed", (name, job)
        assert (job["pages_done"], job["pages_failed"]) == (0, 1)
        assert "inflates to more than 256 MB when decoded" in job["reason"], job["reason"]
    assert api("GET", f"/jobs/{jobs['javascript']}").status_code == 303
    output = api("GET", f"/jobs/{jobs['javascript']}/output").get_json()
    assert [p["method"] for p in output["pages"]] == ["text"]  # read as a document ...
    assert not marker.exists()  # ... and nothing in it was run
    assert api("GET", f"/jobs/{jobs['good']}").status_code == 303
    output = api("GET", f"/jobs/{jobs['good']}/output").get_json()
    assert [p["label"] for p in output["pages"]] == ["payslip", "id_card"]

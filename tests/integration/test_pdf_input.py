"""Every kind of bad input: refused at upload with a 4xx that says why, or, when it arrives by
the presigned URL (where the API never sees the bytes), the job ends `failed` with the reason.
Nothing hangs, and nothing else is affected."""

import io

import boto3
import pytest
from helpers import pdfs, smartcat_worker, upload_presigned
from helpers.local_aws import CheckedClient

from workshop_app import create_app

PDF = {"Content-Type": "application/pdf"}
MAX_PAGES = 3

# name -> (bytes, status at POST /jobs, error code, words the reason must contain)
BAD = {
    "not_a_pdf": (pdfs.NOT_A_PDF, 422, "not_a_pdf", "not a PDF"),
    "corrupt": (pdfs.corrupt(), 422, "corrupt", "corrupt"),
    "encrypted": (pdfs.encrypted(), 422, "encrypted", "encrypted"),
    "too_many_pages": (
        pdfs.blank_pages(MAX_PAGES + 1),
        422,
        "too_many_pages",
        f"{MAX_PAGES + 1} pages; the limit is {MAX_PAGES}",
    ),
}


@pytest.fixture
def config(make_smartcat):
    return make_smartcat(MAX_PAGES=MAX_PAGES, MAX_PDF_BYTES=20_000)


@pytest.fixture
def client(config):
    app = create_app({"TESTING": True, **config, "FEATURES": "jobs"})
    app.test_client_class = CheckedClient
    return app.test_client()


def no_jobs(config) -> bool:
    return boto3.client("dynamodb").scan(TableName=config["JOBS_TABLE"])["Count"] == 0


@pytest.mark.parametrize("name", BAD)
def test_refused_at_upload_with_the_reason(client, config, name):
    data, status, code, words = BAD[name]
    response = client.post("/jobs", data=data, headers=PDF)
    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert words in response.get_json()["message"]
    assert no_jobs(config)


def test_zero_pages_is_refused_at_upload(client, config):
    response = client.post("/jobs", data=pdfs.zero_pages(), headers=PDF)
    assert response.status_code == 422
    assert no_jobs(config)


def test_zero_pages_is_refused_as_having_no_pages(client):
    client.post("/jobs", data=pdfs.encrypted(), headers=PDF)  # leaves PDFium's last error set
    response = client.post("/jobs", data=pdfs.zero_pages(), headers=PDF)
    assert response.get_json()["error"] == "no_pages"


def test_too_many_bytes_is_413(client, config):
    data = pdfs.document("purchase_contract")  # 2 pages, within MAX_PAGES
    assert len(data) > 20_000
    response = client.post("/jobs", data=data, headers=PDF)
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"
    assert no_jobs(config)


def test_too_many_bytes_sent_chunked_is_413_not_cut(client, config):
    """No Content-Length: Werkzeug would cut the stream at the limit and hand us a prefix."""
    data = pdfs.document("purchase_contract")
    response = client.post(
        "/jobs",
        input_stream=io.BytesIO(data),
        headers={**PDF, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"
    assert no_jobs(config)


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json", "text/plain", "application/octet-stream", "multipart/form-data"],
)
def test_wrong_content_type_is_415(client, config, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/jobs", data=pdfs.blank_pages(1), headers=headers)
    assert response.status_code == 415
    assert response.get_json()["error"] == "unsupported_media_type"
    assert no_jobs(config)


def test_empty_body_is_400(client, config):
    response = client.post("/jobs", data=b"", headers=PDF)
    assert response.status_code == 400 and response.get_json()["error"] == "empty_body"
    assert no_jobs(config)


def test_bad_files_by_presigned_upload_fail_their_jobs(client, config):
    """The API never sees these bytes: the split function checks them and fails the job."""
    uploads = {
        **{name: bad[0] for name, bad in BAD.items()},
        "zero_pages": pdfs.zero_pages(),
        "too_many_bytes": pdfs.document("purchase_contract"),
    }
    jobs = upload_presigned(client.post, uploads)
    _, worker = smartcat_worker(config)
    worker.run_until_idle(timeout=60)
    assert worker.failed["split"] == 0  # refused, not crashed: nothing was retried
    reasons = {}
    for name, job_id in jobs.items():
        job = client.get(f"/jobs/{job_id}").get_json()
        assert job["status"] == "failed", (name, job)
        reasons[name] = job["reason"]
        output = client.get(f"/jobs/{job_id}/output")
        assert output.status_code == 409 and output.get_json()["error"] == "job_failed"
    for name, (_, _, _, words) in BAD.items():
        assert words in reasons[name]
    assert "the limit is 20,000" in reasons["too_many_bytes"]

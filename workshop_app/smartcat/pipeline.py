"""The SmartCat pipeline's three steps, as SQS batch handlers: split, page, aggregate.

    uploads/<id>.pdf ──S3 event──▶ split ──one message per page──▶ page ──"all done"──▶ aggregate
                                   │ validates, writes one        │ text layer or OCR,  │ groups pages into
                                   │ PDF per page, job: running   │ classify, count it  │ documents, job: done

Every step is safe to run twice on the same message (SQS delivers at least once):

- split resumes a job that is already running with the same page count, and otherwise does
  nothing to a job that is over or gone;
- page skips a page that already has a result, and records a result together with the job's
  counter in one conditional transaction (jobs_table), so no page is counted twice;
- aggregate writes the same output again at worst, and the job turns `done` exactly once.

A handler takes an SQS event and answers with the messages that failed (`batchItemFailures`):
SQS redelivers those after their visibility timeout, the others are deleted. On a message's last
delivery (ApproximateReceiveCount = MAX_RECEIVE_COUNT, the queues' maxReceiveCount) the failure
is recorded first (the page as failed, or the job), so the job ends `failed` with a reason while
the message itself moves on to the dead-letter queue for someone to inspect.

This module imports neither Flask nor numpy. PDFium (smartcat/pdf.py) is imported by the steps
that read PDFs, split and page, and the classifier by page alone (it records its model_id with
each page): each function's artifact carries only what its step imports.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping

from .. import observability
from ..artifacts import Holder
from ..timestamps import seconds_since
from .job_files import JobFiles, job_id_from_key
from .jobs_table import DONE, FAILED, RUNNING, TERMINAL, JobStore
from .queues import PageMessage, Queues, receive_count

log = logging.getLogger(__name__)


def group_documents(pages: list[dict]) -> list[dict]:
    """Consecutive pages with the same label form one document."""
    documents: list[dict] = []
    for page in pages:
        last = documents[-1] if documents else None
        if last and last["label"] == page["label"] and last["last_page"] == page["page"] - 1:
            last["last_page"] = page["page"]
        else:
            documents.append({"label": page["label"], "first_page": page["page"], "last_page": page["page"]})
    return documents


class Pipeline:
    """The handlers' logic, with its resources named by the settings (workshop_app.settings)."""

    def __init__(self, settings: Mapping):
        self.jobs = JobStore(settings["JOBS_TABLE"], settings["JOB_RETENTION_DAYS"])
        self.files = JobFiles(settings["DOCUMENTS_BUCKET"])
        self.queues = Queues(settings["PAGES_QUEUE_URL"], settings["AGGREGATE_QUEUE_URL"])
        self.classifier = Holder(_classifier_loader(settings["DOCUMENT_MODEL_URI"]))
        self.max_pages = settings["MAX_PAGES"]
        self.max_bytes = settings["MAX_PDF_BYTES"]
        self.max_receive_count = settings["MAX_RECEIVE_COUNT"]

    # -- the Lambda handlers' bodies -----------------------------------------------------------

    def split(self, event: dict) -> dict:
        return self._each(event, self.split_message, self._split_gave_up)

    def page(self, event: dict) -> dict:
        return self._each(event, self.page_message, self._page_gave_up)

    def aggregate(self, event: dict) -> dict:
        return self._each(event, self.aggregate_message, self._aggregate_gave_up)

    def _each(
        self, event: dict, handle: Callable[[dict], dict], gave_up: Callable[[dict, Exception], None]
    ) -> dict:
        """Run `handle` on each record; log one line per message (what `handle` returns, or
        that it failed); answer with the messages that failed."""
        failures = []
        step = handle.__name__.removesuffix("_message")
        for record in event.get("Records", []):
            started = time.perf_counter()
            try:
                _logged(step, record, started, "ok", **handle(record))
            except Exception as error:  # noqa: BLE001 (any fault: report this message only)
                last = receive_count(record) >= self.max_receive_count
                log.exception(
                    "message %s failed (delivery %d of %d)",
                    record.get("messageId"),
                    receive_count(record),
                    self.max_receive_count,
                )
                if last:
                    try:
                        gave_up(record, error)
                    except Exception:  # noqa: BLE001 (the message still goes to the DLQ)
                        log.exception("could not record the failure of %s", record.get("messageId"))
                failures.append({"itemIdentifier": record["messageId"]})
                _logged(step, record, started, "failed", last_delivery=last, error=type(error).__name__)
                observability.metrics({"MessageFailures": 1})
        return {"batchItemFailures": failures}

    # -- split -------------------------------------------------------------------------------

    @staticmethod
    def _uploaded_jobs(record: dict) -> list[str]:
        body = json.loads(record["body"])
        if body.get("Event") == "s3:TestEvent":  # S3 sends one when the notification is set up
            return []
        jobs = []
        for s3_record in body.get("Records", []):
            if not s3_record.get("eventName", "").startswith("ObjectCreated"):
                continue
            job_id = job_id_from_key(s3_record["s3"]["object"]["key"])
            if job_id is None:
                log.warning("ignoring an object outside uploads/: %s", s3_record["s3"]["object"])
            else:
                jobs.append(job_id)
        return jobs

    def split_message(self, record: dict) -> dict:
        jobs = {job_id: self.split_job(job_id) for job_id in self._uploaded_jobs(record)}
        return {"jobs": jobs}

    def split_job(self, job_id: str) -> str:
        """Split the job's upload into pages and send a message per page; what became of it."""
        from . import pdf  # PDFium: in split's and page's artifacts, not in aggregate's

        job = self.jobs.get(job_id)
        if job is None:  # deleted, or an upload no job was created for: nobody wants it
            self.files.delete(job_id)
            return "no job: upload deleted"
        if job["status"] in TERMINAL:
            return f"already {job['status']}"
        size = self.files.upload_size(job_id)
        if size is None:
            return "upload gone"  # deleted meanwhile
        if size > self.max_bytes:
            self.jobs.fail(job_id, f"the PDF has {size:,} bytes; the limit is {self.max_bytes:,}")
            return "refused: too large"
        data = self.files.get_upload(job_id)
        try:
            pages = pdf.count_pages(data, self.max_pages)
        except pdf.PdfRejected as rejected:
            self.jobs.fail(job_id, rejected.reason)
            return f"refused: {rejected.code}"
        if not self.jobs.start(job_id, pages):
            return "gone or over"  # deleted or over meanwhile
        for page, single in enumerate(pdf.single_page_pdfs(data), 1):
            self.files.put_page(job_id, page, single)
        self.queues.send_pages(job_id, pages)
        return f"split into {pages} pages"

    def _split_gave_up(self, record: dict, error: Exception) -> None:
        for job_id in self._uploaded_jobs(record):
            self.jobs.fail(job_id, f"the PDF could not be split into pages ({error})")

    # -- page --------------------------------------------------------------------------------

    def page_message(self, record: dict) -> dict:
        from . import pdf

        message = PageMessage.parse(record["body"])
        fields = {"job_id": message.job_id, "page": message.page}
        job = self.jobs.get(message.job_id)
        if job is None or job["status"] != RUNNING:
            return {**fields, "outcome": "job gone or over"}  # nothing to add
        if self.jobs.has_page(message.job_id, message.page):
            self._aggregate_if_complete(message.job_id)  # a repeat; perhaps the first one died
            return {**fields, "outcome": "already read"}  # before it could send this
        started = time.perf_counter()
        try:
            text = pdf.read_single_page(self.files.get_page(message.job_id, message.page))
        except pdf.PdfRejected as rejected:
            # The page's bytes will not change: it fails now, not after maxReceiveCount tries.
            self._fail_page(message, rejected)
            return {**fields, "outcome": f"refused: {rejected.code}"}
        classifier = self.classifier.get()
        [prediction] = classifier.predict([text.text])
        self.jobs.record_page(
            message.job_id,
            message.page,
            {
                "label": prediction.label,
                "confidence": round(prediction.confidence, 4),
                "method": text.method,
                "seconds": round(time.perf_counter() - started, 3),
                "model_id": classifier.model_id,
            },
        )
        observability.metrics({"Pages": 1}, method=text.method)
        self._aggregate_if_complete(message.job_id)
        return {**fields, "outcome": "read", "method": text.method, "model_id": classifier.model_id}

    def _page_gave_up(self, record: dict, error: Exception) -> None:
        self._fail_page(PageMessage.parse(record["body"]), error)

    def _fail_page(self, message: PageMessage, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"[:300]
        self.jobs.record_page(message.job_id, message.page, {"reason": reason}, failed=True)
        observability.metrics({"PageFailures": 1})
        self._aggregate_if_complete(message.job_id)

    def _aggregate_if_complete(self, job_id: str) -> None:
        job = self.jobs.get(job_id)
        if (
            job
            and job["status"] == RUNNING
            and job.get("pages_total") is not None
            and job["pages_done"] + job["pages_failed"] >= job["pages_total"]
        ):
            self.queues.send_aggregate(job_id)

    # -- aggregate ---------------------------------------------------------------------------

    def aggregate_message(self, record: dict) -> dict:
        job_id = str(json.loads(record["body"])["job_id"])
        job = self.jobs.get(job_id)
        if job is None or job["status"] != RUNNING:
            return {"job_id": job_id, "outcome": "job gone or over"}  # a repeated message
        pages = self.jobs.pages(job_id)
        if len(pages) < job["pages_total"]:
            # Counters and page records are written in one transaction, so this means a page
            # record was deleted under us: retrying will not help, and the stall check ends it.
            log.warning("job %s: %d of %d page records", job_id, len(pages), job["pages_total"])
            return {"job_id": job_id, "outcome": "page records missing"}
        failed = [p for p in pages if p["status"] == FAILED]
        if failed:
            detail = "; ".join(f"page {p['page']}: {p.get('reason', 'failed')}" for p in failed[:5])
            more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
            if self.jobs.finish(
                job_id, FAILED, f"{len(failed)} of {len(pages)} pages could not be read: {detail}{more}"
            ):
                observability.metrics({"JobsFailed": 1})
            return {"job_id": job_id, "outcome": "failed", "pages": len(pages)}
        page_results = [
            {"page": p["page"], "label": p["label"], "confidence": p["confidence"], "method": p["method"]}
            for p in pages
        ]
        output = {
            "job_id": job_id,
            # The model that labelled the pages (a deployment between two pages could mix models:
            # the output names the first page's).
            "model_id": pages[0]["model_id"],
            "pages": page_results,
            "documents": group_documents(page_results),
        }
        self.files.put_output(job_id, output)  # before `done`: a done job always has its output
        if self.jobs.finish(job_id, DONE):
            observability.metrics({"JobsDone": 1})
            observability.metrics({"JobSeconds": seconds_since(job["created_at"])}, unit="Seconds")
        return {
            "job_id": job_id,
            "outcome": "done",
            "pages": len(pages),
            "documents": len(output["documents"]),
        }

    def _aggregate_gave_up(self, record: dict, error: Exception) -> None:
        job_id = str(json.loads(record["body"])["job_id"])
        self.jobs.fail(job_id, f"the pages could not be put together ({error})")


def _logged(step: str, record: dict, started: float, status: str, **fields) -> None:
    """The message's log line: its step, id, delivery, status, duration and what was done."""
    observability.line(
        "message",
        step=step,
        message_id=record.get("messageId"),
        delivery=receive_count(record),
        status=status,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        **fields,
    )


def _classifier_loader(uri: str) -> Callable:
    def load():
        from .classifier import PageClassifier

        return PageClassifier.load(uri)

    return load

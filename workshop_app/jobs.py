"""/jobs: SmartCat's asynchronous page classification, the REST way.

    POST   /jobs              the PDF as the body → 202 Accepted, Location: /jobs/{id}
    POST   /jobs/uploads      → 201 with a presigned S3 URL: PUT the PDF there (larger files)
    GET    /jobs/{id}         → 200 with progress; 303 See Other → /jobs/{id}/output when done
    GET    /jobs/{id}/output  → the label of every page and the documents they form; 409 before
    DELETE /jobs/{id}         → 204: the job, its page records and its files are gone

The API only checks what is cheap (type, size, that PDFium opens it and how many pages it has)
and stores the PDF under uploads/ in the documents bucket. S3 tells the split queue; the pipeline
(workshop_app/smartcat) does the rest, and a job that cannot finish ends `failed` with a reason. A
presigned upload starts the job the same way, so both paths share one entry point.

PDFium (smartcat/pdf.py) is imported by the first upload, not with this module: a function that
serves other routes never loads it.
"""

import re
import time
import uuid
from datetime import UTC, datetime

from flask import Blueprint, Flask, current_app, jsonify, request, url_for
from werkzeug.routing import BaseConverter

from .errors import ApiError, invalid_id, not_found
from .smartcat.job_files import JobFiles
from .smartcat.jobs_table import DONE, FAILED, TERMINAL, JobStore
from .timestamps import seconds_since

bp = Blueprint("jobs", __name__)


def init_app(app: Flask) -> None:
    """Mount SmartCat's jobs API: /jobs, the jobs table and the documents bucket, and the table's
    health check."""
    from . import health

    app.extensions["job_store"] = JobStore(app.config["JOBS_TABLE"], app.config["JOB_RETENTION_DAYS"])
    app.extensions["job_files"] = JobFiles(app.config["DOCUMENTS_BUCKET"])
    app.register_blueprint(bp)
    health.add_check(app, "jobs_storage", lambda: jobs_store().ping())


class JobIdConverter(BaseConverter):
    """Any path segment but `uploads`, so that /jobs/uploads is only ever the upload route
    (GET /jobs/uploads is a 405 that allows POST, not a malformed job id). Ids are checked by
    _checked(), which names what a job id looks like."""

    regex = r"(?!uploads$)[^/]+"


bp.record_once(lambda state: state.app.url_map.converters.setdefault("job_id", JobIdConverter))

JOB_ID = re.compile(r"[0-9a-f]{32}")  # fullmatch: "$" would let a final "\n" through
#: A PDF in the request body travels base64-encoded inside Lambda's 6 MB request payload:
#: anything over ~4.4 MB cannot arrive that way, so POST /jobs stops at 4 MiB and says to use
#: POST /jobs/uploads (straight to S3, up to MAX_PDF_BYTES).
DIRECT_UPLOAD_LIMIT = 4 * 1024 * 1024


def jobs_store() -> JobStore:
    """The jobs table."""
    return current_app.extensions["job_store"]


def job_files() -> JobFiles:
    """The documents bucket."""
    return current_app.extensions["job_files"]


def _checked(job_id: str) -> str:
    if not JOB_ID.fullmatch(job_id):
        raise invalid_id("job_id", job_id, "POST /jobs")
    return job_id


def _existing(job_id: str) -> dict:
    """The job (failed now if it has stalled), or 404."""
    job = jobs_store().get(_checked(job_id))
    if job is None:
        raise not_found("job", "job_id", job_id)
    return _unstuck(job)


def _job_json(job: dict) -> dict:
    body = {
        "job_id": job["job_id"],
        "status": job["status"],
        "pages_total": job.get("pages_total"),
        "pages_done": job.get("pages_done", 0),
        "pages_failed": job.get("pages_failed", 0),
        "created_at": job["created_at"],
        "updated_at": job["updated_at"],
    }
    if job["status"] == FAILED:
        body["reason"] = job.get("reason") or "the job failed"
    return body


def _unstuck(job: dict) -> dict:
    """A job with no progress for JOB_STALL_SECONDS is failed now, so no client polls forever."""
    stall = current_app.config["JOB_STALL_SECONDS"]
    if job["status"] in TERMINAL or seconds_since(job["updated_at"]) < stall:
        return job
    waiting = (
        "the PDF never arrived"
        if job.get("pages_total") is None and job["status"] == "pending"
        else f"{job.get('pages_done', 0)} of {job.get('pages_total')} pages were done"
    )
    jobs_store().fail(job["job_id"], f"no progress for {stall} s ({waiting})")
    return jobs_store().get(job["job_id"]) or job


def _accepted(job: dict, status: int):
    response = jsonify(_job_json(job))
    response.status_code = status
    response.headers["Location"] = url_for("jobs.get_job", job_id=job["job_id"])
    return response


@bp.post("/jobs")
def create_job():
    """The PDF as the body: 202 with the job and its Location; 4xx naming what is wrong."""
    from .smartcat import pdf  # PDFium, on the first upload

    if request.mimetype != "application/pdf":
        raise ApiError(
            415,
            "unsupported_media_type",
            "send the PDF as the body with "
            f"Content-Type: application/pdf (got {request.mimetype or 'none'!r})",
        )
    limit = min(current_app.config["MAX_PDF_BYTES"], DIRECT_UPLOAD_LIMIT)
    # Flask answers 413 before reading more than this. A chunked body (no Content-Length) is
    # silently cut at it instead, so read one byte more than allowed to tell.
    request.max_content_length = limit + 1
    data = request.get_data(cache=False)
    if len(data) > limit:
        raise ApiError(
            413,
            "request_entity_too_large",
            f"the PDF is over {limit:,} bytes; upload larger files with POST /jobs/uploads",
        )
    if not data:
        raise ApiError(400, "empty_body", "the request body is empty; send the PDF")
    try:
        pages = pdf.count_pages(data, current_app.config["MAX_PAGES"])
    except pdf.PdfRejected as rejected:
        raise ApiError(422, rejected.code, rejected.reason) from rejected
    job_id = uuid.uuid4().hex
    job = jobs_store().create(job_id, pages_total=pages, size=len(data), source="body")
    try:
        job_files().put_upload(job_id, data)  # S3 tells the split queue: the job starts
    except BaseException:
        jobs_store().delete(job_id)
        raise
    return _accepted(job, 202)


@bp.post("/jobs/uploads")
def create_upload():
    """A job for a larger PDF: 201 with a presigned S3 URL to PUT it to."""
    job_id = uuid.uuid4().hex
    expires_in = current_app.config["UPLOAD_URL_SECONDS"]
    job = jobs_store().create(job_id, source="presigned")
    url = job_files().presigned_upload(job_id, expires_in)
    response = _accepted(job, 201)
    body = response.get_json()
    body["upload"] = {
        "method": "PUT",
        "url": url,
        "headers": {"Content-Type": "application/pdf"},
        "expires_at": datetime.fromtimestamp(time.time() + expires_in, UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "max_bytes": current_app.config["MAX_PDF_BYTES"],
        "max_pages": current_app.config["MAX_PAGES"],
    }
    response.set_data(current_app.json.dumps(body))
    return response


@bp.get("/jobs/<job_id:job_id>")
def get_job(job_id: str):
    """The job's status and progress; 303 to its output once it is done."""
    job = _existing(job_id)
    response = jsonify(_job_json(job))
    if job["status"] == DONE:
        response.status_code = 303
        response.headers["Location"] = url_for("jobs.get_output", job_id=job_id)
    return response


@bp.get("/jobs/<job_id:job_id>/output")
def get_output(job_id: str):
    """Every page's label and the documents the pages form; 409 until the job is done."""
    job = _existing(job_id)
    if job["status"] != DONE:
        if job["status"] == FAILED:
            raise ApiError(409, "job_failed", f"the job failed: {job.get('reason')}")
        progress = (
            f"{job.get('pages_done', 0)} of {job['pages_total']} pages done"
            if job.get("pages_total") is not None
            else "waiting for the PDF"
        )
        raise ApiError(
            409,
            "not_done",
            f"the job is {job['status']} ({progress}); poll GET /jobs/{job_id} until it redirects here",
        )
    try:
        return jsonify(job_files().get_output(job_id))
    except FileNotFoundError as e:  # deleted between the two reads
        raise not_found("job", "job_id", job_id) from e


@bp.delete("/jobs/<job_id:job_id>")
def delete_job(job_id: str):
    """204 when the job, its page records and its files were deleted; 404 when there was none."""
    if not jobs_store().delete(_checked(job_id)):
        raise not_found("job", "job_id", job_id)
    job_files().delete(job_id)
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]
    return response

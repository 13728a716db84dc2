"""A job's files in the documents bucket.

    uploads/<job_id>.pdf            the PDF as uploaded; its arrival starts the job (S3 notifies
                                    the split queue of every new object under uploads/)
    jobs/<job_id>/pages/00001.pdf   one single-page PDF per page, written by the split function
    jobs/<job_id>/output.json       the result, written by the aggregate function

The bucket expires both prefixes after the retention period (serverless.yml), as the table's TTL
does the records: nothing a customer uploaded stays forever, even if nobody deletes the job.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_plus

from ..aws import Client, NotFound

UPLOADS = "uploads/"
JOBS = "jobs/"
_UPLOAD_KEY = re.compile(r"^uploads/([0-9a-f]{32})\.pdf$")


def upload_key(job_id: str) -> str:
    return f"{UPLOADS}{job_id}.pdf"


def page_key(job_id: str, page: int) -> str:
    return f"{JOBS}{job_id}/pages/{page:05d}.pdf"


def output_key(job_id: str) -> str:
    return f"{JOBS}{job_id}/output.json"


def job_id_from_key(key: str) -> str | None:
    """The job id in an S3 event's (URL-encoded) object key, or None for any other key."""
    match = _UPLOAD_KEY.match(unquote_plus(key))
    return match.group(1) if match else None


class JobFiles:
    def __init__(self, bucket: str):
        self.bucket = bucket
        self._s3 = Client("s3")

    def _call(self, method: str, **kwargs):
        return self._s3.call(method, f"bucket {self.bucket!r}", Bucket=self.bucket, **kwargs)

    # -- upload ------------------------------------------------------------------------------

    def put_upload(self, job_id: str, data: bytes) -> None:
        self._call("put_object", Key=upload_key(job_id), Body=data, ContentType="application/pdf")

    def presigned_upload(self, job_id: str, expires_in: int) -> str:
        """A URL that accepts one `PUT` of the PDF (with `Content-Type: application/pdf`)."""
        return self._s3.get().generate_presigned_url(
            "put_object",
            ExpiresIn=expires_in,
            Params={"Bucket": self.bucket, "Key": upload_key(job_id), "ContentType": "application/pdf"},
        )

    def upload_size(self, job_id: str) -> int | None:
        try:
            return self._call("head_object", Key=upload_key(job_id))["ContentLength"]
        except NotFound:
            return None

    def get_upload(self, job_id: str) -> bytes:
        return self._call("get_object", Key=upload_key(job_id))["Body"].read()

    # -- pages and output --------------------------------------------------------------------

    def put_page(self, job_id: str, page: int, data: bytes) -> None:
        self._call("put_object", Key=page_key(job_id, page), Body=data, ContentType="application/pdf")

    def get_page(self, job_id: str, page: int) -> bytes:
        return self._call("get_object", Key=page_key(job_id, page))["Body"].read()

    def put_output(self, job_id: str, output: dict) -> None:
        self._call(
            "put_object",
            Key=output_key(job_id),
            ContentType="application/json",
            Body=json.dumps(output, separators=(",", ":")).encode(),
        )

    def get_output(self, job_id: str) -> dict:
        return json.loads(self._call("get_object", Key=output_key(job_id))["Body"].read())

    def delete(self, job_id: str) -> int:
        """Delete the upload and everything under jobs/<job_id>/; the number of objects deleted."""
        keys, listing = [upload_key(job_id)], {"Prefix": f"{JOBS}{job_id}/"}
        while True:
            page = self._call("list_objects_v2", **listing)
            keys += [obj["Key"] for obj in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                break
            listing["ContinuationToken"] = page["NextContinuationToken"]
        for start in range(0, len(keys), 1000):
            self._call(
                "delete_objects",
                Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True},
            )
        return len(keys)

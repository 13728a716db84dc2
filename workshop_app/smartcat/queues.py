"""The pipeline's messages, and sending them to SQS.

    split queue      S3's "object created" notification for uploads/<job_id>.pdf
    pages queue      {"job_id", "page", "pages"}: one message per page (page is 1-based)
    aggregate queue  {"job_id"}: the job's pages are all accounted for

Each queue has a dead-letter queue: a message that fails `maxReceiveCount` times moves there.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from ..aws import Client, StorageUnavailable

#: SQS takes at most 10 messages per SendMessageBatch.
BATCH = 10


@dataclass(frozen=True)
class PageMessage:
    job_id: str
    page: int  # 1-based
    pages: int  # the job's page count

    def body(self) -> str:
        return json.dumps({"job_id": self.job_id, "page": self.page, "pages": self.pages})

    @classmethod
    def parse(cls, body: str) -> PageMessage:
        data = json.loads(body)
        message = cls(str(data["job_id"]), int(data["page"]), int(data["pages"]))
        if not 1 <= message.page <= message.pages:
            raise ValueError(f"page {message.page} is outside 1..{message.pages}")
        return message


def aggregate_body(job_id: str) -> str:
    return json.dumps({"job_id": job_id})


def receive_count(record: dict) -> int:
    """How many times SQS has delivered this record's message (1 the first time)."""
    return int(record.get("attributes", {}).get("ApproximateReceiveCount", 1))


class Queues:
    """Sends to the pages and aggregate queues (URLs from the settings)."""

    def __init__(self, pages_url: str | None, aggregate_url: str | None):
        self.pages_url, self.aggregate_url = pages_url, aggregate_url
        self._sqs = Client("sqs")

    def send_pages(self, job_id: str, pages: int) -> None:
        self.send_batch(self.pages_url, [PageMessage(job_id, n, pages).body() for n in range(1, pages + 1)])

    def send_aggregate(self, job_id: str) -> None:
        self._require(self.aggregate_url, "AGGREGATE_QUEUE_URL")
        self._sqs.call(
            "send_message",
            f"queue {self.aggregate_url!r}",
            QueueUrl=self.aggregate_url,
            MessageBody=aggregate_body(job_id),
        )

    def send_batch(self, url: str | None, bodies: list[str]) -> None:
        """Send every body, ten per request; entries SQS rejects are retried, then raised."""
        self._require(url, "PAGES_QUEUE_URL")
        for start in range(0, len(bodies), BATCH):
            entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + BATCH])]
            for attempt in range(4):
                failed = self._sqs.call(
                    "send_message_batch", f"queue {url!r}", QueueUrl=url, Entries=entries
                ).get("Failed", [])
                if not failed:
                    break
                ids = {f["Id"] for f in failed}
                entries = [e for e in entries if e["Id"] in ids]
                time.sleep(0.1 * 2**attempt)
            else:
                raise StorageUnavailable(f"SQS rejected {len(entries)} messages: {failed[0]}")

    @staticmethod
    def _require(url: str | None, name: str) -> None:
        if not url:
            raise RuntimeError(f"{name} is not set: the function does not know its queue")

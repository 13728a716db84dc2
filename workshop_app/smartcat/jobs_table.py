"""Jobs and their pages in one DynamoDB table: key (`job_id`, `item`), `item` = "job" or "page#00001".

SQS delivers every message at least once, so every write here is safe to repeat:

- a page's result is written together with the job's counter in one transaction, on condition
  that the page has no result yet: a page processed twice is counted once;
- a job leaves `running` (for `done` or `failed`) by a conditional update: exactly once.

Faults of DynamoDB itself surface as aws.StorageUnavailable (the API answers 503; a handler
lets the message be redelivered).
"""

from __future__ import annotations

import time
from decimal import Decimal

from ..aws import Client, ConditionFailed, Contention, from_item, to_item
from ..timestamps import now_iso

JOB = "job"
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
TERMINAL = (DONE, FAILED)


def page_item(page: int) -> str:
    return f"page#{page:05d}"


def _plain(item: dict) -> dict:
    """An item with DynamoDB's Decimals as int or float."""
    return {
        key: (int(v) if v == v.to_integral_value() else float(v)) if isinstance(v, Decimal) else v
        for key, v in from_item(item).items()
    }


class JobStore:
    def __init__(self, table_name: str, retention_days: int = 7):
        self.table_name = table_name
        self.retention_seconds = retention_days * 86400
        self._dynamodb = Client("dynamodb")

    def _call(self, method: str, **kwargs) -> dict:
        return self._dynamodb.call(method, f"table {self.table_name!r}", **kwargs)

    def _key(self, job_id: str, item: str = JOB) -> dict:
        return {"job_id": {"S": job_id}, "item": {"S": item}}

    def _expires_at(self) -> int:
        return int(time.time()) + self.retention_seconds

    def ping(self) -> None:
        """Raise StorageUnavailable unless the table answers a read."""
        self._call(
            "get_item", TableName=self.table_name, Key=self._key("0" * 32), ProjectionExpression="job_id"
        )

    # -- jobs --------------------------------------------------------------------------------

    def create(
        self, job_id: str, *, pages_total: int | None = None, size: int | None = None, source: str
    ) -> dict:
        """A new `pending` job. `pages_total` is known when the API has already opened the PDF."""
        now = now_iso()
        job = {
            "job_id": job_id,
            "item": JOB,
            "status": PENDING,
            "pages_total": pages_total,
            "pages_done": 0,
            "pages_failed": 0,
            "bytes": size,
            "source": source,
            "created_at": now,
            "updated_at": now,
            "expires_at": self._expires_at(),
        }
        self._call(
            "put_item",
            TableName=self.table_name,
            Item=to_item(job, drop_none=True),
            ConditionExpression="attribute_not_exists(job_id)",
        )
        return job

    def get(self, job_id: str) -> dict | None:
        item = self._call(
            "get_item", TableName=self.table_name, Key=self._key(job_id), ConsistentRead=True
        ).get("Item")
        return _plain(item) if item else None

    def start(self, job_id: str, pages_total: int) -> bool:
        """pending → running with its page count. Also true when it already runs with that count
        (a repeated split message resumes the fan-out); false when the job is gone or over."""
        try:
            self._call(
                "update_item",
                TableName=self.table_name,
                Key=self._key(job_id),
                UpdateExpression="SET #s = :running, pages_total = :n, updated_at = :now",
                ConditionExpression="attribute_exists(job_id) AND (#s = :pending OR "
                "(#s = :running AND pages_total = :n))",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":running": {"S": RUNNING},
                    ":pending": {"S": PENDING},
                    ":n": {"N": str(pages_total)},
                    ":now": {"S": now_iso()},
                },
            )
        except ConditionFailed:
            return False
        return True

    def finish(self, job_id: str, status: str, reason: str | None = None) -> bool:
        """running → done/failed, exactly once: true only for the call that made the change."""
        return self._end(job_id, status, reason, from_states=(RUNNING,))

    def fail(self, job_id: str, reason: str) -> bool:
        """pending or running → failed (a rejected PDF, a split that keeps failing, a stall)."""
        return self._end(job_id, FAILED, reason, from_states=(PENDING, RUNNING))

    def _end(self, job_id: str, status: str, reason: str | None, from_states: tuple) -> bool:
        values = {
            ":status": {"S": status},
            ":now": {"S": now_iso()},
            **{f":from{i}": {"S": s} for i, s in enumerate(from_states)},
        }
        update = "SET #s = :status, updated_at = :now"
        if reason:
            update += ", reason = :reason"
            values[":reason"] = {"S": reason[:1000]}
        try:
            self._call(
                "update_item",
                TableName=self.table_name,
                Key=self._key(job_id),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(job_id) AND #s IN ("
                + ", ".join(f":from{i}" for i in range(len(from_states)))
                + ")",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
            )
        except ConditionFailed:
            return False
        return True

    def delete(self, job_id: str) -> bool:
        """Delete the job and its page records; false when there was no such job."""
        keys = [self._key(job_id, item["item"]) for item in self._query(job_id, prefix=None)]
        if not any(k["item"]["S"] == JOB for k in keys):
            return False
        # The job record goes first: handlers still in flight then find no job and stop.
        self._call("delete_item", TableName=self.table_name, Key=self._key(job_id))
        pages = [k for k in keys if k["item"]["S"] != JOB]
        for start in range(0, len(pages), 25):
            requests = [{"DeleteRequest": {"Key": k}} for k in pages[start : start + 25]]
            for _ in range(5):
                unprocessed = self._call("batch_write_item", RequestItems={self.table_name: requests}).get(
                    "UnprocessedItems", {}
                )
                requests = unprocessed.get(self.table_name, [])
                if not requests:
                    break
                time.sleep(0.1)
        return True

    # -- pages -------------------------------------------------------------------------------

    def has_page(self, job_id: str, page: int) -> bool:
        return "Item" in self._call(
            "get_item",
            TableName=self.table_name,
            Key=self._key(job_id, page_item(page)),
            ConsistentRead=True,
            ProjectionExpression="job_id",
        )

    def record_page(self, job_id: str, page: int, result: dict, *, failed: bool = False) -> bool:
        """Store a page's result and count it on its job, atomically and at most once.

        True when this call recorded it; false when the page already had a result (a repeated
        message) or the job is no longer running (deleted, or already over).
        """
        record = {
            "job_id": job_id,
            "item": page_item(page),
            "page": page,
            "status": FAILED if failed else DONE,
            **result,
            "expires_at": self._expires_at(),
        }
        counter = "pages_failed" if failed else "pages_done"
        for attempt in range(6):
            try:
                return self._record(record, counter)
            except Contention:
                if attempt == 5:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def _record(self, record: dict, counter: str) -> bool:
        job_id = record["job_id"]
        try:
            self._call(
                "transact_write_items",
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": to_item(record, drop_none=True),
                            "ConditionExpression": "attribute_not_exists(job_id)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": self._key(job_id),
                            "UpdateExpression": f"ADD {counter} :one SET updated_at = :now",
                            "ConditionExpression": "#s = :running",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {
                                ":one": {"N": "1"},
                                ":running": {"S": RUNNING},
                                ":now": {"S": now_iso()},
                            },
                        }
                    },
                ],
            )
        except ConditionFailed:
            return False
        return True

    def pages(self, job_id: str) -> list[dict]:
        """Every page record of the job, in page order."""
        return sorted(self._query(job_id, prefix="page#"), key=lambda p: p["page"])

    def _query(self, job_id: str, prefix: str | None) -> list[dict]:
        kwargs = {
            "TableName": self.table_name,
            "ConsistentRead": True,
            "KeyConditionExpression": "job_id = :j",
            "ExpressionAttributeValues": {":j": {"S": job_id}},
        }
        if prefix:
            kwargs["KeyConditionExpression"] += " AND begins_with(#i, :p)"
            kwargs["ExpressionAttributeNames"] = {"#i": "item"}
            kwargs["ExpressionAttributeValues"][":p"] = {"S": prefix}
        items = []
        while True:
            result = self._call("query", **kwargs)
            items += [_plain(i) for i in result["Items"]]
            if "LastEvaluatedKey" not in result:
                return items
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]

"""A local stand-in for Lambda's SQS pollers: long-poll each queue, hand the messages to the very
handler Lambda would run, with the event Lambda would send, and delete what succeeded.

What Lambda's event source mapping does, and so does this:

- receive up to `batch_size` messages; they stay invisible for the queue's visibility timeout;
- call `handler({"Records": [...]}, context)`, each record as Lambda shapes it (`messageId`,
  `receiptHandle`, `body`, `attributes.ApproximateReceiveCount`, `eventSource: aws:sqs`, ...);
- with `ReportBatchItemFailures`, delete every message except those the handler lists in
  `batchItemFailures`; if the handler raises, delete none. What is not deleted comes back after
  the visibility timeout, and after `maxReceiveCount` deliveries SQS moves it to the
  dead-letter queue.

Used by `make serve` (workshop/stack.py), `make demo`, lesson 10 and the tests.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Route:
    """One event source mapping: a queue, the function it triggers, and its batch size."""

    name: str
    queue_url: str
    handler: Callable[[dict, object], dict]
    batch_size: int = 10
    timeout: float = 60.0  # the function's timeout, for context.get_remaining_time_in_millis()
    queue_arn: str = field(default="", repr=False)


class LocalContext:
    """The parts of Lambda's context object that handlers use."""

    def __init__(self, name: str, timeout: float):
        self.function_name = name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 1024
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def sqs_record(message: dict, queue_arn: str, region: str) -> dict:
    """An SQS message as Lambda puts it into an event's Records."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class Worker:
    """Polls each route's queue and runs its handler. `poll()` runs one batch (tests, notebooks);
    `start()`/`stop()` run every route on threads of its own until stopped (`make serve`)."""

    def __init__(self, routes: list[Route], *, wait_seconds: int = 1, sqs=None):
        self.routes = {route.name: route for route in routes}
        self.wait_seconds = wait_seconds
        self._sqs = sqs
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.handled = dict.fromkeys(self.routes, 0)  # messages handed to each handler
        self.failed = dict.fromkeys(self.routes, 0)  # ... and reported or raised as failed

    @property
    def sqs(self):
        if self._sqs is None:
            import boto3

            self._sqs = boto3.client("sqs")
        return self._sqs

    def _arn(self, route: Route) -> str:
        if not route.queue_arn:
            route.queue_arn = self.sqs.get_queue_attributes(
                QueueUrl=route.queue_url, AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"]
        return route.queue_arn

    def receive(self, name: str, wait_seconds: int = 0) -> list[dict]:
        """Receive one batch from the route's queue, as event records (nothing is handled)."""
        route = self.routes[name]
        messages = self.sqs.receive_message(
            QueueUrl=route.queue_url,
            MaxNumberOfMessages=min(route.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        arn = self._arn(route)
        return [sqs_record(m, arn, self.sqs.meta.region_name) for m in messages]

    def handle(self, name: str, records: list[dict]) -> list[str]:
        """Run the handler on these records as Lambda would; delete the ones that succeeded.
        Returns the ids of the failed ones (left for SQS to deliver again)."""
        route = self.routes[name]
        if not records:
            return []
        self.handled[name] += len(records)
        try:
            response = route.handler({"Records": records}, LocalContext(name, route.timeout))
            failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 (as on Lambda: the whole batch returns to the queue)
            log.exception("%s raised; the batch of %d returns to the queue", name, len(records))
            failed = {r["messageId"] for r in records}
        done = [r for r in records if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=route.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                    for i, r in enumerate(done[start : start + 10])
                ],
            )
        self.failed[name] += len(failed)
        return sorted(failed)

    def poll(self, name: str, wait_seconds: int = 0) -> int:
        """Receive and handle one batch; the number of messages handled."""
        records = self.receive(name, wait_seconds)
        self.handle(name, records)
        return len(records)

    def backlog(self) -> int:
        """Messages in the routes' queues, visible or in flight."""
        total = 0
        for route in self.routes.values():
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=route.queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            total += sum(int(v) for v in attributes.values())
        return total

    def run_until_idle(self, timeout: float = 60.0, wait_seconds: int = 1) -> None:
        """Poll every queue in turn until all are empty (nothing visible, nothing in flight).
        Empty twice running: moto counts a queue's visible and in-flight messages one after the
        other, so a message that turns visible in between is in neither count."""
        deadline, empty = time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            if sum(self.poll(name) for name in self.routes) == 0:
                empty = empty + 1 if self.backlog() == 0 else 0
                if empty == 2:
                    return
                time.sleep(min(wait_seconds, 0.2))
            else:
                empty = 0
        raise TimeoutError(f"the queues were not empty after {timeout:g} s ({self.backlog()} messages left)")

    # -- background threads (make serve) -----------------------------------------------------

    def _loop(self, name: str) -> None:
        while not self._stop.is_set():
            try:
                self.poll(name, self.wait_seconds)
            except Exception:  # noqa: BLE001 (local AWS restarting, a network blip: keep polling)
                log.exception("polling %s failed; retrying", name)
                self._stop.wait(1)

    def start(self, threads: dict[str, int] | None = None) -> Worker:
        for name in self.routes:
            for n in range((threads or {}).get(name, 1)):
                thread = threading.Thread(
                    target=self._loop, args=(name,), daemon=True, name=f"worker-{name}-{n}"
                )
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.wait_seconds + 30)
        self._threads.clear()

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

"""The one way into AWS: a boto3 client per service with its timeouts and retries, and calls whose
faults come back as this module's exceptions.

Every table, bucket and queue the app and the pipeline use goes through `client()` and `call()`,
so the limits and the mapping of AWS errors live here only. boto3 finds its endpoint the usual
way: AWS on Lambda, the local moto server when AWS_ENDPOINT_URL is set.
"""

from __future__ import annotations

import logging
import weakref
from decimal import Decimal
from typing import NamedTuple


class StorageUnavailable(RuntimeError):
    """AWS could not be reached, is busy, or the table/bucket/queue is missing; the message says
    which. The API answers 503; a pipeline handler lets SQS deliver the message again."""


class ConditionFailed(Exception):
    """A conditional write found the item in another state than it required (nothing written)."""


class Contention(StorageUnavailable):
    """A DynamoDB transaction collided with another on the same items (nothing written): the
    caller may try again."""


class NotFound(FileNotFoundError):
    """The S3 object does not exist."""


class Limits(NamedTuple):  # not a dataclass: see car_schema.Field
    connect: float  # seconds to open a connection
    read: float  # seconds to wait for an answer
    attempts: int  # tries in all, with standard mode's backoff (at most 1 s) between them


#: DynamoDB and S3 answer the API within its function's 10 s timeout (serverless.yml): DynamoDB
#: gives up within ~7 s (2 x (1 + 2) s + backoff), an S3 upload within ~11 s at worst, both before
#: API Gateway would answer 502 for a timed-out Lambda. Only the pipeline functions (60 s) send
#: to SQS, so it may wait longer.
LIMITS = {
    "dynamodb": Limits(connect=1, read=2, attempts=2),
    "s3": Limits(connect=1, read=4, attempts=2),
    "sqs": Limits(connect=2, read=10, attempts=3),
}
NAMES = {"dynamodb": "DynamoDB", "s3": "S3", "sqs": "SQS"}
#: Error codes that mean "the service is overloaded or failing, not your request".
BUSY = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "SlowDown",
        "InternalError",
        "503",
        "500",
    }
)
MISSING = frozenset({"ResourceNotFoundException", "NoSuchBucket", "AWS.SimpleQueueService.NonExistentQueue"})


def client(service: str):
    """A new boto3 client for `service` with its LIMITS (presigned S3 URLs use Signature v4,
    which every region accepts). boto3 costs ~0.2 s to import: callers make clients on first use."""
    import boto3
    from botocore.config import Config

    limits = LIMITS[service]
    config = Config(
        connect_timeout=limits.connect,
        read_timeout=limits.read,
        retries={"total_max_attempts": limits.attempts, "mode": "standard"},
        signature_version="s3v4" if service == "s3" else None,
    )
    return boto3.client(service, config=config)


class Client:
    """A service's client, made on first use and kept for the life of the process (or until
    drop_clients(): a SnapStart restore)."""

    def __init__(self, service: str):
        self.service = service
        self._client = None
        _CLIENTS.add(self)

    def drop(self) -> None:
        self._client = None

    def get(self):
        if self._client is None:
            self._client = client(self.service)
        return self._client

    def call(self, method: str, resource: str, **kwargs):
        """`client.<method>(**kwargs)` with call()'s error mapping; `resource` names the table,
        bucket or queue in messages."""
        return call(getattr(self.get(), method), resource, **kwargs)


_CLIENTS: weakref.WeakSet[Client] = weakref.WeakSet()


def drop_clients() -> None:
    """Forget every client made so far (and its connections); the next call makes a new one."""
    for holder in list(_CLIENTS):
        holder.drop()


def call(fn, resource: str, /, *args, **kwargs):
    """`fn(*args, **kwargs)`, a boto3 client method, with AWS's faults mapped: a failed condition
    to ConditionFailed, a transaction conflict to Contention, a missing S3 key to NotFound, and a
    missing resource, a busy or failing service or an unreachable endpoint to StorageUnavailable.
    Any other error (a bad request: our bug) is raised as boto3 raised it."""
    from botocore.exceptions import BotoCoreError, ClientError

    service = NAMES.get(fn.__self__.meta.service_model.service_name, "AWS")
    try:
        return fn(*args, **kwargs)
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed from e
        if code == "TransactionCanceledException":
            reasons = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons:
                raise ConditionFailed from e
            raise Contention(f"transaction cancelled: {reasons}") from e
        if code in ("NoSuchKey", "404", "NotFound"):
            raise NotFound(kwargs.get("Key", "")) from e
        if code in MISSING:
            raise StorageUnavailable(f"{resource} does not exist") from e
        if code in BUSY:
            raise StorageUnavailable(f"{service} is busy ({code}); try again") from e
        if e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            # A server-side fault with another code (a proxy's 502, moto's bare 500): the
            # service's fault, not the request's, so 503 rather than 500.
            raise StorageUnavailable(f"{service} failed ({code or 'no error code'}); try again") from e
        raise
    except BotoCoreError as e:
        raise StorageUnavailable(f"cannot reach {service}: {e}") from e


def to_item(values: dict, *, drop_none: bool = False) -> dict:
    """Python values as DynamoDB attribute values. Numbers go through str() to Decimal, which
    keeps the value a person typed (0.1 stays 0.1)."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {
        key: serializer.serialize(
            Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )
        for key, value in values.items()
        if not (drop_none and value is None)
    }


def from_item(item: dict) -> dict:
    """DynamoDB attribute values as Python values (numbers as Decimal)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in item.items()}


def keep_sdk_logs_quiet() -> None:
    """Stop the AWS SDK's loggers at INFO unless a level is set for them by name.

    At DEBUG botocore logs every request and response whole: the data, and on Lambda the session
    token in the headers. A root logger turned to DEBUG to debug the app must not pass those on.
    """
    for name in ("boto3", "botocore", "s3transfer", "urllib3"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)

"""Cars in DynamoDB: one item per car, keyed by `carid`.

boto3 finds its endpoint the usual way, so the same code talks to AWS on Lambda and to a local
moto server when AWS_ENDPOINT_URL is set. Connection faults surface as StorageUnavailable so the
API can answer 503 instead of hanging or crashing.
"""

import base64
import binascii
import json
import logging
import re
import uuid
from decimal import Decimal

from .car_schema import FIELDS

# \Z, not $: `$` also matches before a trailing newline, which let "<32 hex>\n" pass as an id.
CARID = re.compile(r"^[0-9a-f]{32}\Z")
STORED = (*FIELDS, "predicted_mpg", "model_id", "created_at", "updated_at")
# DynamoDB answers in milliseconds; the function has 10 s (serverless.yml). Two attempts of at
# most 1 s to connect and 2 s to read, plus standard mode's backoff before the retry (at most
# 1 s), turn a hung table into a 503 within ~7 s, before Lambda's timeout would turn it into
# API Gateway's 502. (It was 5 s reads and 3 attempts: 15 s.)
TIMEOUTS = {"connect_timeout": 1, "read_timeout": 2}
ATTEMPTS = 2


def keep_sdk_logs_quiet() -> None:
    """Stop the AWS SDK's loggers at INFO unless a level is set for them by name.

    At DEBUG botocore logs every request and response whole: the cars' data, and on Lambda the
    session token in the headers. A root logger turned to DEBUG to debug the app must not pass
    those on to CloudWatch.
    """
    for name in ("boto3", "botocore", "s3transfer", "urllib3"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


class StorageUnavailable(RuntimeError):
    """DynamoDB could not be reached or the table is missing; the message says which."""


class InvalidPageToken(ValueError):
    pass


class _ConditionFailed(Exception):
    """A conditional write found no car with that id."""


def new_carid() -> str:
    return uuid.uuid4().hex


def _to_item(car: dict) -> dict:
    # DynamoDB numbers are Decimals; str() keeps the value a person typed (0.1 stays 0.1).
    return {
        k: Decimal(str(v)) if isinstance(v, float | int) and not isinstance(v, bool) else v
        for k, v in car.items()
    }


def _from_item(item: dict) -> dict:
    car = {"carid": item["carid"]}
    for key in STORED:
        value = item.get(key)
        if isinstance(value, Decimal):
            field = FIELDS.get(key)
            value = int(value) if field is not None and field.kind is int else float(value)
        car[key] = value
    return car


def encode_token(last_key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(last_key).encode()).decode().rstrip("=")


def decode_token(token: str) -> dict:
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    # RecursionError: a token that decodes to deeply nested JSON ("[[[[..."); it was a 500.
    except (binascii.Error, ValueError, RecursionError) as e:
        raise InvalidPageToken("next_token is not a token this API issued") from e
    if not (
        isinstance(key, dict)
        and key.keys() == {"carid"}
        and isinstance(key["carid"], str)
        and CARID.match(key["carid"])
    ):
        raise InvalidPageToken("next_token is not a token this API issued")
    return key


class CarStore:
    """CRUD on the cars table. Methods raise StorageUnavailable on infrastructure faults."""

    def __init__(self, table_name: str):
        self.table_name = table_name
        self._table = None

    @property
    def table(self):
        if self._table is None:  # boto3 costs ~0.2 s to import: pay it on first use, not at import
            import boto3
            from botocore.config import Config

            config = Config(**TIMEOUTS, retries={"total_max_attempts": ATTEMPTS, "mode": "standard"})
            self._table = boto3.resource("dynamodb", config=config).Table(self.table_name)
        return self._table

    def _call(self, method: str, **kwargs) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.table, method)(**kwargs)
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise _ConditionFailed from e
            if code == "ResourceNotFoundException":
                raise StorageUnavailable(f"table {self.table_name!r} does not exist") from e
            if code in {
                "ProvisionedThroughputExceededException",
                "ThrottlingException",
                "RequestLimitExceeded",
                "InternalServerError",
                "ServiceUnavailable",
            }:
                raise StorageUnavailable(f"DynamoDB is busy ({code}); try again") from e
            if e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                # A server-side fault with a code not listed above (a proxy's 502, moto's bare
                # 500): the storage's fault, not ours, so 503 rather than 500.
                raise StorageUnavailable(f"DynamoDB failed ({code or 'no error code'}); try again") from e
            raise
        except BotoCoreError as e:
            raise StorageUnavailable(f"cannot reach DynamoDB: {e}") from e

    def put(self, car: dict) -> dict:
        self._call("put_item", Item=_to_item(car))
        return car

    def get(self, carid: str) -> dict | None:
        item = self._call("get_item", Key={"carid": carid}).get("Item")
        return _from_item(item) if item else None

    def replace(self, car: dict) -> dict | None:
        """Replace an existing car; None when there is no car with that id (nothing is written)."""
        try:
            self._call("put_item", Item=_to_item(car), ConditionExpression="attribute_exists(carid)")
        except _ConditionFailed:
            return None
        return car

    def delete(self, carid: str) -> bool:
        try:
            self._call("delete_item", Key={"carid": carid}, ConditionExpression="attribute_exists(carid)")
        except _ConditionFailed:
            return False
        return True

    def page(self, limit: int, token: str | None = None) -> tuple[list[dict], str | None]:
        """Up to `limit` cars and the token for the next page (None on the last page)."""
        kwargs = {"Limit": limit}
        if token:
            kwargs["ExclusiveStartKey"] = decode_token(token)
        result = self._call("scan", **kwargs)
        last = result.get("LastEvaluatedKey")
        return [_from_item(i) for i in result["Items"]], encode_token(last) if last else None

    def ping(self) -> None:
        """Raise StorageUnavailable unless the table answers a read."""
        self._call("get_item", Key={"carid": "0" * 32})

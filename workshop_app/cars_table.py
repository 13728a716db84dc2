"""The cars table in DynamoDB: one item per car, keyed by `carid`; faults surface as
aws.StorageUnavailable so the API answers 503 instead of hanging or crashing."""

import base64
import binascii
import json
import re
import uuid
from decimal import Decimal

from .aws import Client, ConditionFailed, from_item, to_item
from .car_schema import FIELDS

# \Z, not $: `$` also matches before a trailing newline.
CARID = re.compile(r"^[0-9a-f]{32}\Z")
STORED = (*FIELDS, "predicted_mpg", "model_id", "created_at", "updated_at")


class InvalidPageToken(ValueError):
    pass


def new_carid() -> str:
    return uuid.uuid4().hex


def _from_item(item: dict) -> dict:
    item = from_item(item)
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
    # RecursionError: a token that decodes to deeply nested JSON ("[[[[...").
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
    """CRUD on the cars table. Methods raise aws.StorageUnavailable on infrastructure faults."""

    def __init__(self, table_name: str):
        self.table_name = table_name
        self._dynamodb = Client("dynamodb")

    def _call(self, method: str, **kwargs) -> dict:
        return self._dynamodb.call(method, f"table {self.table_name!r}", TableName=self.table_name, **kwargs)

    def _key(self, carid: str) -> dict:
        return {"carid": {"S": carid}}

    def put(self, car: dict) -> dict:
        self._call("put_item", Item=to_item(car))
        return car

    def get(self, carid: str) -> dict | None:
        item = self._call("get_item", Key=self._key(carid)).get("Item")
        return _from_item(item) if item else None

    def replace(self, car: dict) -> dict | None:
        """Replace an existing car; None when there is no car with that id (nothing is written)."""
        try:
            self._call("put_item", Item=to_item(car), ConditionExpression="attribute_exists(carid)")
        except ConditionFailed:
            return None
        return car

    def delete(self, carid: str) -> bool:
        try:
            self._call("delete_item", Key=self._key(carid), ConditionExpression="attribute_exists(carid)")
        except ConditionFailed:
            return False
        return True

    def page(self, limit: int, token: str | None = None) -> tuple[list[dict], str | None]:
        """Up to `limit` cars and the token for the next page (None on the last page)."""
        kwargs = {"Limit": limit}
        if token:
            kwargs["ExclusiveStartKey"] = self._key(decode_token(token)["carid"])
        result = self._call("scan", **kwargs)
        last = result.get("LastEvaluatedKey")
        token = encode_token({"carid": last["carid"]["S"]}) if last else None
        return [_from_item(i) for i in result["Items"]], token

    def ping(self) -> None:
        """Raise StorageUnavailable unless the table answers a read."""
        self._call("get_item", Key=self._key("0" * 32))

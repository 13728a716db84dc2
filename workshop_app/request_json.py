"""Read a request body as strict JSON, or raise an ApiError that says what is wrong with it."""

import json

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import ApiError


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON (use a finite number)")


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    # Python keeps the last of duplicate keys, other parsers the first: refuse the ambiguity.
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _DuplicateKey(f"the key {key[:40]!r} appears twice in one object; send each key once")
        seen.add(key)
    return dict(pairs)


def _parse_int(digits: str) -> int:
    # int() refuses over 4300 digits with advice for Python programmers; say it for API clients.
    if len(digits) > 100:
        raise ValueError(f"an integer of {len(digits)} digits is too large")
    return int(digits)


def read_json() -> object:
    """The parsed body. 415 for a non-JSON content type, 400 for an empty or malformed body.

    Python's json module accepts NaN and Infinity; JSON does not, and neither do we. Nor do we
    take duplicate keys, or text that is not UTF-8 (a UTF-8 byte order mark is ignored, as RFC
    8259 allows; json.loads(bytes) would also guess UTF-16 and UTF-32).
    Oversized bodies are 413: Flask answers it from MAX_CONTENT_LENGTH, and we for chunked ones.
    """
    if request.mimetype != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the body as application/json (got {request.mimetype or 'none'!r})",
        )
    raw = request.get_data(cache=False)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # A chunked body (no Content-Length) is cut at the limit without an error by Werkzeug's
        # LimitedStream.readall(): refuse it as a body with a Content-Length would be.
        raise RequestEntityTooLarge()
    if not raw.strip():
        length = request.headers.get("Content-Length", "0").strip()
        if not (length.isascii() and length.isdigit()):
            # Werkzeug takes such a header as 0 and reads no body: say why it is empty.
            raise ApiError(
                400, "invalid_content_length", "the Content-Length header is not a non-negative integer"
            )
        raise ApiError(400, "invalid_json", "the request body is empty; send a JSON document")
    try:
        return json.loads(
            raw.decode("utf-8-sig"),
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            object_pairs_hook=_unique_keys,
        )
    except UnicodeDecodeError as e:
        raise ApiError(400, "invalid_json", "the request body is not UTF-8 text") from e
    except _DuplicateKey as e:
        raise ApiError(400, "invalid_json", str(e)) from e
    except RecursionError as e:
        raise ApiError(400, "invalid_json", "the JSON document is nested too deeply") from e
    except ValueError as e:  # JSONDecodeError, NaN/Infinity, integers too long to parse
        raise ApiError(400, "invalid_json", f"the request body is not valid JSON: {e}") from e

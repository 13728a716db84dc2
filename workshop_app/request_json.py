"""Read a request body as strict JSON, or raise an ApiError that says what is wrong with it."""

import json

from flask import request

from .errors import ApiError


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON (use a finite number)")


def read_json() -> object:
    """The parsed body. 415 for a non-JSON content type, 400 for an empty or malformed body.

    Python's json module accepts NaN and Infinity; JSON does not, and neither do we.
    Oversized bodies never get here: Flask answers 413 from MAX_CONTENT_LENGTH.
    """
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       f"send the body as application/json (got {request.mimetype or 'none'!r})")
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise ApiError(400, "invalid_json", "the request body is empty; send a JSON document")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except UnicodeDecodeError as e:
        raise ApiError(400, "invalid_json", "the request body is not UTF-8 text") from e
    except RecursionError as e:
        raise ApiError(400, "invalid_json", "the JSON document is nested too deeply") from e
    except ValueError as e:  # JSONDecodeError, NaN/Infinity, integers over Python's digit limit
        raise ApiError(400, "invalid_json", f"the request body is not valid JSON: {e}") from e

"""Every error leaves the API as JSON: {"error": <code>, "message": <what to fix>[, "details"]}."""

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import ClientDisconnected, HTTPException

from .artifacts import ModelUnavailable
from .aws import StorageUnavailable
from .car_schema import ValidationError
from .cars_table import InvalidPageToken

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.details = status, error, message, details


def invalid_id(name: str, value: str, made_by: str) -> ApiError:
    """400 for an id that is not 32 lowercase hexadecimal characters."""
    return ApiError(
        400,
        "invalid_id",
        f"{name} must be 32 lowercase hexadecimal characters (as returned by {made_by}); got {value[:40]!r}",
    )


def not_found(thing: str, name: str, value: str) -> ApiError:
    return ApiError(404, "not_found", f"there is no {thing} with {name} {value!r}")


def error_response(status: int, error: str, message: str, details: list[str] | None = None):
    body = {"error": error, "message": message}
    if details:
        body["details"] = details
    return jsonify(body), status


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(e: ApiError):
        return error_response(e.status, e.error, e.message, e.details)

    @app.errorhandler(ValidationError)
    def invalid_car(e: ValidationError):
        return error_response(422, "validation_error", str(e), e.problems)

    @app.errorhandler(InvalidPageToken)
    def invalid_token(e: InvalidPageToken):
        return error_response(400, "invalid_page_token", str(e))

    @app.errorhandler(ModelUnavailable)
    def model_unavailable(e: ModelUnavailable):
        log.error("model unavailable: %s", e)
        return error_response(503, "model_unavailable", str(e))

    @app.errorhandler(StorageUnavailable)
    def storage_unavailable(e: StorageUnavailable):
        log.error("storage unavailable: %s", e)
        return error_response(503, "storage_unavailable", str(e))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = (e.name or "error").lower().replace(" ", "_").replace("'", "")
        message = e.description or e.name
        # Werkzeug's own texts for these do not say what the limit or the method was.
        if e.code == 405 and e.valid_methods:
            message = (
                f"{request.method[:20]} is not allowed on this URL; it accepts {', '.join(e.valid_methods)}"
            )
        elif e.code == 413 and request.max_content_length:
            message = (
                f"the request body is larger than the {request.max_content_length:,} bytes this URL takes"
            )
        elif isinstance(e, ClientDisconnected):
            message = "the request body ended before the length its Content-Length header gave"
        response, status = error_response(e.code or 500, code, message)
        if e.code == 405 and e.valid_methods:
            response.headers["Allow"] = ", ".join(e.valid_methods)
        return response, status

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        # Log the type and traceback, never the request body: it may hold personal data.
        log.exception("unhandled %s", type(e).__name__)
        return error_response(500, "internal_error", "something went wrong on our side")

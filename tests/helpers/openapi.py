"""Check a response against the app's OpenAPI document (workshop_app.openapi.document(features)).

A documented operation must answer with a documented status, the documented content type and
a body valid under the documented schema. Undocumented routes and methods must answer 404/405
with the Error schema.
"""

import re
from functools import cache

from jsonschema import Draft202012Validator

from workshop_app.openapi import document
from workshop_app.settings import FEATURES

ERROR_REF = "#/components/schemas/Error"


@cache
def _routes(features: tuple[str, ...]) -> list[tuple[re.Pattern, dict]]:
    routes = []
    for template, item in document(features)["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        routes.append((re.compile(f"^{pattern}$"), item))
    return routes


def _validate(schema: dict, body: object, features: tuple[str, ...]) -> None:
    root = {**schema, "components": document(features)["components"]}
    errors = sorted(Draft202012Validator(root).iter_errors(body), key=str)
    assert not errors, f"response body does not match the OpenAPI schema: {errors[0].message}"


def check_response(method: str, path: str, response, features: tuple[str, ...] = FEATURES) -> None:
    """Fail unless the response is what the document of an app mounting `features` promises."""
    item = next((item for pattern, item in _routes(features) if pattern.match(path)), None)
    operation = item.get(method.lower()) if item else None
    status = response.status_code
    if operation is None:
        assert status in (404, 405), f"{method} {path} is not documented but answered {status}"
        _validate({"$ref": ERROR_REF}, response.get_json(), features)
        return
    documented = operation["responses"]
    assert str(status) in documented, (
        f"{method} {path} answered {status}; the OpenAPI document lists {sorted(documented)}"
    )
    content = documented[str(status)].get("content")
    if content is None:
        assert response.data == b"", f"{method} {path} {status} should have no body"
        return
    assert response.mimetype == "application/json", f"{method} {path} sent {response.mimetype}"
    schema = content["application/json"].get("schema")
    if schema is not None:
        _validate(schema, response.get_json(), features)

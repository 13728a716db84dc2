"""GET /openapi.json: the OpenAPI 3.1 document of the mounted features, built from car_schema so
it cannot drift from validation. The tests check every response their client gets against it
(tests/openapi_check.py), and `make fuzz` generates requests from it.
"""

from functools import cache

from flask import Blueprint, current_app, jsonify

from .car_schema import FIELDS, MAX_BATCH, car_input_schema, example_car, json_schema
from .settings import FEATURES

bp = Blueprint("openapi", __name__)

_REF = "#/components/schemas/"


def _json(schema_name: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + schema_name}}},
    }


def _errors(*codes: int) -> dict:
    meaning = {
        400: "Malformed request: not JSON, bad id, bad or repeated limit or page token.",
        404: "No such car.",
        413: "Body larger than the configured maximum.",
        415: "Content-Type is not application/json.",
        422: "JSON that does not describe a car: unknown, missing, mistyped or out-of-range fields.",
        503: "The model or the table is unavailable; the message says which.",
    }
    return {str(c): _json("Error", meaning[c]) for c in codes}


def _car_schema() -> dict:
    properties = {
        "carid": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        **{name: json_schema(f) for name, f in FIELDS.items()},
        "predicted_mpg": {"type": "number", "description": "The model's prediction."},
        "model_id": {"type": "string", "description": "First 12 hex of the model's sha256."},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


def _job_errors(*codes: int) -> dict:
    meaning = {
        400: "Bad job id, or an empty body.",
        404: "No such job.",
        409: "The job is not done (still running, or failed: the message says why).",
        413: "The PDF is larger than POST /jobs takes; use POST /jobs/uploads.",
        415: "Content-Type is not application/pdf.",
        422: "Not a PDF we can read: not a PDF, corrupt, encrypted, no pages, too many pages.",
        503: "The jobs table or the documents bucket is unavailable.",
    }
    return {str(c): _json("Error", meaning[c]) for c in codes}


def _links(parameter: str, **operations: str) -> dict:
    """OpenAPI links from a created resource to the operations on it, by operationId: the new id
    (in the response body under `parameter`) is their path parameter of that name. Clients and
    `make fuzz`'s stateful phase follow them."""
    return {
        operation: {
            "operationId": operation,
            "parameters": {parameter: f"$response.body#/{parameter}"},
            "description": description,
        }
        for operation, description in operations.items()
    }


JOB_ID_PARAM = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
}
_LOCATION = {"Location": {"schema": {"type": "string"}, "description": "The job's URL."}}


def _job_schema() -> dict:
    count = {"type": "integer", "minimum": 0}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "job_id",
            "status",
            "pages_total",
            "pages_done",
            "pages_failed",
            "created_at",
            "updated_at",
        ],
        "properties": {
            "job_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "status": {"enum": ["pending", "running", "failed", "done"]},
            "pages_total": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "null until the PDF has been opened.",
            },
            "pages_done": {**count, "description": "Pages read and classified."},
            "pages_failed": {**count, "description": "Pages that could not be read."},
            "reason": {"type": "string", "description": "Why the job failed (when it did)."},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
        "if": {"properties": {"status": {"const": "failed"}}},
        "then": {"required": ["reason"]},
    }


def _job_upload_schema() -> dict:
    schema = _job_schema()
    upload = {
        "type": "object",
        "additionalProperties": False,
        "required": ["method", "url", "headers", "expires_at", "max_bytes", "max_pages"],
        "properties": {
            "method": {"const": "PUT"},
            "url": {"type": "string", "description": "Presigned S3 URL."},
            "headers": {"type": "object", "description": "Send these with it."},
            "expires_at": {"type": "string", "format": "date-time"},
            "max_bytes": {"type": "integer"},
            "max_pages": {"type": "integer"},
        },
    }
    return {
        **schema,
        "required": [*schema["required"], "upload"],
        "properties": {**schema["properties"], "upload": upload},
    }


def _job_output_schema() -> dict:
    page = {
        "type": "object",
        "additionalProperties": False,
        "required": ["page", "label", "confidence", "method"],
        "properties": {
            "page": {"type": "integer", "minimum": 1},
            "label": {"type": "string"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "method": {"enum": ["text", "ocr"], "description": "The PDF's text layer, or OCR."},
        },
    }
    document = {
        "type": "object",
        "additionalProperties": False,
        "required": ["label", "first_page", "last_page"],
        "properties": {
            "label": {"type": "string"},
            "first_page": {"type": "integer", "minimum": 1},
            "last_page": {"type": "integer", "minimum": 1},
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["job_id", "model_id", "pages", "documents"],
        "properties": {
            "job_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "model_id": {"type": "string"},
            "pages": {"type": "array", "items": page},
            "documents": {
                "type": "array",
                "items": document,
                "description": "Consecutive pages with one label.",
            },
        },
    }


def _job_paths() -> dict:
    return {
        "/jobs": {
            "post": {
                "operationId": "createJob",
                "summary": "Upload a PDF (≤ 4 MiB) to label its pages; the job runs asynchronously",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/pdf": {
                            "schema": {"type": "string", "contentMediaType": "application/pdf"}
                        }
                    },
                },
                "responses": {
                    "202": {
                        **_json("Job", "Accepted: follow Location."),
                        "headers": _LOCATION,
                        "links": _links("job_id", getJob="Follow the job", deleteJob="Delete it"),
                    },
                    **_job_errors(400, 413, 415, 422, 503),
                },
            }
        },
        "/jobs/uploads": {
            "post": {
                "operationId": "createUpload",
                "summary": "Start a job for a large PDF: PUT it to the returned presigned S3 URL",
                "responses": {
                    "201": {
                        **_json("JobUpload", "Created: PUT the PDF to upload.url."),
                        "headers": _LOCATION,
                        "links": _links("job_id", getJob="Follow the job", deleteJob="Delete it"),
                    },
                    **_job_errors(503),
                },
            }
        },
        "/jobs/{job_id}": {
            "parameters": [JOB_ID_PARAM],
            "get": {
                "operationId": "getJob",
                "summary": "A job's status and progress",
                "responses": {
                    "200": _json("Job", "Pending, running or failed."),
                    "303": {**_json("Job", "Done: the output is at Location."), "headers": _LOCATION},
                    **_job_errors(400, 404, 503),
                },
            },
            "delete": {
                "operationId": "deleteJob",
                "summary": "Delete a job, its page records and its files",
                "responses": {"204": {"description": "Deleted."}, **_job_errors(400, 404, 503)},
            },
        },
        "/jobs/{job_id}/output": {
            "parameters": [JOB_ID_PARAM],
            "get": {
                "operationId": "getJobOutput",
                "summary": "Every page's label and the documents the pages form",
                "responses": {"200": _json("JobOutput", "The result."), **_job_errors(400, 404, 409, 503)},
            },
        },
    }


CARID_PARAM = {
    "name": "carid",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
}
CAR_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": _REF + "CarInput"}, "example": example_car()}},
}


def _feature(path: str) -> str | None:
    """The feature a path belongs to (None: every deployment has it)."""
    if path.startswith("/cars") or path == "/predict":
        return "cars"
    if path.startswith("/jobs"):
        return "jobs"
    return None


def _refs(value) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"].removeprefix(_REF)} if isinstance(value.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value))
    return set()


@cache
def document(features: tuple[str, ...] = FEATURES) -> dict:
    """The document for an app that mounts `features`: their paths, the schemas those use."""
    full = _full_document()
    paths = {path: item for path, item in full["paths"].items() if _feature(path) in (None, *features)}
    schemas = full["components"]["schemas"]
    used, todo = set(), _refs(paths)
    while todo:  # schemas referenced by the paths, and by those schemas
        name = todo.pop()
        used.add(name)
        todo |= _refs(schemas[name]) - used
    health = dict(schemas["Health"])
    if "cars" not in features:  # model_id names the car model
        health["required"] = [r for r in health["required"] if r != "model_id"]
    titles = {"cars": "car mpg API", "jobs": "SmartCat document jobs"}
    descriptions = {
        "cars": "Predicts a car's fuel economy (miles per gallon) and keeps a collection of cars with "
        "their predictions.",
        "jobs": "Labels every page of a PDF (payslip, bank statement, ...) asynchronously.",
    }
    info = {
        "title": "Serverless ML workshop: " + " + ".join(titles[f] for f in features),
        "version": full["info"]["version"],
        "description": " ".join(descriptions[f] for f in features),
    }
    return {
        **full,
        "info": info,
        "paths": paths,
        "components": {
            "schemas": {n: health if n == "Health" else s for n, s in schemas.items() if n in used}
        },
    }


def _full_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Serverless ML workshop: car mpg API",
            "version": "1.0.0",
            "description": "Predicts a car's fuel economy (miles per gallon) and keeps a "
            "collection of cars with their predictions.",
        },
        "paths": {
            "/": {
                "get": {
                    "operationId": "index",
                    "summary": "Links to the API's resources; the demo page for browsers",
                    "responses": {
                        "200": {
                            "description": "Links, or the demo page when the client prefers "
                            "text/html (Accept) to JSON.",
                            "content": {
                                "application/json": {"schema": {"$ref": _REF + "Index"}},
                                "text/html": {"schema": {"type": "string"}},
                            },
                        }
                    },
                }
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Model and storage health",
                    "responses": {
                        "200": _json("Health", "Model loaded and table reachable."),
                        "503": _json("Unhealthy", "Something is not ready."),
                    },
                }
            },
            "/predict": {
                "post": {
                    "operationId": "predict",
                    "summary": f"Predict mpg for one car (object) or a batch (array of 1-{MAX_BATCH})",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": _REF + "CarInput"},
                                        {
                                            "type": "array",
                                            "items": {"$ref": _REF + "CarInput"},
                                            "minItems": 1,
                                            "maxItems": MAX_BATCH,
                                        },
                                    ]
                                },
                                "example": example_car(),
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Prediction(s).",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": _REF + "Prediction"},
                                            {"$ref": _REF + "BatchPrediction"},
                                        ]
                                    }
                                }
                            },
                        },
                        **_errors(400, 413, 415, 422, 503),
                    },
                }
            },
            "/cars": {
                "get": {
                    "operationId": "listCars",
                    "summary": "List cars, a page at a time",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        {"name": "next_token", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {"200": _json("CarList", "A page of cars."), **_errors(400, 503)},
                },
                "post": {
                    "operationId": "createCar",
                    "summary": "Add a car; the response carries its predicted mpg",
                    "requestBody": CAR_BODY,
                    "responses": {
                        "201": {
                            **_json("Car", "Created."),
                            "headers": {
                                "Location": {
                                    "schema": {"type": "string"},
                                    "description": "The new car's URL.",
                                }
                            },
                            "links": _links(
                                "carid", getCar="Read the car", replaceCar="Replace it", deleteCar="Delete it"
                            ),
                        },
                        **_errors(400, 413, 415, 422, 503),
                    },
                },
            },
            "/cars/{carid}": {
                "parameters": [CARID_PARAM],
                "get": {
                    "operationId": "getCar",
                    "summary": "One car",
                    "responses": {"200": _json("Car", "The car."), **_errors(400, 404, 503)},
                },
                "put": {
                    "operationId": "replaceCar",
                    "summary": "Replace a car's features; predicts again",
                    "requestBody": CAR_BODY,
                    "responses": {
                        "200": _json("Car", "The replaced car."),
                        **_errors(400, 404, 413, 415, 422, 503),
                    },
                },
                "delete": {
                    "operationId": "deleteCar",
                    "summary": "Delete a car",
                    "responses": {"204": {"description": "Deleted."}, **_errors(400, 404, 503)},
                },
            },
            **_job_paths(),
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {"description": "OpenAPI 3.1.", "content": {"application/json": {}}}
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "CarInput": car_input_schema(),
                "Car": _car_schema(),
                "CarList": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["cars", "next_token"],
                    "properties": {
                        "cars": {"type": "array", "items": {"$ref": _REF + "Car"}},
                        "next_token": {
                            "type": ["string", "null"],
                            "description": "Pass as ?next_token= for the next page; null on the last.",
                        },
                    },
                },
                "Prediction": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["predicted_mpg", "model_id"],
                    "properties": {"predicted_mpg": {"type": "number"}, "model_id": {"type": "string"}},
                },
                "BatchPrediction": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["predictions", "model_id"],
                    "properties": {
                        "predictions": {"type": "array", "items": {"type": "number"}},
                        "model_id": {"type": "string"},
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status", "checks", "model_id"],
                    "properties": {
                        "status": {"const": "ok"},
                        "checks": {"type": "object"},
                        "model_id": {"type": "string"},
                    },
                },
                "Unhealthy": {
                    "type": "object",
                    "required": ["error", "message", "checks"],
                    "properties": {
                        "error": {"const": "unhealthy"},
                        "message": {"type": "string"},
                        "checks": {"type": "object"},
                    },
                },
                "Index": {
                    "type": "object",
                    "required": ["name", "links"],
                    "properties": {
                        "name": {"type": "string"},
                        "links": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
                "Job": _job_schema(),
                "JobUpload": _job_upload_schema(),
                "JobOutput": _job_output_schema(),
                "Error": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string", "description": "Machine-readable code."},
                        "message": {"type": "string", "description": "What went wrong, for a person."},
                        "details": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    """This API's OpenAPI 3.1 document."""
    return jsonify(document(tuple(current_app.config["FEATURES"].split(","))))

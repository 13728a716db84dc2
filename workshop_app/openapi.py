"""The OpenAPI 3.1 document for the API, built from car_schema so it cannot drift from validation.

tests/test_openapi.py checks real responses against it.
"""

from functools import cache

from flask import Blueprint, jsonify

from .car_schema import FIELDS, MAX_BATCH, car_input_schema, example_car, json_schema

bp = Blueprint("openapi", __name__)

_REF = "#/components/schemas/"


def _json(schema_name: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": _REF + schema_name}}}}


def _errors(*codes: int) -> dict:
    meaning = {
        400: "Malformed request: not JSON, bad id, bad limit or page token.",
        404: "No such car.",
        413: "Body larger than the configured maximum.",
        415: "Content-Type is not application/json.",
        422: "JSON that does not describe a car: unknown, missing, mistyped or out-of-range fields.",
        503: "The model or the table is unavailable; the message says which.",
    }
    return {str(c): _json("Error", meaning[c]) for c in codes}


def _car_schema() -> dict:
    properties = {"carid": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                  **{name: json_schema(f) for name, f in FIELDS.items()},
                  "predicted_mpg": {"type": "number", "description": "The model's prediction."},
                  "model_id": {"type": "string", "description": "First 12 hex of the model's sha256."},
                  "created_at": {"type": "string", "format": "date-time"},
                  "updated_at": {"type": "string", "format": "date-time"}}
    return {"type": "object", "additionalProperties": False, "required": list(properties),
            "properties": properties}


CARID_PARAM = {"name": "carid", "in": "path", "required": True,
               "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}
CAR_BODY = {"required": True,
            "content": {"application/json": {"schema": {"$ref": _REF + "CarInput"},
                                             "example": example_car()}}}


@cache
def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Serverless ML workshop: car mpg API", "version": "1.0.0",
                 "description": "Predicts a car's fuel economy (miles per gallon) and keeps a "
                                "collection of cars with their predictions."},
        "paths": {
            "/": {"get": {"operationId": "index", "summary": "Links to the API's resources",
                          "responses": {"200": _json("Index", "Links.")}}},
            "/health": {"get": {
                "operationId": "health", "summary": "Model and storage health",
                "responses": {"200": _json("Health", "Model loaded and table reachable."),
                              "503": _json("Unhealthy", "Something is not ready.")}}},
            "/predict": {"post": {
                "operationId": "predict",
                "summary": f"Predict mpg for one car (object) or a batch (array of 1-{MAX_BATCH})",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"oneOf": [
                        {"$ref": _REF + "CarInput"},
                        {"type": "array", "items": {"$ref": _REF + "CarInput"},
                         "minItems": 1, "maxItems": MAX_BATCH}]},
                    "example": example_car()}}},
                "responses": {"200": {"description": "Prediction(s).", "content": {
                    "application/json": {"schema": {"oneOf": [
                        {"$ref": _REF + "Prediction"}, {"$ref": _REF + "BatchPrediction"}]}}}},
                    **_errors(400, 413, 415, 422, 503)}}},
            "/cars": {
                "get": {"operationId": "listCars", "summary": "List cars, a page at a time",
                        "parameters": [
                            {"name": "limit", "in": "query",
                             "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                            {"name": "next_token", "in": "query", "schema": {"type": "string"}}],
                        "responses": {"200": _json("CarList", "A page of cars."),
                                      **_errors(400, 503)}},
                "post": {"operationId": "createCar",
                         "summary": "Add a car; the response carries its predicted mpg",
                         "requestBody": CAR_BODY,
                         "responses": {"201": {**_json("Car", "Created."), "headers": {
                             "Location": {"schema": {"type": "string"},
                                          "description": "The new car's URL."}}},
                             **_errors(400, 413, 415, 422, 503)}}},
            "/cars/{carid}": {
                "parameters": [CARID_PARAM],
                "get": {"operationId": "getCar", "summary": "One car",
                        "responses": {"200": _json("Car", "The car."), **_errors(400, 404, 503)}},
                "put": {"operationId": "replaceCar",
                        "summary": "Replace a car's features; predicts again",
                        "requestBody": CAR_BODY,
                        "responses": {"200": _json("Car", "The replaced car."),
                                      **_errors(400, 404, 413, 415, 422, 503)}},
                "delete": {"operationId": "deleteCar", "summary": "Delete a car",
                           "responses": {"204": {"description": "Deleted."},
                                         **_errors(400, 404, 503)}}},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3.1.",
                                                            "content": {"application/json": {}}}}}},
        },
        "components": {"schemas": {
            "CarInput": car_input_schema(),
            "Car": _car_schema(),
            "CarList": {"type": "object", "additionalProperties": False,
                        "required": ["cars", "next_token"],
                        "properties": {"cars": {"type": "array", "items": {"$ref": _REF + "Car"}},
                                       "next_token": {"type": ["string", "null"],
                                                      "description": "Pass as ?next_token= for "
                                                                     "the next page; null on the last."}}},
            "Prediction": {"type": "object", "additionalProperties": False,
                           "required": ["predicted_mpg", "model_id"],
                           "properties": {"predicted_mpg": {"type": "number"},
                                          "model_id": {"type": "string"}}},
            "BatchPrediction": {"type": "object", "additionalProperties": False,
                                "required": ["predictions", "model_id"],
                                "properties": {"predictions": {"type": "array",
                                                               "items": {"type": "number"}},
                                               "model_id": {"type": "string"}}},
            "Health": {"type": "object", "required": ["status", "checks", "model_id"],
                       "properties": {"status": {"const": "ok"},
                                      "checks": {"type": "object"},
                                      "model_id": {"type": "string"}}},
            "Unhealthy": {"type": "object", "required": ["error", "message", "checks"],
                          "properties": {"error": {"const": "unhealthy"},
                                         "message": {"type": "string"},
                                         "checks": {"type": "object"}}},
            "Index": {"type": "object", "required": ["name", "links"],
                      "properties": {"name": {"type": "string"},
                                     "links": {"type": "object",
                                               "additionalProperties": {"type": "string"}}}},
            "Error": {"type": "object", "additionalProperties": False,
                      "required": ["error", "message"],
                      "properties": {"error": {"type": "string",
                                               "description": "Machine-readable code."},
                                     "message": {"type": "string",
                                                 "description": "What went wrong, for a person."},
                                     "details": {"type": "array", "items": {"type": "string"}}}},
        }},
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())

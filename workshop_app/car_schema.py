"""The car as the API accepts it: its fields, their limits, and how a car becomes a model row.

One definition serves request validation, the OpenAPI document and the training code, so the
three cannot drift apart.
"""

import math
from typing import NamedTuple


# A NamedTuple, not a dataclass: the class is made on every cold start, and a frozen dataclass
# generates its methods with exec (~1 ms; bench/lambda_variants.py counts such milliseconds).
class Field(NamedTuple):
    name: str
    kind: type  # int, float or str
    description: str
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    example: object = None


# Limits are wider than the training data (1970-82 US/European/Japanese cars) so that people can
# ask about other cars, yet they reject values no car has (a 10-lb car, a 3000 hp engine). They
# cannot catch every unit mistake: 966 (kg) passes as pounds. The docs say which unit is meant.
FEATURES: tuple[Field, ...] = (
    Field("cylinders", int, "Number of cylinders.", 2, 16, example=4),
    Field("displacement", float, "Engine displacement in cubic inches.", 1, 1000, example=97.0),
    Field(
        "horsepower",
        float,
        "Engine power in hp; null when unknown (the model imputes it).",
        1,
        2000,
        nullable=True,
        example=88.0,
    ),
    Field("weight", float, "Weight in pounds.", 500, 10000, example=2130.0),
    Field("acceleration", float, "Seconds from 0 to 60 mph.", 1, 60, example=14.5),
    Field("year", int, "Model year.", 1900, 2100, example=1971),
    Field("origin", str, "Region of manufacture.", choices=("USA", "Europe", "Japan"), example="Japan"),
)
NAME = Field(
    "name", str, "Free-text label, e.g. make and model.", nullable=True, max_length=120, example="datsun 510"
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FIELDS = {f.name: f for f in (*FEATURES, NAME)}
MAX_BATCH = 1000


class ValidationError(ValueError):
    """A request body that does not describe a car; `problems` names each fault."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _kind_name(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


def _check(field: Field, value: object, where: str) -> tuple[object, str | None]:
    """Return (clean value, problem or None) for one field."""
    label = f"{where}{field.name}"
    if value is None:
        return (None, None) if field.nullable else (None, f"'{label}' must not be null")
    if field.kind is str:
        if not isinstance(value, str):
            return None, f"'{label}' must be a string, got {_kind_name(value)}"
        # JSON's "\ud800" escape is a lone surrogate, which no UTF-8 encodes, so no table can
        # store it.
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return None, f"'{label}' must be Unicode text (it holds a lone surrogate escape)"
        if field.choices and value not in field.choices:
            return None, f"'{label}' must be one of {', '.join(field.choices)}; got {value!r:.40}"
        if field.max_length is not None and len(value) > field.max_length:
            return None, f"'{label}' must be at most {field.max_length} characters"
        return value, None
    # bool is an int subclass in Python, but `true` is not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, int | float):
        expected = "an integer" if field.kind is int else "a number"
        return None, f"'{label}' must be {expected}, got {_kind_name(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return None, f"'{label}' must be a finite number"
    if field.kind is int and isinstance(value, float) and not value.is_integer():
        return None, f"'{label}' must be an integer, got {value:g}"
    # Compare before converting: int(1e300) is fine but float(10**400) overflows.
    if not field.minimum <= value <= field.maximum:
        shown = f"{value:.6g}" if abs(value) < 1e15 else "a huge number"
        return None, (f"'{label}' must be between {field.minimum:g} and {field.maximum:g}, got {shown}")
    return field.kind(value), None


def parse_car(body: object, where: str = "") -> dict:
    """Validate one car object and return it cleaned: every feature, plus `name` (maybe None).

    Raises ValidationError naming every problem (unknown, missing, mistyped, out of range).
    """
    if not isinstance(body, dict):
        raise ValidationError(
            [f"{where.rstrip('.') or 'body'} must be a JSON object describing a car, got {_kind_name(body)}"]
        )
    problems = [f"unknown field '{where}{key}'" for key in body if key not in FIELDS]
    problems += [f"missing field '{where}{f.name}'" for f in FEATURES if f.name not in body]
    car = {}
    for name, field in FIELDS.items():
        if name in body:
            car[name], problem = _check(field, body[name], where)
            if problem:
                problems.append(problem)
    if problems:
        raise ValidationError(problems)
    car.setdefault("name", None)
    return car


def parse_batch(body: object) -> list[dict]:
    """Validate a JSON array of 1..MAX_BATCH cars; problems are reported with their index."""
    if not isinstance(body, list) or not 1 <= len(body) <= MAX_BATCH:
        raise ValidationError([f"a batch must be an array of 1 to {MAX_BATCH} cars"])
    cars, problems = [], []
    for i, item in enumerate(body):
        try:
            cars.append(parse_car(item, where=f"[{i}]."))
        except ValidationError as e:
            problems.extend(e.problems)
    if problems:
        raise ValidationError(
            problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        )
    return cars


def to_row(car: dict) -> list:
    """The model's input row for a car, in FEATURE_NAMES order (None where unknown)."""
    return [car.get(name) for name in FEATURE_NAMES]


def json_schema(field: Field) -> dict:
    """JSON Schema (2020-12, as OpenAPI 3.1 uses) for one field."""
    base = {int: "integer", float: "number", str: "string"}[field.kind]
    schema: dict = {"type": [base, "null"] if field.nullable else base, "description": field.description}
    if field.minimum is not None:
        schema["minimum"], schema["maximum"] = field.minimum, field.maximum
    if field.choices:
        schema["enum"] = list(field.choices)
    if field.max_length is not None:
        schema["maxLength"] = field.max_length
    if field.example is not None:
        schema["examples"] = [field.example]
    return schema


def car_input_schema() -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(FEATURE_NAMES),
        "properties": {name: json_schema(f) for name, f in FIELDS.items()},
    }


def example_car() -> dict:
    return {name: f.example for name, f in FIELDS.items()}

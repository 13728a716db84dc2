"""`make demo`: start the local stack, take the API on a scripted tour, shut everything down.

Each step prints the request and the response. The tour checks every status code, so it exits
non-zero if the API misbehaves.

    python -m workshop.demo [--port 5000] [--moto-port 4566]
"""

import argparse
import json
import sys
import time
from dataclasses import dataclass
from http import HTTPStatus

import requests

from . import CARS_MODEL_DIR
from .stack import LocalStack, port_arguments

DATSUN = {"name": "datsun 510", "cylinders": 4, "displacement": 97.0, "horsepower": 88.0,
          "weight": 2130.0, "acceleration": 14.5, "year": 1971, "origin": "Japan"}
CHEVY = {"name": "chevrolet impala", "cylinders": 8, "displacement": 350.0, "horsepower": 165.0,
         "weight": 4209.0, "acceleration": 12.0, "year": 1971, "origin": "USA"}


@dataclass
class Step:
    title: str
    method: str
    path: str
    expect: int
    body: object = None


def tour() -> list[Step]:
    """The requests, in order. "{carid}" is replaced by the id the create step returned."""
    return [
        Step("Is the API healthy?", "GET", "/health", 200),
        Step("Create a car: the API stores it with the model's prediction", "POST", "/cars", 201,
             DATSUN),
        Step("Get it back", "GET", "/cars/{carid}", 200),
        Step("List the collection", "GET", "/cars?limit=5", 200),
        Step("Update it (a heavier car): the API predicts again", "PUT", "/cars/{carid}", 200,
             {**DATSUN, "weight": 2600.0}),
        Step("Predict without storing: one car", "POST", "/predict", 200, CHEVY),
        Step("Predict a batch", "POST", "/predict", 200, [DATSUN, CHEVY]),
        Step("A bad request: a typo, a string for a number and a missing field", "POST", "/cars",
             422, {"cylinder": 4, "displacement": "big", "horsepower": 88.0, "weight": 2130.0,
                   "acceleration": 14.5, "year": 1971, "origin": "Japan"}),
        Step("Delete the car", "DELETE", "/cars/{carid}", 204),
        Step("It is gone", "GET", "/cars/{carid}", 404),
    ]


def _show(value: object) -> str:
    return "\n".join("    " + line for line in json.dumps(value, indent=2).splitlines())


def run_tour(base_url: str, out=sys.stdout) -> bool:
    """Send every step to base_url, print it, and return whether every status was as expected."""
    carid, ok = None, True
    session = requests.Session()
    steps = tour()
    for n, step in enumerate(steps, 1):
        path = step.path.replace("{carid}", carid or "")
        print(f"\n── {n}/{len(steps)}  {step.title} " + "─" * max(0, 60 - len(step.title)), file=out)
        print(f"  → {step.method} {path}", file=out)
        if step.body is not None:
            print(_show(step.body), file=out)
        started = time.perf_counter()
        response = session.request(step.method, base_url + path, json=step.body, timeout=30)
        took = (time.perf_counter() - started) * 1000
        status = f"{response.status_code} {HTTPStatus(response.status_code).phrase}"
        location = response.headers.get("Location")
        print(f"  ← {status}  ({took:.0f} ms)" + (f"  Location: {location}" if location else ""),
              file=out)
        if response.content:
            print(_show(response.json()), file=out)
        if response.status_code != step.expect:
            print(f"  ✗ expected {step.expect}", file=out)
            ok = False
        if step.method == "POST" and step.path == "/cars" and response.status_code == 201:
            carid = response.json()["carid"]
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    port_arguments(parser)
    args = parser.parse_args(argv)
    if not (CARS_MODEL_DIR / "manifest.json").exists():
        from .train_cars import train

        print("no model yet: training one", flush=True)
        train()
    print(f"starting local AWS on :{args.moto_port} and the API on :{args.port} ...", flush=True)
    with LocalStack(args.port, args.moto_port, quiet=True) as stack:
        ok = run_tour(stack.url)
    print("\nlocal stack stopped. " + ("The tour went as expected." if ok else
                                        "Some responses were not what the tour expected."))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

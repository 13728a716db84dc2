"""A workshop's worth of users on the car API: mixed reads and writes, every answer checked.

Run by `make load` (bench/load.py starts the local stack and locust headless); by hand:

    locust -f bench/locustfile.py --headless -u 32 -r 32 --host http://127.0.0.1:5000

Each user keeps the cars it created, so a GET, PUT or DELETE always names a car that exists and
any other status than the expected one is an error. LOAD_REQUESTS (environment) stops the run
after that many requests; LOAD_STATS names a JSON file for the final figures.
"""

import json
import os
import random

import gevent
from locust import FastHttpUser, constant, events, task

CAR = {
    "cylinders": 4,
    "displacement": 97.0,
    "horsepower": 88.0,
    "weight": 2130.0,
    "acceleration": 14.5,
    "year": 1971,
    "origin": "Japan",
    "name": "datsun 510",
}
ORIGINS = ("USA", "Europe", "Japan")
RNG = random.Random()  # noqa: S311 (test data, not secrets)


def random_car() -> dict:
    return {
        **CAR,
        "cylinders": RNG.choice((4, 6, 8)),
        "weight": RNG.randint(1600, 5000),
        "horsepower": RNG.choice((None, RNG.randint(50, 230))),
        "year": RNG.randint(1970, 1982),
        "origin": RNG.choice(ORIGINS),
    }


class CarApiUser(FastHttpUser):
    wait_time = constant(0)  # as fast as the server answers: this measures the server

    def on_start(self):
        self.cars: list[str] = []
        self.create()

    def _expect(self, response, status: int, key: str | None = None):
        if response.status_code != status:
            response.failure(f"expected {status}, got {response.status_code}: {response.text[:200]}")
            return None
        body = response.json() if key else None
        if key and key not in body:
            response.failure(f"no {key!r} in {response.text[:200]}")
            return None
        response.success()
        return body

    @task(2)
    def create(self):
        with self.client.post("/cars", json=random_car(), name="POST /cars", catch_response=True) as r:
            body = self._expect(r, 201, "carid")
            if body:
                self.cars.append(body["carid"])

    @task(3)
    def list_cars(self):
        with self.client.get("/cars?limit=20", name="GET /cars", catch_response=True) as r:
            self._expect(r, 200, "cars")

    @task(4)
    def get_car(self):
        if not self.cars:
            return self.create()
        with self.client.get(
            f"/cars/{RNG.choice(self.cars)}", name="GET /cars/{carid}", catch_response=True
        ) as r:
            self._expect(r, 200, "predicted_mpg")

    @task(4)
    def predict(self):
        with self.client.post("/predict", json=random_car(), name="POST /predict", catch_response=True) as r:
            self._expect(r, 200, "predicted_mpg")

    @task(1)
    def update(self):
        if not self.cars:
            return self.create()
        with self.client.put(
            f"/cars/{RNG.choice(self.cars)}", json=random_car(), name="PUT /cars/{carid}", catch_response=True
        ) as r:
            self._expect(r, 200, "predicted_mpg")

    @task(1)
    def delete(self):
        if len(self.cars) < 2:  # keep one to read
            return self.create()
        carid = self.cars.pop(RNG.randrange(len(self.cars)))
        with self.client.delete(f"/cars/{carid}", name="DELETE /cars/{carid}", catch_response=True) as r:
            self._expect(r, 204)


class _StopAfter:
    """Quits the run once LOAD_REQUESTS requests have been answered (locust only knows time).
    Counts the events itself: its stats may not have counted this one yet."""

    def __init__(self):
        self.target = int(os.environ.get("LOAD_REQUESTS") or 0)
        self.answered = 0
        self.runner = None

    def on_init(self, environment, **_kwargs):
        self.runner = environment.runner

    def on_request(self, **_kwargs):
        self.answered += 1
        if self.target and self.answered == self.target and self.runner is not None:
            gevent.spawn(self.runner.quit)  # not from this user's greenlet, which quit() kills


_stop = _StopAfter()
events.init.add_listener(_stop.on_init)
events.request.add_listener(_stop.on_request)


def _figures(entry) -> dict:
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "p50_ms": entry.get_response_time_percentile(0.5),
        "p99_ms": entry.get_response_time_percentile(0.99),
        "max_ms": round(entry.max_response_time or 0, 1),
        "rps": round(entry.total_rps, 1),
    }


@events.quitting.add_listener
def _write_figures(environment, **_kwargs):
    """The final figures, once every user has stopped (locust's CSV is written on a timer)."""
    if path := os.environ.get("LOAD_STATS"):
        stats = environment.stats
        figures = {
            "total": _figures(stats.total),
            "routes": {e.name: _figures(e) for e in stats.entries.values()},
            "failures": [
                {"route": f.name, "error": str(f.error), "count": f.occurrences}
                for f in stats.errors.values()
            ],
        }
        with open(path, "w") as f:
            json.dump(figures, f)

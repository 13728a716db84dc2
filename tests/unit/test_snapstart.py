"""SnapStart's restore hooks (workshop_app/snapstart.py), run as Lambda's runtime runs them: the
model loads before the snapshot, and each restored instance gets its own random state and its
own AWS connections."""

import random

import pytest
import snapshot_restore_py as hooks

from workshop_app import aws, snapstart
from workshop_app.cars_table import CarStore


@pytest.fixture
def registry():
    hooks._before_snapshot_registry.clear()
    hooks._after_restore_registry.clear()
    yield hooks
    hooks._before_snapshot_registry.clear()
    hooks._after_restore_registry.clear()


def run_before_snapshot():
    while hooks.get_before_snapshot():  # as awslambdaric's runner: pop until empty
        function, args, kwargs = hooks.get_before_snapshot().pop()
        function(*args, **kwargs)


def run_after_restore():
    for function, args, kwargs in hooks.get_after_restore():
        function(*args, **kwargs)


def test_no_hooks_unless_lambda_initialises_for_a_snapshot(app, registry, monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    snapstart.register(app)
    assert not registry.get_before_snapshot() and not registry.get_after_restore()


def test_the_snapshot_holds_the_loaded_model_and_no_connection(app, registry, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    snapstart.register(app)
    store = CarStore("any")
    store._dynamodb.get()  # a client made during initialisation
    assert not app.extensions["car_model"].loaded
    run_before_snapshot()
    assert app.extensions["car_model"].loaded
    assert store._dynamodb._client is None  # made again, after the restore, on first use


def test_each_restored_instance_draws_its_own_random_numbers(app, registry, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    snapstart.register(app)
    run_before_snapshot()
    snapshot = random.getstate()  # what every instance restored from the snapshot starts with
    draws = []
    for _ in range(2):
        random.setstate(snapshot)
        run_after_restore()
        draws.append(random.random())
    random.setstate(snapshot)
    assert draws[0] != draws[1] != random.random()


def test_restore_drops_every_client_made_before_it(registry, monkeypatch):
    stores = [CarStore("a"), CarStore("b")]
    for store in stores:
        store._dynamodb.get()
    aws.drop_clients()
    assert all(store._dynamodb._client is None for store in stores)

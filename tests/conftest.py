"""Fixtures every tier shares (flaskr style): a freshly trained car model, a valid car, the
SmartCat document model and a small generated corpus. The servers' fixtures (moto, the app on
it) live in helpers/local_aws.py, loaded here as a plugin for the integration and e2e tiers.

    tests/unit          no server, no moto, no node, no browser: `make test-unit`
    tests/integration   a moto server, the local stack
    tests/e2e           osls (sls package), serverless-offline, Chromium; notebooks under nbval
"""

import os

import pytest
from helpers import document_model_path

from workshop.train_cars import train
from workshop_app.car_schema import example_car

pytest_plugins = ["helpers.local_aws"]


def pytest_configure(config):
    # A stray real AWS profile must never be used by the tests.
    os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A model trained by the same code as `make model`, in a temporary directory."""
    out = tmp_path_factory.mktemp("model")
    train(out)
    return out


@pytest.fixture
def car():
    """A valid request body: a 1971 Datsun 510."""
    return example_car()


@pytest.fixture(scope="session")
def document_model_dir():
    from workshop_app.smartcat.classifier import PageClassifier

    path = document_model_path()
    PageClassifier.load(str(path))  # fails the test with the reason when there is none
    return path


@pytest.fixture(scope="session")
def smartcat_corpus(tmp_path_factory):
    """A small SmartCat corpus (5 documents per class, half of them scanned, 2 bundles)."""
    from workshop.smartcat_corpus import generate

    out = tmp_path_factory.mktemp("corpus")
    generate(out, size=5, seed=11, scan_fraction=0.5, bundles=2, workers=2, progress=False)
    return out


@pytest.fixture(scope="session")
def document_model(smartcat_corpus, tmp_path_factory):
    """A page classifier trained by the code `make train-documents` runs (no OCR evaluation)."""
    from workshop.train_documents import train

    out = tmp_path_factory.mktemp("documents-model")
    result = train(smartcat_corpus, out, max_scan_pages=0, workers=1, progress=False)
    return out, result

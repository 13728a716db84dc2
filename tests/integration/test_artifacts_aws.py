"""Model artifacts read from S3 (local S3: the moto server), and the API when its model fails
verification: a clear 503, the rest of the API keeps serving, and a fixed artifact is used
without a restart."""

import shutil

import boto3
import pytest

from workshop_app import car_model
from workshop_app.car_model import ModelUnavailable, load_model
from workshop_app.smartcat.classifier import PageClassifier


@pytest.fixture
def artifact(model_dir, tmp_path):
    """A private copy of the trained car model that a test may damage."""
    return shutil.copytree(model_dir, tmp_path / "model")


def test_car_model_loads_from_s3(artifact, aws_env):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    for path in artifact.iterdir():
        s3.upload_file(str(path), "models", f"cars/v1/{path.name}")
    model = load_model("s3://models/cars/v1")
    assert model.model_id == load_model(str(artifact)).model_id
    with pytest.raises(ModelUnavailable, match="cannot read s3://models/cars/v2/manifest.json"):
        load_model("s3://models/cars/v2")


def test_classifier_loads_from_s3(document_model_dir, aws_env):
    s3 = boto3.client("s3")
    s3.create_bucket(
        Bucket="smartcat-models", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    for name in ("manifest.json", "classifier.json"):
        s3.upload_file(str(document_model_dir / name), "smartcat-models", f"documents/v1/{name}")
    classifier = PageClassifier.load("s3://smartcat-models/documents/v1")
    assert classifier.classes == PageClassifier.load(document_model_dir).classes


def test_api_with_a_tampered_model_answers_503_and_recovers(app, client, artifact, car):
    good = (artifact / "model.json").read_bytes()
    (artifact / "model.json").write_bytes(good[:-10])
    app.extensions["car_model"] = car_model.holder(str(artifact))
    for request in (lambda: client.post("/predict", json=car), lambda: client.post("/cars", json=car)):
        response = request()
        assert response.status_code == 503
        assert response.get_json()["error"] == "model_unavailable"
        assert "failed verification" in response.get_json()["message"]
    assert client.get("/health").status_code == 503
    assert client.get("/cars").status_code == 200  # what needs no model keeps working
    assert client.post("/predict", json={"bad": 1}).status_code == 422  # bad input stays 4xx
    (artifact / "model.json").write_bytes(good)  # fixed in place: no restart needed
    assert client.post("/predict", json=car).status_code == 200

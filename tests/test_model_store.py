"""Model loading: verified before unpickling, from a directory or S3, once per process; a bad
artifact is a clear 503 and the API keeps serving."""

import json
import shutil

import boto3
import pytest

from workshop_app import model_store
from workshop_app.model_store import MANIFEST, ModelHolder, ModelUnavailable, load_model


@pytest.fixture
def artifact(model_dir, tmp_path):
    """A private copy of the trained artifact that a test may damage."""
    return shutil.copytree(model_dir, tmp_path / "model")


@pytest.fixture
def no_unpickling(monkeypatch):
    """Fail the test if anything reaches joblib.load."""
    import joblib

    def refuse(*args, **kwargs):
        raise AssertionError("unverified bytes were unpickled")

    monkeypatch.setattr(joblib, "load", refuse)


def edit_manifest(directory, changes):
    path = directory / MANIFEST
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_loads_and_predicts(artifact):
    model = load_model(str(artifact))
    manifest = json.loads((artifact / MANIFEST).read_text())
    assert model.model_id == manifest["sha256"][:12]
    [mpg] = model.predict([[4, 97.0, 88.0, 2130.0, 14.5, 1971, "Japan"]])
    assert 20 < mpg < 35


def test_tampered_model_is_refused_before_unpickling(artifact, no_unpickling):
    data = bytearray((artifact / "model.joblib").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (artifact / "model.joblib").write_bytes(bytes(data))
    with pytest.raises(ModelUnavailable, match="failed verification.*refusing to load"):
        load_model(str(artifact))


def test_swapped_model_is_refused(artifact, tmp_path, no_unpickling):
    (artifact / "model.joblib").write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
    with pytest.raises(ModelUnavailable, match="does not match manifest"):
        load_model(str(artifact))


def test_pinned_digest_must_match_too(artifact, no_unpickling):
    with pytest.raises(ModelUnavailable, match="does not match MODEL_SHA256"):
        load_model(str(artifact), expected_sha256="0" * 64)


def test_pinned_digest_that_matches_loads(artifact):
    digest = json.loads((artifact / MANIFEST).read_text())["sha256"]
    assert load_model(str(artifact), expected_sha256=digest.upper()).model_id == digest[:12]


def test_missing_artifact_says_how_to_make_one(tmp_path):
    with pytest.raises(ModelUnavailable, match="make model"):
        load_model(str(tmp_path / "nothing-here"))


@pytest.mark.parametrize("manifest", ["not json", "[]", '{"sha256": "x"}'])
def test_broken_manifest(artifact, manifest, no_unpickling):
    (artifact / MANIFEST).write_text(manifest)
    with pytest.raises(ModelUnavailable, match="not a valid model manifest"):
        load_model(str(artifact))


@pytest.mark.parametrize("changes,message", [
    ({"artifact": "../../etc/passwd"}, "invalid artifact file"),
    ({"artifact": ".hidden"}, "invalid artifact file"),
    ({"format": "onnx"}, "not supported"),
    ({"features": ["weight", "year"]}, "expects features"),
    ({"versions": {"scikit-learn": "0.24.2"}}, "trained with scikit-learn 0.24.2"),
])
def test_manifest_mismatches_are_refused(artifact, changes, message, no_unpickling):
    edit_manifest(artifact, changes)
    with pytest.raises(ModelUnavailable, match=message):
        load_model(str(artifact))


def test_loads_from_s3(artifact, aws_env):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models", CreateBucketConfiguration={
        "LocationConstraint": "eu-central-1"})
    for path in artifact.iterdir():
        s3.upload_file(str(path), "models", f"cars/v1/{path.name}")
    model = load_model("s3://models/cars/v1")
    assert model.model_id == load_model(str(artifact)).model_id
    with pytest.raises(ModelUnavailable, match="cannot read s3://models/cars/v2/manifest.json"):
        load_model("s3://models/cars/v2")


def test_holder_loads_once(artifact, monkeypatch):
    calls = []
    real = model_store.load_model
    monkeypatch.setattr(model_store, "load_model", lambda *a: calls.append(a) or real(*a))
    holder = ModelHolder(str(artifact))
    assert len({id(holder.get()) for _ in range(20)}) == 1
    assert len(calls) == 1 and holder.load_attempts == 1


def test_api_with_a_tampered_model_answers_503_and_recovers(app, client, artifact, car):
    good = (artifact / "model.joblib").read_bytes()
    (artifact / "model.joblib").write_bytes(good[:-10])
    app.extensions["car_model"] = ModelHolder(str(artifact))
    for request in (lambda: client.post("/predict", json=car),
                    lambda: client.post("/cars", json=car)):
        response = request()
        assert response.status_code == 503
        assert response.get_json()["error"] == "model_unavailable"
        assert "failed verification" in response.get_json()["message"]
    assert client.get("/health").status_code == 503
    assert client.get("/cars").status_code == 200  # what needs no model keeps working
    assert client.post("/predict", json={"bad": 1}).status_code == 422  # bad input stays 4xx
    (artifact / "model.joblib").write_bytes(good)  # fixed in place: no restart needed
    assert client.post("/predict", json=car).status_code == 200

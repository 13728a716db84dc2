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


def read_manifest(directory):
    return json.loads((directory / MANIFEST).read_text())


def write_manifest(directory, manifest):
    (directory / MANIFEST).write_text(json.dumps(manifest))


def damage(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


ROW = [4, 97.0, 88.0, 2130.0, 14.5, 1971, "Japan"]


def test_loads_and_predicts(artifact):
    model = load_model(str(artifact))
    assert model.format == "portable"
    assert model.model_id == read_manifest(artifact)["files"]["portable"]["sha256"][:12]
    [mpg] = model.predict([ROW])
    assert 20 < mpg < 35


def test_both_formats_predict_the_same(artifact):
    portable, sklearn = load_model(str(artifact)), load_model(str(artifact), fmt="sklearn")
    assert portable.predict([ROW]) == sklearn.predict([ROW])
    assert portable.model_id == sklearn.model_id


@pytest.mark.parametrize("fmt,name", [("portable", "model.json"), ("sklearn", "model.joblib")])
def test_tampered_model_is_refused_before_loading(artifact, no_unpickling, fmt, name):
    damage(artifact / name)
    with pytest.raises(ModelUnavailable, match=f"{name} failed verification.*refusing to load"):
        load_model(str(artifact), fmt=fmt)


def test_swapped_pickle_is_never_unpickled(artifact, no_unpickling):
    (artifact / "model.joblib").write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
    with pytest.raises(ModelUnavailable, match="does not match manifest"):
        load_model(str(artifact), fmt="sklearn")


def test_pinned_digest_must_match_too(artifact):
    with pytest.raises(ModelUnavailable, match="does not match MODEL_SHA256"):
        load_model(str(artifact), expected_sha256="0" * 64)


def test_pinned_digest_that_matches_loads(artifact):
    digest = read_manifest(artifact)["files"]["portable"]["sha256"]
    assert load_model(str(artifact), expected_sha256=digest.upper()).model_id == digest[:12]


def test_missing_artifact_says_how_to_make_one(tmp_path):
    with pytest.raises(ModelUnavailable, match="make model"):
        load_model(str(tmp_path / "nothing-here"))


@pytest.mark.parametrize("manifest", ["not json", "[]", '{"files": {}}', '{"features": []}'])
def test_broken_manifest(artifact, manifest, no_unpickling):
    (artifact / MANIFEST).write_text(manifest)
    with pytest.raises(ModelUnavailable, match="not a valid model manifest"):
        load_model(str(artifact))


@pytest.mark.parametrize("name", ["../../etc/passwd", ".hidden", "a\\b", 7])
def test_model_file_names_are_plain(artifact, name, no_unpickling):
    manifest = read_manifest(artifact)
    manifest["files"]["sklearn"]["name"] = name
    write_manifest(artifact, manifest)
    with pytest.raises(ModelUnavailable, match="invalid model file"):
        load_model(str(artifact), fmt="sklearn")


def test_features_must_match_the_api(artifact):
    write_manifest(artifact, {**read_manifest(artifact), "features": ["weight", "year"]})
    with pytest.raises(ModelUnavailable, match="expects features"):
        load_model(str(artifact))


def test_sklearn_version_must_match(artifact, no_unpickling):
    write_manifest(artifact, {**read_manifest(artifact), "versions": {"scikit-learn": "0.24.2"}})
    with pytest.raises(ModelUnavailable, match="trained with scikit-learn 0.24.2"):
        load_model(str(artifact), fmt="sklearn")


def test_unknown_or_unlisted_format(artifact):
    with pytest.raises(ModelUnavailable, match="MODEL_FORMAT must be one of"):
        load_model(str(artifact), fmt="onnx")
    manifest = read_manifest(artifact)
    del manifest["files"]["sklearn"]
    write_manifest(artifact, manifest)
    with pytest.raises(ModelUnavailable, match="lists no 'sklearn' model"):
        load_model(str(artifact), fmt="sklearn")


def test_valid_digest_but_not_a_model(artifact):
    from workshop_app.model_store import sha256_hex

    (artifact / "model.json").write_text('{"format": "something-else"}')
    manifest = read_manifest(artifact)
    manifest["files"]["portable"]["sha256"] = sha256_hex((artifact / "model.json").read_bytes())
    write_manifest(artifact, manifest)
    with pytest.raises(ModelUnavailable, match="not a portable model"):
        load_model(str(artifact))


def test_loads_from_s3(artifact, aws_env):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
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
    good = (artifact / "model.json").read_bytes()
    (artifact / "model.json").write_bytes(good[:-10])
    app.extensions["car_model"] = ModelHolder(str(artifact))
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


def test_only_the_verifying_loader_unpickles():
    """Unpickling runs code: the one place that does it is load_model, after the hash check."""
    import re

    from workshop import ROOT

    pattern = re.compile(r"\b(pickle|joblib|cloudpickle|dill)\.loads?\(|\bpd\.read_pickle\(")
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("workshop_app", "workshop", "bench")
        for path in (ROOT / folder).rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert [hit.split(":")[0] for hit in hits] == ["workshop_app/model_store.py"], hits

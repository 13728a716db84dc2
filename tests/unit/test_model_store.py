"""The car model's artifact (workshop_app/car_model.py over artifacts.py): verified before
unpickling, loaded once per process. (From S3, and the API's 503: tests/integration/test_artifacts_aws.py.)"""

import json
import shutil

import pytest

from workshop_app import car_model
from workshop_app.car_model import MANIFEST, ModelUnavailable, load_model


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
    from workshop_app.artifacts import sha256_hex

    (artifact / "model.json").write_text('{"format": "something-else"}')
    manifest = read_manifest(artifact)
    manifest["files"]["portable"]["sha256"] = sha256_hex((artifact / "model.json").read_bytes())
    write_manifest(artifact, manifest)
    with pytest.raises(ModelUnavailable, match="not a portable model"):
        load_model(str(artifact))


def test_holder_loads_once(artifact, monkeypatch):
    calls = []
    real = car_model.load_model
    monkeypatch.setattr(car_model, "load_model", lambda *a: calls.append(a) or real(*a))
    holder = car_model.holder(str(artifact))
    assert len({id(holder.get()) for _ in range(20)}) == 1
    assert len(calls) == 1 and holder.load_attempts == 1


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
    assert [hit.split(":")[0] for hit in hits] == ["workshop_app/car_model.py"], hits

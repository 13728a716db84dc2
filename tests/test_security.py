"""Security properties as tests: nothing unpickles bytes it has not verified, and neither
secrets nor request bodies reach the logs. The deployment's side (no IAM `*` actions in the
generated template, API keys on every write route, throttling) is tested on the real template
in tests/test_serverless_template.py."""

import ast
import logging
from pathlib import Path

import pytest

from workshop import ROOT
from workshop_app import create_app
from workshop_app.car_schema import example_car

SCANNED = ("workshop_app", "workshop", "bench", "notebooks/src", "slides", "scripts")

# Calls that deserialize by running code the bytes choose (pickle and everything built on it).
UNPICKLERS = {
    "pickle.load",
    "pickle.loads",
    "pickle.Unpickler",
    "_pickle.load",
    "_pickle.loads",
    "_pickle.Unpickler",
    "joblib.load",
    "dill.load",
    "dill.loads",
    "cloudpickle.load",
    "cloudpickle.loads",
    "pandas.read_pickle",
    "marshal.load",
    "marshal.loads",
    "shelve.open",
    "torch.load",
    "skops.io.load",
    "keras.models.load_model",
}


class Calls(ast.NodeVisitor):
    """Fully qualified names of the calls in one module (imports and aliases resolved), each
    with its line and the function it is in."""

    def __init__(self):
        self.aliases: dict[str, str] = {}
        self.calls: list[tuple[str, int, str, ast.Call]] = []
        self.function = "<module>"

    def visit_Import(self, node):
        for a in node.names:
            self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]

    def visit_ImportFrom(self, node):
        module = "." * node.level + (node.module or "")
        for a in node.names:
            self.aliases[a.asname or a.name] = f"{module}.{a.name}"

    def visit_FunctionDef(self, node):
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node):
        name = dotted(node.func)
        if name:
            head, _, rest = name.partition(".")
            full = ".".join(filter(None, [self.aliases.get(head, head), rest]))
            self.calls.append((full, node.lineno, self.function, node))
        self.generic_visit(node)


def dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := dotted(node.value)):
        return f"{base}.{node.attr}"
    return None


def unpickling_calls(path: Path) -> list[tuple[str, int, str, ast.Call]]:
    calls = Calls()
    calls.visit(ast.parse(path.read_text(), str(path)))
    found = [c for c in calls.calls if c[0] in UNPICKLERS]
    found += [
        c
        for c in calls.calls
        if c[0] == "numpy.load"
        and any(
            k.arg == "allow_pickle" and not (isinstance(k.value, ast.Constant) and not k.value.value)
            for k in c[3].keywords
        )
    ]
    return found


def round_trip(call: ast.Call) -> bool:
    """pickle.loads(pickle.dumps(x)): bytes this very line made, not bytes from anywhere."""
    return (
        len(call.args) == 1
        and isinstance(call.args[0], ast.Call)
        and dotted(call.args[0].func) in {"pickle.dumps"}
    )


def test_the_scanner_finds_unpickling_however_it_is_imported(tmp_path):
    source = tmp_path / "sneaky.py"
    source.write_text(
        "import pickle as p\nfrom joblib import load as jl\nimport numpy as np\n"
        "import pandas\n"
        "def f(b):\n    p.loads(b)\n    jl(b)\n    np.load(b, allow_pickle=True)\n"
        "    np.load(b)\n    pandas.read_pickle(b)\n"
    )
    assert [(name, line) for name, line, _, _ in unpickling_calls(source)] == [
        ("pickle.loads", 6),
        ("joblib.load", 7),
        ("pandas.read_pickle", 10),
        ("numpy.load", 8),
    ]


def test_only_the_verifying_loader_unpickles_and_only_after_the_hash_check():
    found = {
        (str(path.relative_to(ROOT)), name, function): (line, call)
        for folder in SCANNED
        for path in sorted((ROOT / folder).rglob("*.py"))
        for name, line, function, call in unpickling_calls(path)
    }
    teaching_demo = {key for key, (_, call) in found.items() if round_trip(call)}
    assert set(found) - teaching_demo == {("workshop_app/model_store.py", "joblib.load", "load_model")}
    # Inside load_model, the digest comparison comes first and the unpickled bytes are the
    # hashed ones.
    tree = ast.parse((ROOT / "workshop_app/model_store.py").read_text())
    [load_model] = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "load_model"]
    calls = {dotted(n.func): n for n in ast.walk(load_model) if isinstance(n, ast.Call)}
    line, unpickle = found[("workshop_app/model_store.py", "joblib.load", "load_model")]
    assert calls["hmac.compare_digest"].lineno < line
    assert ast.unparse(calls["sha256_hex"].args[0]) == "data"
    assert ast.unparse(unpickle.args[0]) == "io.BytesIO(data)"


MARKER = "Zx9-private-marker-Qv7"
SECRET = "sk-test-0123456789-do-not-log"


@pytest.fixture
def logs(caplog):
    """Everything logged at DEBUG and above, by any logger, while the test runs."""
    caplog.set_level(logging.DEBUG)
    return caplog


def requests_with_the_marker(client, carid: str) -> None:
    key = {"x-api-key": SECRET, "Authorization": f"Bearer {SECRET}"}
    car = {**example_car(), "name": MARKER}
    assert client.post("/cars", json=car, headers=key).status_code == 201
    assert client.put(f"/cars/{carid}", json=car, headers=key).status_code == 200
    assert client.post("/predict", json=[car, car], headers=key).status_code == 200
    assert client.post("/predict", json={**car, MARKER: 1}, headers=key).status_code == 422
    assert (
        client.post(
            "/cars", data=f'{{"name": "{MARKER}",', headers=key, content_type="application/json"
        ).status_code
        == 400
    )
    assert client.get(f"/cars/{MARKER}", headers=key).status_code == 400
    assert client.get(f"/cars?next_token={MARKER}", headers=key).status_code == 400
    assert client.delete(f"/cars/{carid}", headers=key).status_code == 204


def test_no_secret_or_body_in_the_logs(client, car, logs):
    carid = client.post("/cars", json=car).get_json()["carid"]
    logs.clear()
    logging.getLogger("workshop_app.control").debug("captured")
    requests_with_the_marker(client, carid)
    assert "captured" in logs.text  # the capture takes DEBUG records from the app's loggers
    text = logs.text + "".join(str(r.args) for r in logs.records)
    assert MARKER not in text
    assert SECRET not in text


def test_the_sdk_does_not_log_requests_when_the_root_logger_is_at_debug(app, caplog):
    """botocore logs whole requests at DEBUG (found by the test above: the marker car and the
    signed headers were in the log). create_app() stops the SDK's loggers at INFO, unless a
    level was set for them by name."""
    caplog.set_level(logging.DEBUG)  # the root logger; restored after the test
    for name in ("botocore", "boto3", "urllib3"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="botocore")  # asked for by name: honoured
    create_app({"TESTING": True})
    assert logging.getLogger("botocore").isEnabledFor(logging.DEBUG)


def test_no_body_in_the_logs_when_storage_fails(model_dir, aws_env, logs):
    """The 503 path logs the fault, which must not carry the car."""
    client = create_app(
        {"TESTING": True, "CARS_TABLE": "no-such-table", "MODEL_URI": str(model_dir)}
    ).test_client()
    response = client.post("/cars", json={**example_car(), "name": MARKER}, headers={"x-api-key": SECRET})
    assert response.status_code == 503
    assert any("storage unavailable" in r.getMessage() for r in logs.records)
    assert MARKER not in logs.text and SECRET not in logs.text

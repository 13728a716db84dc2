"""Nothing unpickles bytes it has not verified: an AST scan of every Python file we ship or run
finds each call that deserializes by running code."""

import ast
from pathlib import Path

from workshop import ROOT

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
    assert set(found) - teaching_demo == {("workshop_app/car_model.py", "joblib.load", "load_model")}
    # Inside load_model, the bytes come from artifacts.read_verified first, and the unpickled
    # bytes are the ones it returned ...
    line, unpickle = found[("workshop_app/car_model.py", "joblib.load", "load_model")]
    load_model = _function(ROOT / "workshop_app/car_model.py", "load_model")
    [read] = [
        n
        for n in ast.walk(load_model)
        if isinstance(n, ast.Assign) and "read_verified" in ast.unparse(n.value)
    ]
    assert read.lineno < line and ast.unparse(read.targets[0]) == "(manifest, data)"
    assert ast.unparse(unpickle.args[0]) == "io.BytesIO(data)"
    # ... which compares their digest before it returns them.
    read_verified = _function(ROOT / "workshop_app/artifacts.py", "read_verified")
    calls = {dotted(n.func): n for n in ast.walk(read_verified) if isinstance(n, ast.Call)}
    [returned] = [n for n in ast.walk(read_verified) if isinstance(n, ast.Return)]
    assert calls["hmac.compare_digest"].lineno < returned.lineno
    assert ast.unparse(calls["sha256_hex"].args[0]) == "data"
    assert ast.unparse(returned.value) == "(manifest, data)"


def _function(path: Path, name: str) -> ast.FunctionDef:
    [function] = [
        n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef) and n.name == name
    ]
    return function

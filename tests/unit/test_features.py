"""The factory mounts what FEATURES names: the car API, SmartCat's jobs API, or both; the index,
the OpenAPI document and the demo page describe what is mounted, and serving the car API never
loads the PDF code."""

import json
import subprocess
import sys

import pytest

from workshop import ROOT
from workshop_app import create_app
from workshop_app.openapi import document


def routes(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules()}


@pytest.mark.parametrize(
    ("features", "mounted", "absent"),
    [
        ("cars", {"/cars", "/cars/<carid>", "/predict"}, {"/jobs", "/jobs/uploads"}),
        ("jobs", {"/jobs", "/jobs/uploads", "/jobs/<job_id:job_id>"}, {"/cars", "/predict"}),
        ("cars,jobs", {"/cars", "/predict", "/jobs"}, set()),
        (" jobs , cars ", {"/cars", "/jobs"}, set()),
    ],
)
def test_features_are_mounted_by_configuration(features, mounted, absent):
    app = create_app({"TESTING": True, "FEATURES": features})
    assert {"/", "/health", "/openapi.json"} | mounted <= routes(app)
    assert not absent & routes(app)


@pytest.mark.parametrize("features", ["", "cars,payments", "jobs;cars"])
def test_unknown_features_are_refused_naming_the_choices(features):
    with pytest.raises(ValueError, match="FEATURES must name one or more of cars, jobs"):
        create_app({"FEATURES": features})


def test_the_index_links_what_is_mounted():
    both = create_app({"TESTING": True}).test_client().get("/").get_json()
    assert both["links"] == {
        "health": "/health",
        "cars": "/cars",
        "predict": "/predict",
        "jobs": "/jobs",
        "openapi": "/openapi.json",
    }
    assert both["name"] == "Serverless ML workshop: car mpg API + SmartCat document jobs"
    jobs = create_app({"TESTING": True, "FEATURES": "jobs"}).test_client().get("/").get_json()
    assert jobs["links"] == {"health": "/health", "jobs": "/jobs", "openapi": "/openapi.json"}


@pytest.mark.parametrize("features", ["cars", "jobs", "cars,jobs"])
def test_the_openapi_document_describes_what_is_mounted(features):
    app = create_app({"TESTING": True, "FEATURES": features})
    served = app.test_client().get("/openapi.json").get_json()
    assert served == json.loads(json.dumps(document(tuple(features.split(",")))))
    documented = {
        path.replace("{carid}", "<carid>").replace("{job_id}", "<job_id:job_id>") for path in served["paths"]
    }
    assert documented == routes(app) - {"/static/<path:filename>"}
    referenced = json.dumps(served["paths"])
    for name in served["components"]["schemas"]:  # no schema left over from another feature
        assert f"#/components/schemas/{name}" in json.dumps(served)
    assert ("model_id" in served["components"]["schemas"]["Health"]["required"]) is ("cars" in features)
    assert ("/predict" in referenced) is ("cars" in features)


def test_a_jobs_only_demo_page_has_no_car_form():
    html = (
        create_app({"TESTING": True, "FEATURES": "jobs"})
        .test_client()
        .get("/", headers={"Accept": "text/html"})
    )
    page = html.get_data(as_text=True)
    assert 'id="job-form"' in page and 'id="car-form"' not in page and 'id="cars"' not in page


def test_serving_the_car_api_does_not_load_the_pdf_code(model_dir):
    """A fresh interpreter, as a Lambda container: /predict and /cars leave PDFium and the
    pipeline unloaded; the first /jobs upload loads them."""
    script = f"""
import json, sys
from workshop_app import create_app
client = create_app({{"TESTING": True, "MODEL_URI": {str(model_dir)!r}}}).test_client()
car = {{"cylinders": 4, "displacement": 97.0, "horsepower": 88.0, "weight": 2130.0,
        "acceleration": 14.5, "year": 1971, "origin": "Japan"}}
assert client.post("/predict", json=car).status_code == 200
assert client.get("/openapi.json").status_code == 200 and client.get("/").status_code == 200
lazy = ("pypdfium2", "workshop_app.smartcat.pdf", "workshop_app.smartcat.pipeline", "boto3")
before = sorted(m for m in lazy if m in sys.modules)
client.post("/jobs", data=b"not a pdf", content_type="application/pdf")
print(json.dumps({{"before": before, "after": "pypdfium2" in sys.modules}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert json.loads(result.stdout) == {"before": [], "after": True}

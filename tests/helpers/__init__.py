"""What tests share that is not a fixture: plain functions over the deployment and the pipeline.

helpers.openapi   check a response against the app's OpenAPI document
helpers.pdfs      realistic and hostile PDFs for SmartCat
helpers.browser   headless Chromium (Playwright) for the browser tests
helpers.local_aws the moto server and the app on it, as fixtures (loaded by tests/conftest.py)
"""

from pathlib import Path

from workshop import ROOT


def role_statements(template: dict) -> dict[str, list[dict]]:
    """The statements of each IAM role in a CloudFormation template, by the role's logical id."""
    return {
        name: [
            s
            for policy in role["Properties"].get("Policies", [])
            for s in policy["PolicyDocument"]["Statement"]
        ]
        for name, role in template["Resources"].items()
        if role["Type"] == "AWS::IAM::Role"
    }


def document_model_path() -> Path:
    """The page classifier: DOCUMENT_MODEL_URI as the app reads it, by default the one
    `make document-model` builds (models/documents)."""
    from workshop_app.settings import from_env

    return ROOT / from_env()["DOCUMENT_MODEL_URI"]


def smartcat_worker(config: dict):
    """The pipeline's handlers for these settings, behind the local worker with serverless.yml's
    batch sizes: the same code the Lambda entry points run (handlers.py only adds the lookup)."""
    from workshop.local_aws import pipeline_functions
    from workshop.worker import Route, Worker
    from workshop_app.smartcat.pipeline import Pipeline

    pipeline = Pipeline(config)
    # Lambda's signature, handler(event, context), as in smartcat/handlers.py.
    handlers = {name: _handler(getattr(pipeline, name)) for name in ("split", "page", "aggregate")}
    routes = [
        Route(name, config[f"{f['queue']}_URL"], handlers[name], f["batch_size"], f["timeout"])
        for name, f in pipeline_functions().items()
    ]
    return pipeline, Worker(routes)


def upload_presigned(post, uploads: dict[str, bytes]) -> dict[str, str]:
    """Each file sent the way large ones go: `post("/jobs/uploads")` for a presigned URL, then a
    real HTTP PUT of the bytes to local S3. Returns the job ids by name."""
    import requests

    jobs = {}
    for name, data in uploads.items():
        body = post("/jobs/uploads").get_json()
        put = requests.put(body["upload"]["url"], data=data, headers=body["upload"]["headers"], timeout=30)
        assert put.status_code == 200, (name, put.text)
        jobs[name] = body["job_id"]
    return jobs


def _handler(step):
    def handler(event: dict, context=None) -> dict:
        return step(event)

    return handler

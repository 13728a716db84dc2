"""The documentation says what the code and the deployment are: the architecture diagram names
every function, queue, table and bucket serverless.yml declares, and nothing it does not."""

import re

from workshop import ROOT
from workshop.serverless_config import read_serverless_yml

KINDS = ("AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::IAM::Role")


def diagram() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## The deployment (`serverless.yml`)", 1)[1]
    return section.split("```", 2)[1]


def test_the_architecture_diagram_matches_serverless_yml():
    config = read_serverless_yml()
    declared = {f"{name.capitalize()}LambdaFunction" for name in config["functions"]}
    declared |= {n for n, r in config["resources"]["Resources"].items() if r["Type"] in KINDS}
    named = set(re.findall(r"\(([A-Z]\w+)[,)]", diagram())) | set(
        re.findall(r"\b([A-Z]\w+Role)\)", diagram())
    )
    assert declared - named == set(), "in serverless.yml, missing from the diagram"
    assert named - declared - {"ApiGatewayRestApi"} == set(), "in the diagram, not in serverless.yml"

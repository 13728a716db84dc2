"""`make deploy-local` / `make remove-local`: the real stack into local AWS and out again.

The whole round trip runs in lesson 06 (the learner version under nbval, the solution in the
site's build) in `make test`; these tests check what
it relies on: the checks fail on a missing stack, and deploy-local says when local AWS is down."""

import os
import subprocess

from workshop import ROOT
from workshop.lambda_builds import osls_lock
from workshop.local_aws import MotoServer


def make(target, moto_port):
    with osls_lock():  # osls packages on deploy: one at a time in the project
        return subprocess.run(
            ["make", "--no-print-directory", target, f"MOTO_PORT={moto_port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        )


def test_the_checks_fail_on_what_is_missing(aws_env, capsys, monkeypatch):
    """The round trip itself (make deploy-local, then remove-local, each failing on any ✗) runs
    in lesson 06 in `make test`, learner and solution versions. Here: with no
    stack in an empty local AWS, every check says ✗ and the step fails; nothing is left over."""
    from workshop import deploy

    with MotoServer() as moto:  # not the session's: other tests leave tables in that one
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
        assert deploy.check_deployed(deploy._clients()) == 1
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 10 and all(line.lstrip().startswith("✗") for line in lines), lines
        for check in (
            "stack",
            "DynamoDB table",
            "S3 model bucket",
            "Lambda function",
            "REST API",
            "write routes need an API key",
            "SmartCat jobs table",
            "SmartCat documents bucket",
            "SmartCat queues, each with its dead-letter queue",
            "each function runs as its own role",
        ):
            assert any(line.lstrip().startswith(f"✗ {check}") for line in lines), check
        assert deploy.check_removed() == 0
        assert "✓ stack serverless-ml-workshop-dev is gone" in capsys.readouterr().out


def test_deploy_local_says_when_local_aws_is_not_running():
    with MotoServer() as moto:
        port = moto.port
    result = make("deploy-local", port)
    assert result.returncode != 0
    assert "start it first with `make local-aws`" in result.stderr

"""`make deploy-local` / `make remove-local`: the real stack into local AWS and out again."""

import os
import subprocess

from workshop import ROOT
from workshop.lambda_builds import osls_lock
from workshop.local_aws import MotoServer


def make(target, moto_port):
    with osls_lock():  # osls packages on deploy: one at a time in the project
        return subprocess.run(["make", "--no-print-directory", target, f"MOTO_PORT={moto_port}"],
                              cwd=ROOT, capture_output=True, text=True, timeout=600,
                              env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")})


def test_deploy_then_remove_leaves_nothing():
    with MotoServer() as moto:
        deployed = make("deploy-local", moto.port)
        assert deployed.returncode == 0, deployed.stdout[-4000:] + deployed.stderr[-4000:]
        for check in ("stack", "DynamoDB table", "S3 model bucket", "Lambda function",
                      "REST API", "write routes need an API key", "SmartCat jobs table",
                      "SmartCat documents bucket",
                      "SmartCat queues, each with its dead-letter queue",
                      "each function runs as its own role"):
            assert f"✓ {check}" in deployed.stdout
        assert "✗" not in deployed.stdout
        assert "model uploaded to s3://" in deployed.stdout
        removed = make("remove-local", moto.port)
        assert removed.returncode == 0, removed.stdout[-4000:] + removed.stderr[-4000:]
        assert "✗" not in removed.stdout
        for kind in ("tables", "functions", "APIs", "model buckets", "queues", "roles"):
            assert f"✓ {kind}: none left" in removed.stdout


def test_deploy_local_says_when_local_aws_is_not_running():
    with MotoServer() as moto:
        port = moto.port
    result = make("deploy-local", port)
    assert result.returncode != 0
    assert "start it first with `make local-aws`" in result.stderr

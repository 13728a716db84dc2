"""`make load`'s pipeline part in small: bench/load_jobs.py starts the local stack (moto, the API
and the real pipeline worker, as `make serve` runs them), submits 40 jobs at once from 16
clients and checks every one: done, with its PDF's page count, each page counted once and named
once in the output. Speed is measured by `make load` (bench/load.json), not asserted here beyond
a bound that a stalled or lost job would break."""

import json
import subprocess
import sys

from workshop import ROOT


def test_40_jobs_at_once_all_complete_none_lost(document_model_dir, tmp_path):
    out = tmp_path / "load.json"
    out.write_text(json.dumps({"requests": 10006, "p50_ms": 420}))  # bench/load.py's figures
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load_jobs.py"),
            "--jobs",
            "40",
            "--clients",
            "16",
            "--max-seconds",
            "60",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert (figures["requests"], figures["p50_ms"]) == (10006, 420)  # the other figures are kept
    pipeline = figures["pipeline"]
    assert (pipeline["jobs"], pipeline["submitted"], pipeline["done_exactly_right"]) == (40, 40, 40)
    assert pipeline["errors"] == [] and pipeline["error_count"] == 0
    per_document = list(pipeline["documents"].values())  # job i has document i % len
    assert pipeline["pages"] == sum(per_document[i % len(per_document)] for i in range(40))
    assert max(per_document) > 1  # multi-page jobs: pages of one job race each other
    assert 0 < pipeline["seconds"] < 60 and pipeline["jobs_per_second"] > 0

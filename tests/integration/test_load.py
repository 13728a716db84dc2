"""`make load` in small: bench/load.py starts the local stack and runs locust against it. Every
answer is checked by the locustfile, so an error count of 0 means every request got the status
and body it should. Speed is not asserted here: `make load` measures it (bench/load.json)."""

import json
import subprocess
import sys

from workshop import ROOT


def test_mixed_load_has_no_errors(model_dir, tmp_path):
    out = tmp_path / "load.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load.py"),
            "--requests",
            "500",
            "--users",
            "8",
            "--model-dir",
            str(model_dir),
            "--out",
            str(out),
            "--max-seconds",
            "120",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["errors"] == 0 and figures["failures"] == []
    assert figures["requests"] >= 500 and figures["users"] == 8
    assert set(figures["routes"]) == {
        "GET /cars",
        "POST /cars",
        "GET /cars/{carid}",
        "PUT /cars/{carid}",
        "DELETE /cars/{carid}",
        "POST /predict",
    }
    assert all(route["requests"] > 0 for route in figures["routes"].values())
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]

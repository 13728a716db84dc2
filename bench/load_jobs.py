"""`make load`, the pipeline's part: N SmartCat jobs submitted at once all complete, none lost.

Starts the local stack (moto, the Flask app and the pipeline worker, as `make serve` runs them)
on free ports, POSTs --jobs small digital PDFs to /jobs from --clients threads at once, polls
until every job is over, then checks each one: `done`, with the page count of its PDF, every
page counted once (pages_done = pages_total, none failed) and the output naming each page once,
in order. Prints the time and jobs/s and writes them under "pipeline" into bench/load.json (the
other keys, bench/load.py's, are kept). Fails (exit 1) on any job that is not exactly right.

    python bench/load_jobs.py [--jobs 200] [--clients 32] [--url http://127.0.0.1:5000]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests

from workshop import CARS_MODEL_DIR, ROOT
from workshop.local_aws import exit_on_sigterm, free_port
from workshop.stack import LocalStack

HERE = Path(__file__).parent
PDF = {"Content-Type": "application/pdf"}


def documents(kinds: int = 6) -> list[tuple[str, bytes, int]]:
    """A few generated digital documents of different types: (label, PDF, pages)."""
    import pypdfium2 as pdfium

    from workshop.paperwork import DOCUMENT_TYPES
    from workshop.smartcat_corpus import render_document

    out = []
    for number, label in enumerate(sorted(DOCUMENT_TYPES)[:kinds]):
        data = render_document(label, 1000 + number)
        document = pdfium.PdfDocument(data)
        out.append((label, data, len(document)))
        document.close()
    return out


class Jobs:
    """Submits the jobs from a pool of clients, waits for them, checks every one."""

    def __init__(self, url: str, clients: int):
        self.url, self.clients = url, clients
        self._local = threading.local()

    @property
    def http(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def submit(self, data: bytes) -> tuple[str | None, str | None]:
        """POST /jobs: (job id, None), or (None, what went wrong)."""
        try:
            response = self.http.post(f"{self.url}/jobs", data=data, headers=PDF, timeout=60)
        except requests.RequestException as e:
            return None, f"POST /jobs: {type(e).__name__}: {e}"
        if response.status_code != 202:
            return None, f"POST /jobs: {response.status_code} {response.text[:200]}"
        return response.json()["job_id"], None

    def status(self, job_id: str) -> dict:
        try:
            response = self.http.get(f"{self.url}/jobs/{job_id}", allow_redirects=False, timeout=60)
        except requests.RequestException as e:  # asked again next round
            return {"status": "unanswered", "reason": f"{type(e).__name__}: {e}"}
        if response.status_code not in (200, 303):
            return {"status": f"HTTP {response.status_code}", "reason": response.text[:200]}
        return response.json()

    def check(self, job_id: str, pages: int) -> str | None:
        """None when the job is done exactly right, else what is wrong with it."""
        job = self.status(job_id)
        if job["status"] != "done":
            return f"{job_id}: {job['status']} ({job.get('reason', '')})"
        counts = (job["pages_total"], job["pages_done"], job["pages_failed"])
        if counts != (pages, pages, 0):
            return f"{job_id}: pages total/done/failed {counts}, expected ({pages}, {pages}, 0)"
        output = self.http.get(f"{self.url}/jobs/{job_id}/output", timeout=60)
        numbers = [p["page"] for p in output.json()["pages"]] if output.ok else None
        if numbers != list(range(1, pages + 1)):
            return f"{job_id}: output {output.status_code} pages {numbers}, expected 1..{pages}"
        return None

    def run(self, uploads: list[tuple[bytes, int]], max_seconds: float) -> dict:
        with ThreadPoolExecutor(self.clients) as pool:
            started = time.monotonic()
            submitted = list(pool.map(lambda upload: self.submit(upload[0]), uploads))
            submit_seconds = time.monotonic() - started
            errors = [error for _, error in submitted if error]
            expected = {job_id: uploads[i][1] for i, (job_id, _) in enumerate(submitted) if job_id}
            pending = dict(expected)
            over: dict[str, float] = {}  # job id -> seconds from the first POST to seeing it over
            deadline = started + max_seconds
            while pending and time.monotonic() < deadline:
                time.sleep(0.5)
                for job_id, job in zip(list(pending), pool.map(self.status, list(pending)), strict=True):
                    if job["status"] in ("done", "failed") or job["status"].startswith("HTTP"):
                        over[job_id] = time.monotonic() - started
                        del pending[job_id]
            seconds = max(over.values(), default=time.monotonic() - started)
            errors += [f"{job_id}: still not over after {max_seconds:g} s" for job_id in pending]
            problems = list(pool.map(lambda job_id: self.check(job_id, expected[job_id]), over))
            errors += [problem for problem in problems if problem]
        latencies = sorted(over.values())
        return {
            "submitted": len(expected),
            "done": problems.count(None),
            "submit_seconds": round(submit_seconds, 2),
            "seconds": round(seconds, 2),
            "latency_p50_s": round(statistics.median(latencies), 2) if latencies else None,
            "latency_max_s": round(latencies[-1], 2) if latencies else None,
            "errors": errors,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--max-seconds", type=float, default=600, help="give up after this long")
    parser.add_argument(
        "--url", help="use this running API (and its worker) instead of starting the local stack"
    )
    parser.add_argument("--out", type=Path, default=HERE / "load.json")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    kinds = documents()
    uploads = [(kinds[i % len(kinds)][1], kinds[i % len(kinds)][2]) for i in range(args.jobs)]
    pages = sum(n for _, n in uploads)
    if args.url:
        result = Jobs(args.url.rstrip("/"), args.clients).run(uploads, args.max_seconds)
        server = f"the API at {args.url}"
    else:
        with LocalStack(free_port(), free_port(), model_dir=CARS_MODEL_DIR, quiet=True) as stack:
            print(
                f"{args.jobs} jobs ({pages} pages) from {args.clients} clients at once against "
                f"{stack.url} (local AWS {stack.moto.endpoint}, the local worker)",
                flush=True,
            )
            result = Jobs(stack.url, args.clients).run(uploads, args.max_seconds)
        server = (
            "the local stack: Flask's threaded development server, a moto server and the "
            "local worker (one thread per queue, workshop/stack.py)"
        )
    ok = not result["errors"] and result["done"] == args.jobs
    figures = {
        "date": datetime.now(UTC).date().isoformat(),
        "server": server,
        "machine": f"{os.cpu_count()} CPUs shared with the clients, {platform.machine()}",
        "jobs": args.jobs,
        "clients": args.clients,
        "pages": pages,
        "documents": {label: n for label, _, n in kinds},
        "submitted": result["submitted"],
        "done_exactly_right": result["done"],
        "submit_seconds": result["submit_seconds"],
        "seconds": result["seconds"],
        "jobs_per_second": round(args.jobs / result["seconds"], 2) if result["seconds"] else None,
        "pages_per_second": round(pages / result["seconds"], 2) if result["seconds"] else None,
        "job_latency_p50_s": result["latency_p50_s"],
        "job_latency_max_s": result["latency_max_s"],
        "errors": result["errors"][:50],
        "error_count": len(result["errors"]),
    }
    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    args.out.write_text(json.dumps({**existing, "pipeline": figures}, indent=2) + "\n")
    print(
        f"{args.jobs} jobs, {pages} pages: submitted in {figures['submit_seconds']} s, all over "
        f"after {figures['seconds']} s: {figures['jobs_per_second']} jobs/s, "
        f"{figures['pages_per_second']} pages/s; job latency p50 "
        f"{figures['job_latency_p50_s']} s, max {figures['job_latency_max_s']} s"
    )
    for error in result["errors"][:20]:
        print(f"  FAILED {error}")
    print("every job done, with every page counted once" if ok else f"{len(result['errors'])} problems")
    print(f"written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""`make load`: a workshop's worth of users on the local API, with locust, headless.

Starts the local stack (moto + the Flask app, as `make serve` runs them) on free ports, runs
bench/locustfile.py against it with --users concurrent users until --requests requests have been
answered, prints the figures and writes them to bench/load.json. Fails (exit 1) on any error
or when fewer requests were made than asked for.

    python bench/load.py [--requests 10000] [--users 32] [--url http://127.0.0.1:5000]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from workshop import CARS_MODEL_DIR, ROOT
from workshop.local_aws import exit_on_sigterm, free_port
from workshop.stack import LocalStack

HERE = Path(__file__).parent
LOCUSTFILE = HERE / "locustfile.py"


def run_locust(url: str, requests: int, users: int, max_seconds: int) -> dict:
    """Run locust against `url`; return its figures (total and per route) and failures."""
    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        stats = Path(tmp) / "stats.json"
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--host",
                url,
                "--run-time",
                f"{max_seconds}s",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={**os.environ, "LOAD_REQUESTS": str(requests), "LOAD_STATS": str(stats)},
            capture_output=True,
            text=True,
            timeout=max_seconds + 120,
        )
        seconds = time.monotonic() - started
        if not stats.exists():
            raise RuntimeError(f"locust wrote no figures:\n{done.stdout}{done.stderr}"[-5000:])
        result = json.loads(stats.read_text())
    return {
        **result,
        "seconds": round(seconds, 1),
        "locust_exit_code": done.returncode,
        "locust_output": done.stdout + done.stderr,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--max-seconds", type=int, default=900, help="give up after this long")
    parser.add_argument("--url", help="load this running API instead of starting the local stack")
    parser.add_argument("--model-dir", type=Path, default=CARS_MODEL_DIR)
    parser.add_argument("--out", type=Path, default=HERE / "load.json")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    if args.url:
        result = run_locust(args.url.rstrip("/"), args.requests, args.users, args.max_seconds)
        server = f"the API at {args.url}"
    else:
        with LocalStack(free_port(), free_port(), model_dir=args.model_dir, quiet=True) as stack:
            print(
                f"{args.users} users, {args.requests} requests against {stack.url} "
                f"(local AWS {stack.moto.endpoint})",
                flush=True,
            )
            result = run_locust(stack.url, args.requests, args.users, args.max_seconds)
        server = "the local stack: Flask's threaded development server (workshop/stack.py) and a moto server"
    total = result["total"]
    figures = {
        "date": datetime.now(UTC).date().isoformat(),
        "tool": "locust (bench/locustfile.py), headless",
        "server": server,
        "machine": f"{os.cpu_count()} CPUs shared with the load generator, {platform.machine()}",
        "users": args.users,
        "requests": total["requests"],
        "errors": total["failures"],
        "seconds": result["seconds"],
        "requests_per_second": total["rps"],
        "p50_ms": total["p50_ms"],
        "p99_ms": total["p99_ms"],
        "max_ms": total["max_ms"],
        "routes": result["routes"],
        "failures": result["failures"],
    }
    # bench/load_jobs.py's figures (under "pipeline") are kept.
    kept = {
        key: value
        for key, value in (json.loads(args.out.read_text()) if args.out.exists() else {}).items()
        if key == "pipeline"
    }
    args.out.write_text(json.dumps({**figures, **kept}, indent=2) + "\n")
    print(
        f"{figures['requests']} requests, {figures['users']} users, {figures['errors']} errors, "
        f"{figures['requests_per_second']} req/s, p50 {figures['p50_ms']:.0f} ms, "
        f"p99 {figures['p99_ms']:.0f} ms"
    )
    for name, route in sorted(result["routes"].items()):
        print(
            f"  {name:22s} {route['requests']:6d} requests  {route['failures']} errors  "
            f"p50 {route['p50_ms']:5.0f} ms  p99 {route['p99_ms']:5.0f} ms"
        )
    for failure in result["failures"]:
        print(f"  FAILED {failure['count']}x {failure['route']}: {failure['error']}")
    print(f"written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    ok = figures["errors"] == 0 and figures["requests"] >= args.requests
    if result["locust_exit_code"] != 0 and figures["errors"] == 0:
        print(result["locust_output"][-3000:])
        ok = False
    if figures["requests"] < args.requests:
        print(f"only {figures['requests']} requests in {args.max_seconds} s; asked for {args.requests}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

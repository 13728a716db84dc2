"""Fuzz the running API from its own OpenAPI document with schemathesis, over real HTTP.

    python -m workshop.fuzz [--requests 1000] [--seed 7]    # starts the local stack itself
    python -m workshop.fuzz --url http://127.0.0.1:5000     # an API that is already running

Schemathesis generates requests for every operation of /openapi.json (examples, coverage of
each constraint's edges, random data valid and invalid) and, in its stateful phase, sequences
that create a car or a job and follow the document's links to read, replace and delete it; it
applies every check it has: no 5xx, status, content type, headers and body as documented,
invalid data rejected, valid data accepted, a deleted item really gone (use_after_free). Its HAR
report records each request sent: this module counts them and the sequences, fails unless there
were at least `--requests` requests, `--sequences` sequences and every operation got some, and
prints a summary.
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from . import ROOT

CONFIG = Path(__file__).with_name("schemathesis.toml")
HOOKS = "workshop.fuzz_hooks"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@dataclass
class FuzzResult:
    passed: bool
    requests: int  # HTTP requests sent, counted in the HAR report
    generated: int  # test cases schemathesis says it generated
    per_operation: Counter  # "GET /cars/{carid}" -> requests
    statuses: Counter  # status code -> requests
    failures: list[dict]  # schemathesis' failure summaries (empty when passed)
    output: str  # schemathesis' own report, for a person
    scenarios: int = 0  # the stateful phase's sequences (create, then follow the links)
    links: str = ""  # "N covered / N selected / N total": the OpenAPI links it followed

    def summary(self, documented: list[str]) -> str:
        probes = sum(n for op, n in self.per_operation.items() if op not in documented)
        lines = [
            f"{self.requests} requests over {len(documented)} operations "
            f"({self.generated} test cases), "
            f"{'no failures' if self.passed else f'failures: {len(self.failures)} kind(s)'}"
        ]
        lines.append(f"  stateful: {self.scenarios} sequences following the OpenAPI links ({self.links})")
        lines += [f"  {self.per_operation[op]:6d}  {op}" for op in documented]
        lines.append(f"  {probes:6d}  undocumented methods (405 expected)")
        lines.append("  statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items())))
        return "\n".join(lines)


def operations(document: dict, include: str | None = None) -> list[tuple[str, str]]:
    """(METHOD, path template) for each operation the document describes (whose path matches
    the regular expression `include`, if given)."""
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch", "head"}
        and (include is None or re.search(include, path))
    ]


def _template(path: str, templates: list[str]) -> str:
    """The document's path template that a concrete path matches ("/cars/ab.." -> "/cars/{carid}")."""
    for template in templates:
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path):
            return template
    return path


def fetch_document(base_url: str) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/openapi.json", timeout=10) as answer:  # noqa: S310
        return json.load(answer)


def run(
    base_url: str,
    requests: int,
    seed: int = 7,
    workdir: Path | None = None,
    include: str | None = None,
    sequences: int = 0,
) -> FuzzResult:
    """Fuzz the API at `base_url`, asking schemathesis for at least `requests` requests, over
    the operations whose path matches `include` (a regular expression; default: all), and for
    about `sequences` stateful sequences (create, then follow the links) when given."""
    document = fetch_document(base_url)
    ops = operations(document, include)
    # --max-examples is per operation and per phase; the coverage and stateful phases add more.
    per_operation = max(1, math.ceil(requests / len(ops)))
    with tempfile.TemporaryDirectory(prefix="fuzz-", dir=workdir) as tmp:
        report = Path(tmp)
        # From a file, not the URL: schemathesis leaves out the operation its schema URL names,
        # and GET /openapi.json is a route like the others.
        (report / "openapi.json").write_text(json.dumps(document))
        config = report / "schemathesis.toml"  # ours, and how many stateful sequences to draw
        stateful = f"\n[phases.stateful.generation]\nmax-examples = {sequences}\n" if sequences else ""
        config.write_text(CONFIG.read_text() + stateful)
        command = [
            str(SCHEMATHESIS),
            "--no-color",
            "--config-file",
            str(config),
            "run",
            str(report / "openapi.json"),
            "--url",
            base_url,
            "--checks",
            "all",
            "--max-examples",
            str(per_operation),
            "--seed",
            str(seed),
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--report",
            "har,json",
            "--report-dir",
            str(report),
        ]
        if include:
            command += ["--include-path-regex", include]
        # cwd: schemathesis keeps a cache folder in the directory it runs in.
        done = subprocess.run(
            command,
            cwd=report,
            capture_output=True,
            text=True,
            timeout=3600,
            env={**os.environ, "SCHEMATHESIS_HOOKS": HOOKS},
        )
        har, summary = list(report.glob("har-*.json")), list(report.glob("json-*.json"))
        if not (har and summary):
            raise RuntimeError(f"schemathesis wrote no report:\n{done.stdout}{done.stderr}")
        entries = json.loads(har[0].read_text())["log"]["entries"]
        stats = json.loads(summary[0].read_text())
    templates = [path for _, path in ops]
    per_op = Counter(
        f"{e['request']['method']} {_template(urlsplit(e['request']['url']).path, templates)}"
        for e in entries
    )
    return FuzzResult(
        passed=done.returncode == 0 and not stats["failures"] and not stats["errors"],
        requests=len(entries),
        generated=stats["test_cases"]["generated"],
        per_operation=per_op,
        statuses=Counter(e["response"]["status"] for e in entries),
        failures=stats["failures"],
        output=done.stdout + done.stderr,
        scenarios=int(scenarios.group(1))
        if (scenarios := re.search(r"Scenarios:\s+(\d+)", done.stdout))
        else 0,
        links=links.group(1).strip() if (links := re.search(r"API Links:\s+(.+)", done.stdout)) else "",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=1000, help="at least this many generated requests (default 1000)"
    )
    parser.add_argument(
        "--sequences", type=int, default=300, help="at least this many stateful sequences (default 300)"
    )
    parser.add_argument("--seed", type=int, default=7, help="schemathesis' seed (default 7)")
    parser.add_argument("--url", help="fuzz this running API instead of starting the local stack")
    parser.add_argument("--include", help="only the paths matching this regular expression")
    parser.add_argument("--out", type=Path, help="also write the counts as JSON here (bench/fuzz.json)")
    args = parser.parse_args(argv)
    from .local_aws import exit_on_sigterm, free_port
    from .stack import LocalStack

    exit_on_sigterm()
    if args.url:
        url = args.url.rstrip("/")
        result = run(url, args.requests, args.seed, include=args.include, sequences=args.sequences)
        ops = operations(fetch_document(url), args.include)
        return report(result, ops, args.requests, args.sequences, args.out)
    with LocalStack(free_port(), free_port(), quiet=True) as stack:
        print(
            f"fuzzing {stack.url} (local AWS {stack.moto.endpoint}) with schemathesis, "
            f"at least {args.requests} requests, seed {args.seed}",
            flush=True,
        )
        (ROOT / ".cache").mkdir(exist_ok=True)
        result = run(stack.url, args.requests, args.seed, ROOT / ".cache", args.include, args.sequences)
        ops = operations(fetch_document(stack.url), args.include)
        return report(result, ops, args.requests, args.sequences, args.out)


def report(
    result: FuzzResult,
    ops: list[tuple[str, str]],
    requests: int,
    sequences: int = 0,
    out: Path | None = None,
) -> int:
    """Print the summary (and write it to `out` as JSON); 0 when the run passed and was as large
    as asked, else 1."""
    documented = [f"{m} {p}" for m, p in ops]
    missing = [op for op in documented if not result.per_operation[op]]
    if not result.passed:
        print(result.output)
    print(result.summary(documented))
    if result.requests < requests:
        print(f"only {result.requests} requests were made; asked for at least {requests}")
    if missing:
        print(f"operations that got no request: {missing}")
    if result.scenarios < sequences:
        print(f"only {result.scenarios} stateful sequences ran; asked for at least {sequences}")
    ok = result.passed and result.requests >= requests and not missing and result.scenarios >= sequences
    print("fuzz: passed" if ok else "fuzz: FAILED")
    if out is not None:
        document = {
            "date": time.strftime("%Y-%m-%d"),
            "tool": "schemathesis (workshop/fuzz.py) against the local stack over HTTP",
            "passed": ok,
            "requests": result.requests,
            "operations": len(documented),
            "test_cases": result.generated,
            "sequences": result.scenarios,
            "links": result.links,
            "failures": len(result.failures),
            "statuses": {str(s): n for s, n in sorted(result.statuses.items())},
            "server_errors": sum(n for s, n in result.statuses.items() if int(s) >= 500),
        }
        out.write_text(json.dumps(document, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

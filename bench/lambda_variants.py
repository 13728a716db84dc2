"""`make bench`: build the car API's Lambda artifact several ways, side by side, and measure each
the same way: size, cold start, warm latency, peak memory.

Cold start = a fresh Python 3.12 (`-I -S -B`: nothing on sys.path but the unpacked artifact, no
bytecode written, as on Lambda's read-only /var/task) imports the handler and answers a first
API Gateway event that is a prediction (POST /predict, one car), so loading the model is inside
the figure; median of --cold runs. Warm = the same event answered --warm more times in one
process (p50, p99). Results: bench/results.json and bench/results.png.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tqdm import tqdm

from workshop import EVENTS_DIR, LAMBDA_RUNNER, ROOT
from workshop.deploy import UNZIPPED_LIMIT, ZIPPED_LIMIT
from workshop.lambda_builds import (
    add_app,
    compile_bytecode,
    osls_lock,
    pip_install,
    remove_bytecode,
    slim,
    tree_size,
    unzip,
    zip_dir,
)

HERE = Path(__file__).parent
RUNNER = LAMBDA_RUNNER
EVENT = EVENTS_DIR / "rest_v1_predict.json"
LAMBDA_TXT = ROOT / "requirements" / "lambda.txt"
SKLEARN = ["scikit-learn==1.9.1", "numpy==2.5.5"]  # the versions the model was trained with

# name -> how to build it. bytecode: "pip" keeps the timestamp-based .pyc pip writes (stale once
# osls has zipped them: see lambda_builds.OSLS_ZIP_DATE), "none" has none, "checked-hash" ships
# hash-checked .pyc. Variants are zipped as osls zips.
VARIANTS = {
    "sklearn-fat": {
        "extra": SKLEARN,
        "format": "sklearn",
        "slim": False,
        "bytecode": "pip",
        "about": "scikit-learn model, full dependencies, unslimmed",
    },
    "sklearn-slim": {
        "extra": SKLEARN,
        "format": "sklearn",
        "slim": True,
        "bytecode": "none",
        "about": "the same, slim: true (no .pyc, no dist-info)",
    },
    "portable-slim": {
        "extra": [],
        "format": "portable",
        "slim": True,
        "bytecode": "none",
        "about": "pure-Python model (no numpy/sklearn), slimmed",
    },
    "portable": {
        "extra": [],
        "format": "portable",
        "slim": False,
        "bytecode": "pip",
        "about": "pure-Python model, pip's timestamp .pyc",
    },
    "portable-checked-hash": {
        "extra": [],
        "format": "portable",
        "slim": False,
        "bytecode": "checked-hash",
        "about": "pure-Python model, hash-checked .pyc",
    },
    "deployed": {
        "sls_package": True,
        "format": "portable",
        "about": "what `sls package` builds from serverless.yml (= portable-checked-hash)",
    },
}
BASELINE, DEFAULT = "sklearn-fat", "deployed"
TARGETS = {
    "cold_start_s": 0.25,
    "speedup": 8.0,
    "zip_bytes": 40e6,
    "unzipped_bytes": 120e6,
    "warm_p50_ms": 2.0,
    "warm_p99_ms": 10.0,
}


def build(name: str, spec: dict, work: Path) -> tuple[Path, int, int]:
    """Build the variant; return (unpacked directory to run, zipped bytes, unzipped bytes)."""
    if spec.get("sls_package"):
        return sls_package(work)
    target = work / name
    pip_install(["-r", str(LAMBDA_TXT), *spec["extra"]], target, cache=ROOT / ".cache" / "pip")
    files = ("manifest.json", "model.joblib" if spec["format"] == "sklearn" else "model.json")
    add_app(target, files)
    if spec["slim"]:
        slim(target, ("**/tests",))
    if spec["bytecode"] in ("none", "checked-hash"):
        remove_bytecode(target)
    if spec["bytecode"] == "checked-hash":
        compile_bytecode(target)
    zipped = zip_dir(target, work / f"{name}.zip")
    unzipped = tree_size(target)
    shutil.rmtree(target)
    run_dir = work / f"{name}-task"
    unzip(work / f"{name}.zip", run_dir)
    return run_dir, zipped, unzipped


def sls_package(work: Path) -> tuple[Path, int, int]:
    """The artifact serverless.yml deploys, built by osls as `make package` does."""
    import os

    out = work / "sls"
    venv_bin = Path(sys.executable).parent
    with osls_lock():
        subprocess.run(
            [str(ROOT / "node_modules" / ".bin" / "sls"), "package", "--stage", "dev", "--package", str(out)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"},
        )
    zipped_path = out / "serverless-ml-workshop.zip"
    run_dir = work / "deployed-task"
    unzip(zipped_path, run_dir)
    return run_dir, zipped_path.stat().st_size, tree_size(run_dir)


def probe(run_dir: Path, fmt: str, warm: int = 0) -> list[dict]:
    env = {
        "MODEL_URI": "models/cars",
        "MODEL_FORMAT": fmt,
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }
    command = [sys._base_executable, "-I", "-S", "-B", str(RUNNER), str(run_dir), str(EVENT)]
    result = subprocess.run(
        command + (["--warm", str(warm)] if warm else []),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"{run_dir.name}: {result.stderr[-2000:]}")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["response"]["statusCode"] == 200, lines[0]
    return lines


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def measure(names: list[str], cold_runs: int, warm: int) -> dict:
    variants = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        steps = tqdm(names, desc="variants", unit="variant")
        for name in steps:
            spec = VARIANTS[name]
            steps.set_postfix_str(f"{name}: build")
            run_dir, zipped, unzipped = build(name, spec, Path(tmp))
            steps.set_postfix_str(f"{name}: {cold_runs} cold starts")
            colds = [probe(run_dir, spec["format"])[0]["seconds"] for _ in range(cold_runs)]
            steps.set_postfix_str(f"{name}: {warm} warm requests")
            lines = probe(run_dir, spec["format"], warm)
            latencies = lines[1]["warm_ms"]
            variants[name] = {
                "zip_bytes": zipped,
                "unzipped_bytes": unzipped,
                "cold_start_s": round(statistics.median(colds), 4),
                "warm_p50_ms": round(percentile(latencies, 50), 3),
                "warm_p99_ms": round(percentile(latencies, 99), 3),
                "peak_rss_mb": round(lines[-1]["peak_rss_mb"], 1),
            }
    return variants


def check_targets(results: dict) -> list[tuple[str, bool, str]]:
    d, b = results["variants"][results["default"]], results["variants"].get(results["baseline"])
    rows = [
        ("cold start ≤ 0.25 s", d["cold_start_s"] <= TARGETS["cold_start_s"], f"{d['cold_start_s']:.3f} s")
    ]
    if b:
        speedup = b["cold_start_s"] / d["cold_start_s"]
        rows.append(
            ("≥ 8× faster cold start than the baseline", speedup >= TARGETS["speedup"], f"{speedup:.1f}×")
        )
    rows += [
        ("≤ 40 MB zipped", d["zip_bytes"] <= TARGETS["zip_bytes"], f"{d['zip_bytes'] / 1e6:.1f} MB"),
        (
            "≤ 120 MB unzipped",
            d["unzipped_bytes"] <= TARGETS["unzipped_bytes"],
            f"{d['unzipped_bytes'] / 1e6:.1f} MB",
        ),
        ("warm p50 ≤ 2 ms", d["warm_p50_ms"] <= TARGETS["warm_p50_ms"], f"{d['warm_p50_ms']:.2f} ms"),
        ("warm p99 ≤ 10 ms", d["warm_p99_ms"] <= TARGETS["warm_p99_ms"], f"{d['warm_p99_ms']:.2f} ms"),
    ]
    return rows


def table(results: dict) -> str:
    lines = [
        "| variant | zipped MB | unzipped MB | cold start s | warm p50 ms | warm p99 ms | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, v in results["variants"].items():
        roles = {results["baseline"]: " (baseline)", results["default"]: " (default)"}
        tag = roles.get(name, "")
        lines.append(
            f"| {name}{tag} | {v['zip_bytes'] / 1e6:.1f} | {v['unzipped_bytes'] / 1e6:.1f} | "
            f"{v['cold_start_s']:.3f} | {v['warm_p50_ms']:.2f} | {v['warm_p99_ms']:.2f} | "
            f"{v['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["variants"])
    v = results["variants"]
    fig, (size, cold) = plt.subplots(1, 2, figsize=(13, 4.5))
    x = range(len(names))
    size.bar([i - 0.2 for i in x], [v[n]["zip_bytes"] / 1e6 for n in names], 0.4, label="zipped")
    size.bar([i + 0.2 for i in x], [v[n]["unzipped_bytes"] / 1e6 for n in names], 0.4, label="unzipped")
    size.axhline(ZIPPED_LIMIT / 1e6, color="C0", ls="--", lw=1, label="50 MB zip (direct upload)")
    size.axhline(UNZIPPED_LIMIT / 1e6, color="C1", ls="--", lw=1, label="262 MB unzipped")
    size.set(ylabel="MB", title="Artifact size")
    size.legend(fontsize=8)
    colours = ["C3" if n.startswith("sklearn") else "C2" for n in names]
    cold.bar(list(x), [v[n]["cold_start_s"] for n in names], color=colours)
    for i, n in enumerate(names):
        cold.text(
            i, v[n]["cold_start_s"], f"{v[n]['cold_start_s']:.2f} s", ha="center", va="bottom", fontsize=8
        )
    cold.set(
        ylabel="seconds (log scale)", yscale="log", title="Cold start: import + first POST /predict (median)"
    )
    cold.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    cold.yaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    for axis in (size, cold):
        axis.set_xticks(list(x), names, rotation=20, ha="right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=7, help="cold starts per variant (median)")
    parser.add_argument("--warm", type=int, default=2000, help="warm requests per variant")
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    results = {
        "baseline": BASELINE,
        "default": DEFAULT,
        "variants": measure(args.variants, args.cold, args.warm),
    }
    if DEFAULT not in results["variants"]:
        results["default"] = args.variants[-1]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, args.out / "results.png")
    print("\n" + table(results) + "\n")
    rows = check_targets(results)
    for label, ok, value in rows:
        print(f"  {'✓' if ok else '✗'} {results['default']}: {label} ({value})")
    print(f"\nwrote {args.out / 'results.json'} and {args.out / 'results.png'}")
    return 0 if all(ok for _, ok, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

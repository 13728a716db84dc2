"""`make bench`: build the car API's Lambda artifact several ways, side by side, and measure each
the same way: size, cold start, warm latency, peak memory; and every function's artifact size.

Cold start = a fresh Python 3.12 (`-I -S -B`: nothing on sys.path but the unpacked artifact, no
bytecode written, as on Lambda's read-only /var/task) imports the handler and answers a first
API Gateway event that is a prediction (POST /predict, one car), so loading the model is inside
the figure; median of --cold runs. `cold_start_s` is what the runner measures from its first line
to the answer (importing the handler and answering); `process_s` is the whole process, from
exec to the answer, interpreter start included. Warm = the same event answered --warm more
times in one process (p50, p99).

Two reference rows, measured in the same run, bound the design from below: `bare-interpreter` (a
handler that imports nothing and returns a constant) and `flask-floor` (a minimal Flask app
behind serverless-wsgi that returns a constant, from the same packages as the API). Results:
bench/results.json and bench/results.png.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from workshop import EVENTS_DIR, LAMBDA_RUNNER, ROOT
from workshop.deploy import UNZIPPED_LIMIT, ZIPPED_LIMIT, package_sizes
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
from workshop.serverless_config import read_serverless_yml

HERE = Path(__file__).parent
RUNNER = LAMBDA_RUNNER
EVENT = EVENTS_DIR / "rest_v1_predict.json"
LAMBDA_TXT = ROOT / "requirements" / "lambda.txt"
#: What the API function ships (deployment/functions/api.yml), with lambda.txt's pins.
API_REQUIREMENTS = read_serverless_yml()["functions"]["api"]["requirements"]
SKLEARN = ["scikit-learn==1.9.1", "numpy==2.5.5"]  # the versions the model was trained with
FLOOR_APP = """from flask import Flask

app = Flask(__name__)


@app.post("/predict")
def predict():
    return {"predicted_mpg": 27.0, "model_id": "floor"}
"""
BARE_HANDLER = """def handler(event, context):
    return {"statusCode": 200, "headers": {}, "body": "{}"}
"""

# name -> how to build it. bytecode: "pip" keeps the timestamp-based .pyc pip writes (stale once
# osls has zipped them: see lambda_builds.OSLS_ZIP_DATE), "none" has none, "checked-hash" ships
# hash-checked .pyc. Variants are zipped as osls zips.
VARIANTS = {
    "bare-interpreter": {
        "reference": "bare",
        "format": "portable",
        "about": "reference: a handler that imports nothing and returns a constant",
    },
    "flask-floor": {
        "reference": "flask",
        "format": "portable",
        "about": "reference: a minimal Flask + serverless-wsgi app returning a constant",
    },
    "sklearn-fat": {
        "extra": SKLEARN,
        "format": "sklearn",
        "slim": False,
        "bytecode": "pip",
        "about": "scikit-learn model, full dependencies, unslimmed",
    },
    "sklearn-fat-valid-bytecode": {
        "extra": SKLEARN,
        "format": "sklearn",
        "slim": False,
        "bytecode": "checked-hash",
        "about": "the same with valid (hash-checked) bytecode",
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
        "about": "what `sls package` builds for the api function (= portable-checked-hash)",
    },
}
BASELINE, DEFAULT, FLOOR = "sklearn-fat", "deployed", "flask-floor"
TARGETS = {
    "cold_start_s": 0.25,
    "floor_ratio": 1.15,
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
    if spec.get("reference") == "bare":
        target.mkdir()
        (target / "bare_handler.py").write_text(BARE_HANDLER)
        compile_bytecode(target)
    else:
        requirements = ["-c", str(LAMBDA_TXT), *API_REQUIREMENTS, *spec.get("extra", [])]
        pip_install(requirements, target, cache=ROOT / ".cache" / "pip")
    if spec.get("reference") == "flask":
        add_app(target, app=("floor_app", FLOOR_APP))
        compile_bytecode(target)
    if spec.get("reference"):
        zipped = zip_dir(target, work / f"{name}.zip")
        unzipped = tree_size(target)
        run_dir = work / f"{name}-task"
        unzip(work / f"{name}.zip", run_dir)
        return run_dir, zipped, unzipped
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
    FUNCTIONS.update(function_sizes(out))
    zipped_path = out / "api.zip"
    run_dir = work / "deployed-task"
    unzip(zipped_path, run_dir)
    return run_dir, zipped_path.stat().st_size, tree_size(run_dir)


FUNCTIONS: dict[str, dict] = {}  # every function's artifact, from the sls package run


def function_sizes(directory: Path) -> dict[str, dict]:
    sizes = {}
    for path in sorted(directory.glob("*.zip")):
        zipped, unzipped, per_top = package_sizes(path)
        largest = sorted(per_top.items(), key=lambda kv: -kv[1])[:4]
        sizes[path.stem] = {"zip_bytes": zipped, "unzipped_bytes": unzipped, "largest": dict(largest)}
    return sizes


def runner_command(run_dir: Path, spec: dict) -> list[str]:
    command = [sys._base_executable, "-I", "-S", "-B", str(RUNNER), str(run_dir), str(EVENT)]
    if spec.get("reference") == "bare":
        command += ["--handler", "bare_handler.handler"]
    return command


def probe(run_dir: Path, spec: dict, warm: int = 0) -> tuple[list[dict], float]:
    """The runner's JSON lines, and the whole process's seconds to the first answer."""
    env = {
        "MODEL_URI": "models/cars",
        "MODEL_FORMAT": spec["format"],
        "FEATURES": "cars",
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        runner_command(run_dir, spec) + (["--warm", str(warm)] if warm else []),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = process.stdout.readline()
    answered = time.perf_counter() - started
    rest, errors = process.communicate(timeout=600)
    if process.returncode:
        raise RuntimeError(f"{run_dir.name}: {errors[-2000:]}")
    lines = [json.loads(line) for line in (first + rest).splitlines()]
    assert lines[0]["response"]["statusCode"] == 200, lines[0]
    return lines, answered


def import_times(run_dir: Path, spec: dict, top: int = 12) -> list[dict]:
    """`python -X importtime` of the first answer: the modules that took longest, with their
    own time and their cumulative time in ms."""
    result = subprocess.run(
        [sys._base_executable, "-X", "importtime", *runner_command(run_dir, spec)[1:]],
        env={
            "MODEL_URI": "models/cars",
            "FEATURES": "cars",
            "LANG": "C.UTF-8",
            "AWS_DEFAULT_REGION": "eu-central-1",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        rows.append(
            {"module": name.strip(), "self_ms": int(own) / 1000, "cumulative_ms": int(cumulative) / 1000}
        )
    return sorted(rows, key=lambda r: -r["self_ms"])[:top]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def measure(names: list[str], cold_runs: int, warm: int) -> dict:
    """Build every variant, then start each cold in turn, round after round (after one start
    each that is not counted: it reads the files into the page cache), so that whatever else
    the machine does weighs on all variants alike; then the warm requests."""
    variants, built = {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name in tqdm(names, desc="building", unit="variant"):
            built[name] = build(name, VARIANTS[name], Path(tmp))
        colds = {name: [] for name in names}
        processes = {name: [] for name in names}
        for round_ in tqdm(range(cold_runs + 1), desc="cold starts", unit="round"):
            for name in names:
                lines, answered = probe(built[name][0], VARIANTS[name])
                if round_:
                    colds[name].append(lines[0]["seconds"])
                    processes[name].append(answered)
        for name in tqdm(names, desc="warm requests", unit="variant"):
            run_dir, zipped, unzipped = built[name]
            lines, _ = probe(run_dir, VARIANTS[name], warm)
            latencies = lines[1]["warm_ms"]
            variants[name] = {
                "about": VARIANTS[name]["about"],
                "zip_bytes": zipped,
                "unzipped_bytes": unzipped,
                "cold_start_s": round(statistics.median(colds[name]), 4),
                "process_s": round(statistics.median(processes[name]), 4),
                "warm_p50_ms": round(percentile(latencies, 50), 3),
                "warm_p99_ms": round(percentile(latencies, 99), 3),
                "peak_rss_mb": round(lines[-1]["peak_rss_mb"], 1),
            }
            if name == DEFAULT:
                IMPORT_TIMES[:] = import_times(run_dir, VARIANTS[name])
    return variants


IMPORT_TIMES: list[dict] = []  # the default's slowest imports


def ratios(variants: dict) -> dict:
    """How many times the floor, and how many times faster than the fat baseline, the default is
    (on both measures), in this run."""
    found = {}
    default = variants.get(DEFAULT)
    if not default:
        return found
    for measure in ("cold_start_s", "process_s"):
        if FLOOR in variants:
            found[f"default_over_floor_{measure}"] = round(default[measure] / variants[FLOOR][measure], 3)
        for baseline in ("sklearn-fat", "sklearn-fat-valid-bytecode"):
            if baseline in variants:
                found[f"{baseline}_over_default_{measure}"] = round(
                    variants[baseline][measure] / default[measure], 2
                )
    return found


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
    for measure in ("cold_start_s", "process_s"):
        ratio = results["ratios"].get(f"default_over_floor_{measure}")
        if ratio is not None:
            rows.append(
                (
                    f"within 1.15× of the Flask floor ({measure})",
                    ratio <= TARGETS["floor_ratio"],
                    f"{ratio:.2f}×",
                )
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
        "| variant | zipped MB | unzipped MB | cold start s | process s | warm p50 ms | warm p99 ms "
        "| peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, v in results["variants"].items():
        roles = {results["baseline"]: " (baseline)", results["default"]: " (default)", FLOOR: " (floor)"}
        tag = roles.get(name, "")
        lines.append(
            f"| {name}{tag} | {v['zip_bytes'] / 1e6:.1f} | {v['unzipped_bytes'] / 1e6:.1f} | "
            f"{v['cold_start_s']:.3f} | {v['process_s']:.3f} | {v['warm_p50_ms']:.2f} | "
            f"{v['warm_p99_ms']:.2f} | {v['peak_rss_mb']:.0f} |"
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
    colours = [
        "C3" if n.startswith("sklearn") else "C7" if VARIANTS[n].get("reference") else "C2" for n in names
    ]
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
    variants = measure(args.variants, args.cold, args.warm)
    results = {
        "baseline": BASELINE,
        "default": DEFAULT,
        "floor": FLOOR,
        "measured_on": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end",
        "variants": variants,
        "ratios": ratios(variants),
        "functions": FUNCTIONS,
        "import_times_ms": IMPORT_TIMES,
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

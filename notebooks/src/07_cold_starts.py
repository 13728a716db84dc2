# %% [markdown]
# # 06 · Cold starts and package size
#
# A warm Lambda function answers our car API in well under a millisecond of Python. The request
# that has to wait for a **new** execution environment waits for much more: the package to be
# fetched and unpacked, Python to start, every module the handler needs to be imported, and the
# model to be loaded. That wait is the *cold start*. This notebook reads what `make bench`
# measured for six ways of building the same function, shows live where the time goes and why
# our model needs no scikit-learn on Lambda, and ends with what a million requests cost.
#
# **What you will learn**
#
# - what happens in a cold start, when cold starts happen, and what `make bench` measures;
# - how package size and imports drive the cold start: scikit-learn against the pure-Python model;
# - why shipped bytecode goes stale in a zip, and how hash-checked `.pyc` fix it;
# - the pitfalls of squeezing a package under Lambda's limits: `strip`, `slim`, zipped
#   requirements, layers, container images;
# - what a million predictions cost, and what the memory size changes.
#
# **Teaching:** 35 min · **Exercises:** 15 min

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again. It trains a model if there is none yet (about
# 10 s) and reads the benchmark's results, `bench/results.json`: the repository holds the last
# run's, and `make bench` measures again on your machine (a few minutes).

# %%
import json
import math
import os
import py_compile
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from unittest import mock

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import pandas as pd
from IPython.display import Image, display

from workshop import CARS_MODEL_DIR, ROOT
from workshop.cars_data import load_cars
from workshop.deploy import UNZIPPED_LIMIT, ZIPPED_LIMIT
from workshop.lambda_builds import unzip, zip_dir
from workshop.serverless_config import read_serverless_yml
from workshop_app import portable_model
from workshop_app.car_model import ModelUnavailable, load_model
from workshop_app.car_schema import FEATURE_NAMES, example_car, to_row

try:
    load_model(str(CARS_MODEL_DIR))
except ModelUnavailable as e:  # no model yet, or one from an older version of the workshop
    print(f"training a model, because: {e}")
    from workshop.train_cars import train

    train()

BENCH = ROOT / "bench"
if not (BENCH / "results.json").exists():
    raise FileNotFoundError("bench/results.json is missing: run `make bench` first")
results = json.loads((BENCH / "results.json").read_text())
variants = results["variants"]
BASELINE, DEFAULT = results["baseline"], results["default"]
PYTHON = sys.executable  # the workshop's Python 3.12, started afresh for each measurement
plt.rcParams.update({"figure.figsize": (11, 4), "axes.grid": True, "grid.alpha": 0.3})
print(f"{len(variants)} variants in bench/results.json; baseline {BASELINE}, default {DEFAULT}")

# %% [markdown]
# ## 1. What a cold start is
#
# Lambda runs each request in an *execution environment*: a small virtual machine with the
# memory you configured and a matching share of CPU. An environment handles one request at a
# time and is kept for later requests. A request that finds no idle environment waits while
# Lambda makes a new one; that is the **INIT phase**:
#
# 1. fetch the deployment package (our zip, from an S3 bucket Lambda keeps) and unpack it into
#    `/var/task`, which is **read-only**;
# 2. start the VM and the runtime: Python 3.12 and AWS's runtime client;
# 3. import the handler module. For us that is serverless-wsgi's `wsgi_handler`, which imports
#    `workshop_app.wsgi`, which imports Flask and builds the app: every module-level line of
#    our code and of every library it imports runs here. Lambda allows the INIT phase 10 s; when
#    it takes longer, Lambda starts it again within the function's timeout while the request waits.
#
# Then the **first request** runs (the INVOKE phase). In our app it also loads and verifies the
# model, because that happens on first use. Later requests to the same environment are *warm*:
# everything is in memory already.
#
# Steps 1–2 are Lambda's, but the bigger the package, the longer step 1 takes. Step 3 and the
# first request are ours: they are what we can make fast.
#
# **When** do cold starts happen? On the first request after a deployment or a configuration
# change; whenever traffic needs one more environment than are idle (ten simultaneous requests
# need ten environments); and after an environment has been idle for a while, since Lambda
# recycles them (how soon is not promised). **Why** care?
#
# - *Latency.* The client waits for the whole cold start, and so does its retry logic. API
#   Gateway gives up on a request after 29 s (its default integration timeout).
# - *Money.* Since 1 August 2025 Lambda bills the INIT phase of zip functions on managed
#   runtimes like any other duration (it used to be free), so a slow cold start is paid for.
# - *Remedies that are not free.* Provisioned concurrency keeps environments warm, SnapStart
#   (Python 3.12 and later) restores them from a snapshot; both are billed extra. The free
#   remedy is this notebook's subject: ship less, import less.
#
# ## 2. What `make bench` measures
#
# `bench/lambda_variants.py` builds the car API's Lambda artifact six ways, unpacks each zip
# into a directory as Lambda would, and measures each the same way:
#
# - **cold start**: a fresh `python -I -S -B workshop/lambda_runner.py ARTIFACT EVENT`. `-I -S`
#   means nothing on `sys.path` but the standard library and the unpacked artifact (the
#   runner checks); `-B` means no `.pyc` is written, as on the read-only `/var/task`. It imports
#   serverless-wsgi's handler and answers a saved API Gateway event, a `POST /predict` of one
#   car (`workshop/events/rest_v1_predict.json`), so loading the model is included. The median of 7.
# - **warm**: the same event answered 2,000 more times in that process: median (p50) and 99th
#   percentile (p99) latency.
# - **peak RSS**: the most memory the process held, which the memory size must cover.
#
# | variant | model file | what the zip holds besides it |
# |---|---|---|
# | `sklearn-fat` (baseline) | `model.joblib` | app + requirements, numpy, scipy, sklearn; pip's `.pyc` |
# | `sklearn-slim` | `model.joblib` | the same after `slim: true`: no `.pyc`, no `*.dist-info`, no tests |
# | `portable-slim` | `model.json` | the app and `requirements/lambda.txt` only, slimmed |
# | `portable` | `model.json` | the same, unslimmed, with pip's `.pyc` |
# | `portable-checked-hash` | `model.json` | the same, with hash-checked `.pyc` instead |
# | `deployed` (the default) | `model.json` | what `sls package` builds: like the one above |
#
# What it does *not* measure: Lambda's own steps 1–2, and Lambda's CPU. The benchmark machine
# gives Python a whole core; Lambda gives a whole vCPU only at 1,769 MB, proportionally less
# below. Expect larger absolute numbers on Lambda, in the same ratios.
#
# ## 3. The results

# %%
roles = {BASELINE: "baseline", DEFAULT: "default"}
raw = pd.DataFrame.from_dict(variants, orient="index")
table = pd.DataFrame(
    {
        "role": [roles.get(name, "") for name in raw.index],
        "zipped MB": raw["zip_bytes"] / 1e6,
        "unzipped MB": raw["unzipped_bytes"] / 1e6,
        "% of unzipped limit": 100 * raw["unzipped_bytes"] / UNZIPPED_LIMIT,
        "cold start ms": 1000 * raw["cold_start_s"],
        "warm p50 ms": raw["warm_p50_ms"],
        "warm p99 ms": raw["warm_p99_ms"],
        "peak RSS MB": raw["peak_rss_mb"],
    }
)
table.round(1)

# %%
base, default = variants[BASELINE], variants[DEFAULT]
print(f"default {DEFAULT!r} against baseline {BASELINE!r}:")
print(
    f"  cold start {base['cold_start_s']:.2f} s → {default['cold_start_s']:.2f} s: "
    f"{base['cold_start_s'] / default['cold_start_s']:.1f}× faster"
)
print(
    f"  zip {base['zip_bytes'] / 1e6:.0f} MB → {default['zip_bytes'] / 1e6:.0f} MB, unzipped "
    f"{base['unzipped_bytes'] / 1e6:.0f} MB → {default['unzipped_bytes'] / 1e6:.0f} MB"
)
print(
    f"  warm p50 {base['warm_p50_ms']:.2f} ms → {default['warm_p50_ms']:.2f} ms, peak RSS "
    f"{base['peak_rss_mb']:.0f} MB → {default['peak_rss_mb']:.0f} MB"
)
over = [name for name, v in variants.items() if v["unzipped_bytes"] > UNZIPPED_LIMIT]
print(f"over Lambda's {UNZIPPED_LIMIT:,}-byte unzipped limit, so not deployable at all: {over}")

# %% [markdown]
# `make bench` draws its own summary, `bench/results.png`:

# %%
display(Image(filename=BENCH / "results.png"))

# %% [markdown]
# Size and cold start are related, but not simply. A scatter of one against the other, both on
# log scales because they span two orders of magnitude:

# %%
fig, ax = plt.subplots(figsize=(8, 5))
for name, v in variants.items():
    colour = "tab:red" if name.startswith("sklearn") else "tab:green"
    ax.scatter(v["unzipped_bytes"] / 1e6, v["cold_start_s"] * 1000, s=60, color=colour)
    ax.annotate(
        f"{name}{' (' + roles[name] + ')' if name in roles else ''}",
        (v["unzipped_bytes"] / 1e6, v["cold_start_s"] * 1000),
        textcoords="offset points",
        xytext=(6, 4),
        fontsize=9,
    )
ax.axvline(
    UNZIPPED_LIMIT / 1e6, color="black", linestyle="--", linewidth=1, label="Lambda's unzipped limit (262 MB)"
)
ax.set(
    xscale="log",
    yscale="log",
    xlim=(10, 600),
    xlabel="unzipped size (MB, log scale)",
    ylabel="cold start (ms, log scale)",
    title="Cold start against package size (red: scikit-learn, green: portable model)",
)
for axis in (ax.xaxis, ax.yaxis):  # plain numbers instead of powers of ten
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())
ax.set_xticks([10, 20, 50, 100, 200, 500])
ax.set_yticks([100, 200, 500, 1000, 2000, 5000])
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# Two clusters, an order of magnitude apart in both directions: what decides the cold start is
# whether numpy, scipy and scikit-learn are imported at all. Within a cluster, size is not what
# decides. `slim` made the scikit-learn artifact about a third smaller and its cold start
# *slower*: it deleted the bytecode that the fat artifact ships, so every cold start compiles
# scikit-learn's source again. The pairs that differ only in their `.pyc`:

# %%
PAIRS = [
    ("sklearn-fat", "sklearn-slim", "slim: pip's .pyc deleted"),
    ("portable", "portable-slim", "slim: pip's .pyc deleted"),
    ("portable", "portable-checked-hash", "pip's .pyc replaced by hash-checked ones"),
]
for before, after, change in PAIRS:
    if before in variants and after in variants:
        a, b = variants[before], variants[after]
        print(
            f"{before} → {after} ({change}): {b['unzipped_bytes'] / a['unzipped_bytes'] - 1:+.0%} "
            f"unzipped, cold start {a['cold_start_s']:.2f} s → {b['cold_start_s']:.2f} s"
        )

# %% [markdown]
# Sections 4–6 take these results apart, live and in a few seconds each.
#
# ## 4. Where the import time goes
#
# Notebook 04 broke the app's own imports down by package. Here we compare the two ways of
# running the *model*: importing scikit-learn's forests, and importing our pure-Python
# evaluator (`workshop_app/__init__.py` imports Flask, so that comes with it). Python's
# `-X importtime` writes one line per module to stderr, in the order the imports finish:
# `import time: self [us] | cumulative | imported package`, where *self* is the module's own
# code and *cumulative* adds everything it imported in turn; the indentation shows the nesting.
#
# One adjustment: scikit-learn imports pandas whenever pandas is installed (to recognise
# DataFrames). The workshop's venv has it, the Lambda artifacts do not, so each fresh Python
# here starts with `WITHOUT_PANDAS`, an import hook that makes `import pandas` fail as it would
# on Lambda.

# %%
# extra code – runs Python code in a fresh interpreter, without pandas, as on Lambda
WITHOUT_PANDAS = """
import sys
class NoPandas:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoPandas())
"""


def run_python(code: str, *args: str, options: tuple[str, ...] = (), stdin: str = "") -> tuple[str, str]:
    """stdout and stderr of `python OPTIONS -c WITHOUT_PANDAS+code ARGS` run in the repository."""
    result = subprocess.run(
        [PYTHON, *options, "-c", WITHOUT_PANDAS + code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode:
        raise RuntimeError(f"the fresh Python failed:\n{result.stderr[-3000:]}")
    return result.stdout, result.stderr


def import_times(module: str) -> pd.DataFrame:
    """One row per module that `import module` imported: own and cumulative ms, nesting depth."""
    _, stderr = run_python(f"import {module}", options=("-X", "importtime"))
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:  # skip the header
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        rows.append(
            {
                "module": name.strip(),
                "depth": (len(name) - len(name.lstrip()) - 1) // 2,
                "self_ms": int(self_us) / 1000,
                "cumulative_ms": int(cumulative_us) / 1000,
            }
        )
    times = pd.DataFrame(rows)
    top_level = times.index[times["depth"] == 0]  # Python's own start-up, then our one import
    return times.loc[top_level[-2] + 1 :].reset_index(drop=True)


imports = {module: import_times(module) for module in ("sklearn.ensemble", "workshop_app.portable_model")}
for module, times in imports.items():
    packages = times.groupby(times["module"].str.split(".").str[0])["self_ms"].sum().nlargest(5)
    print(
        f"import {module}: {times['cumulative_ms'].iloc[-1]:,.0f} ms, {len(times)} modules; "
        f"most own time in " + ", ".join(f"{p} {ms:,.0f} ms" for p, ms in packages.items())
    )

# %%
sklearn_times = imports["sklearn.ensemble"]
fig, (chain, by_package) = plt.subplots(1, 2, figsize=(13, 4))
top = sklearn_times.nlargest(10, "cumulative_ms").iloc[::-1]
chain.barh(top["module"], top["cumulative_ms"], color="tab:red")
chain.set(
    xlabel="cumulative ms (the module and everything it imported)",
    title="`import sklearn.ensemble`: the ten largest cumulative times",
)
own = sklearn_times.groupby(sklearn_times["module"].str.split(".").str[0])["self_ms"].sum()
own.nlargest(10).iloc[::-1].plot.barh(ax=by_package, color="tab:gray")
by_package.set(xlabel="ms of the package's own code", ylabel="", title="The same import, by package")
fig.tight_layout()
plt.show()

# %% [markdown]
# On the left every bar contains the ones its module imported, so read it as a chain: importing
# `sklearn.ensemble` first imports its package, `sklearn`, which imports `sklearn.base`, which
# imports `sklearn.utils`, … On the right the same time by package: scipy, scikit-learn and
# numpy, more than a thousand modules in all, before a single tree is unpickled. All of it runs
# on every cold start of the scikit-learn variants. (`-X importtime` itself adds a little;
# compare proportions, and run the cell twice: the first run may also wait for the disk.)
#
# ## 5. Why the model runs without scikit-learn
#
# Training (notebook 02) saves the model twice: `model.joblib`, the pickled scikit-learn
# pipeline, and `model.json`, written by `workshop/export_model.py`. For our random forest the
# JSON holds the preprocessing (the imputer's medians, the one-hot categories) and, for each
# tree, parallel arrays with one entry per node: its left and right child, the feature it
# tests, the threshold, and its value (the prediction, at a leaf):

# %%
document = json.loads((CARS_MODEL_DIR / "model.json").read_bytes())
forest = document["model"]
assert forest["kind"] == "forest", f"this section explains a random forest, not a {forest['kind']}"
nodes = sum(len(tree["left"]) for tree in forest["trees"])
print(f"{len(forest['trees'])} trees, {nodes:,} nodes, {len(json.dumps(document)) / 1e6:.1f} MB of JSON")
{key: values[:6] for key, values in forest["trees"][0].items()}

# %% [markdown]
# `workshop_app/portable_model.py` walks each tree from the root: go left if the feature is at
# most the threshold, right otherwise, until a leaf (`left == -1`); the forest's prediction is
# the mean of the leaves reached. A loop in pure Python, a few kilobytes of code.
#
# Does it predict what scikit-learn predicts? And what does each format cost on a cold start?
# Each format is loaded in a fresh Python, which reports the seconds from its first import to
# the first prediction, which heavy libraries it imported, and its predictions for every car:

# %%
# extra code – loads the model in a fresh interpreter, as a cold start would, and predicts
LOAD_AND_PREDICT = """
import json, sys, time
rows = json.loads(sys.stdin.read())
started = time.perf_counter()
from workshop_app.car_model import load_model
model = load_model(sys.argv[1], fmt=sys.argv[2])
model.predict(rows[:1])  # what the first request does
seconds = time.perf_counter() - started
if model.format == "sklearn":
    import numpy as np
    predictions = model.predictor.predict(np.array(rows, dtype=object)).tolist()
else:
    predictions = model.predictor.predict(rows)
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "scipy", "sklearn", "joblib"})
print(json.dumps({"seconds": seconds, "heavy": heavy, "predictions": predictions}))
"""


def load_and_predict(fmt: str, rows: list[list]) -> dict:
    stdout, _ = run_python(LOAD_AND_PREDICT, str(CARS_MODEL_DIR), fmt, stdin=json.dumps(rows))
    return json.loads(stdout)


cars = load_cars()
features = cars[list(FEATURE_NAMES)].astype(object)
rows = features.where(features.notna(), None).to_numpy().tolist()  # None where unknown

# %% [markdown]
# One more car, made to sit exactly on a split. scikit-learn's trees compare a **float32** copy
# of each feature with a float64 threshold; `portable_model._float32()` rounds the same way. The
# most common weight threshold in the forest lies halfway between two weights in the data; we
# send the smallest float64 weight above it:

# %%
weight = document["preprocess"]["numeric"]["columns"].index(FEATURE_NAMES.index("weight"))
splits = Counter(
    t
    for tree in forest["trees"]
    for f, t in zip(tree["feature"], tree["threshold"], strict=True)
    if f == weight
)
threshold = splits.most_common(1)[0][0]
edge_car = to_row({**example_car(), "weight": math.nextafter(threshold, math.inf)})
print(
    f"weight threshold {threshold!r} (in {splits[threshold]} trees); the car weighs "
    f"{edge_car[FEATURE_NAMES.index('weight')]!r} lb"
)

# %%
by_format = {fmt: load_and_predict(fmt, [*rows, edge_car]) for fmt in ("sklearn", "portable")}
pd.DataFrame(
    {
        fmt: {
            "import + load + first prediction (s)": round(out["seconds"], 3),
            "heavy libraries imported": ", ".join(out["heavy"]) or "none",
        }
        for fmt, out in by_format.items()
    }
)

# %%
sk, portable = by_format["sklearn"]["predictions"], by_format["portable"]["predictions"]
identical = sum(a == b for a, b in zip(sk, portable, strict=True))
print(f"identical predictions, to the last bit: {identical} of {len(sk)} cars")

with mock.patch.object(portable_model, "_float32", lambda value: value):  # compare in float64
    naive = portable_model.PortableModel(document).predict([*rows, edge_car])
print(
    f"compared in float64 instead: {sum(a != b for a, b in zip(sk, naive, strict=True))} "
    f"differ; the edge car {naive[-1]:.4f} mpg, scikit-learn {sk[-1]:.4f} mpg"
)

# %% [markdown]
# Same answers, bit for bit, without numpy, scipy or scikit-learn: that is how the function fits
# in a small zip and starts in a fraction of the time. Without the float32 rounding the answers
# differ by little, but they differ, for some of the data's own cars too: "the same model" would
# be almost the same model, and `tests/unit/test_portable_model.py` could not demand equality.
# The price: the exporter supports exactly the pipelines `workshop/train_cars.py` trains, and
# refuses anything else, rather than export something that predicts differently.
#
# ## 6. Stale bytecode
#
# Python runs bytecode. Importing a module compiles its source unless `__pycache__` holds a
# `.pyc` that is still valid; normally Python then writes one for next time. On Lambda it cannot:
# `/var/task` is read-only, so each cold start compiles every module that lacks a valid `.pyc`,
# and throws the work away. Notebook 05 counted such files in whole artifacts; here is the
# mechanism in one module.
#
# A default `.pyc` (`py_compile`'s *timestamp* mode, what pip writes) records its source's
# modification time in whole seconds, and is valid only while the source's mtime still matches.
# A zip cannot keep that promise: the zip format stores times to **2 seconds**, and osls, which
# packages our function, dates *every* entry 1980-01-01 00:00 so that the same files always make
# the same zip. A *checked-hash* `.pyc` (PEP 552) records a hash of the source instead.
#
# We compile two one-line modules, one whose source was saved at an odd second and one at an
# even second, both ways; zip them keeping file times (like `zip -r` or Python's `zipfile`)
# and the way osls does; unpack with `workshop.lambda_builds.unzip`, which sets each file's time
# from the zip; and import each module in a fresh `python -B -I -S -v` (`-v` makes Python say,
# for every import, whether the `.pyc` "matches" or "is stale"):

# %%
# extra code – builds the modules, zips them two ways and asks a fresh Python about each .pyc
MODES = {
    "timestamp .pyc": py_compile.PycInvalidationMode.TIMESTAMP,
    "checked-hash .pyc": py_compile.PycInvalidationMode.CHECKED_HASH,
}
SAVED_AT = {"odd_second": 1_795_000_001.3, "even_second": 1_795_000_002.3}  # seconds since 1970


def zip_like_osls(directory: Path, zip_path: Path) -> None:
    """Zip with one fixed date for every entry, as osls's packager does."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), (1980, 1, 1, 0, 0, 0))
                archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)


def verdict(task: Path, module: str) -> str:
    """What a fresh Python that cannot write .pyc does with `module`'s cached bytecode."""
    code = f"import sys; sys.path.insert(0, {str(task)!r}); import {module}"
    stderr = subprocess.run(
        [PYTHON, "-B", "-I", "-S", "-v", "-c", code], capture_output=True, text=True, check=True
    ).stderr
    if f"bytecode is stale for {module!r}" in stderr:
        return "stale: compiles the source"
    if any(" matches " in line and line.endswith(f"{module}.py") for line in stderr.splitlines()):
        return "valid: loads the .pyc"
    return "no .pyc: compiles the source"


ZIPPERS = {"zip keeping file times": lambda d, z: zip_dir(d, z), "zip like osls": zip_like_osls}
verdicts = {}
with tempfile.TemporaryDirectory(prefix="pyc-") as tmp:
    for mode_name, mode in MODES.items():
        built = Path(tmp) / mode.name.lower()
        built.mkdir()
        for module, mtime in SAVED_AT.items():
            source = built / f"{module}.py"
            source.write_text(f"WHEN = {module!r}\n")
            os.utime(source, (mtime, mtime))
            py_compile.compile(str(source), doraise=True, invalidation_mode=mode)
        for number, (zip_name, zipper) in enumerate(ZIPPERS.items()):
            archive = Path(tmp) / f"{built.name}-{number}.zip"
            zipper(built, archive)
            task = archive.with_suffix("")  # the unpacked package: our /var/task
            unzip(archive, task)
            for module in SAVED_AT:
                verdicts[zip_name, module, mode_name] = verdict(task, module)
pd.Series(verdicts).unstack()[list(MODES)]

# %% [markdown]
# A timestamp `.pyc` survives a zip only if its source happened to be saved at an even second,
# and never in osls's zip, where every file is dated 1980. Then each cold start compiles the
# module again. The bench's `portable` variant is zipped keeping file times, so whether pip's
# `.pyc` survive depends on whether pip happened to write each file in an even second: a
# lottery, and that variant's cold start can change from one `make bench` to the next.
# (`sklearn-slim` and `portable-slim` have no `.pyc` at all.) The checked-hash `.pyc` is valid
# in every case: it does not care about times.
#
# So:
#
# - serverless-python-requirements' `slim: true` deletes every `.pyc`; avoid it unless you need
#   the space (section 3 showed what it costs), and then ship hash-checked bytecode afterwards;
# - `.serverless_plugins/checked-hash-bytecode.js`, a small local plugin that
#   `serverless.yml` lists, runs `python -m workshop.lambda_builds bytecode` on the installed
#   requirements and on `workshop_app/` just before osls zips them, and the package patterns
#   include `workshop_app/**/__pycache__/*.cpython-312.pyc`. That is the `deployed` variant;
# - the bytecode must come from the runtime's Python version (3.12 here: each version has its
#   own `.pyc` magic number and file name, and ignores the others). That is why the project's
#   venv runs Python 3.12;
# - `unchecked-hash` bytecode would skip even reading and hashing the source. Safe on Lambda,
#   where the files never change, but our plugin also compiles `workshop_app/` in your working
#   copy, where an edited source must not run stale bytecode; checked-hash costs little.
#
# ## 7. Pitfalls on the way to a small package
#
# The numbers below were measured while building this workshop (see also notebook 05).
#
# - **The unzipped limit is 262,144,000 bytes** (250 MiB) for the function *and all its layers*
#   together. numpy + scipy + scikit-learn alone are about 279 MB unzipped (213 MB with `slim`);
#   with pandas, 362 MB. Layers do not give you more room, they only split the same room (and
#   serverless-python-requirements' `layer: true` needs AWS credentials even to package). The
#   zipped size matters less: above 50 MB you cannot upload the zip directly, but the framework
#   uploads through S3 anyway.
# - **`strip` can break native libraries.** `slim: true` also runs `strip` on the shared
#   libraries; on scipy's bundled OpenBLAS that produced a package that failed at import with
#   *"ELF load command address/offset not page-aligned"*. Keep `strip: false` when you slim.
# - **`slim` deletes the bytecode**, so every cold start compiles every module: a
#   scikit-learn + pandas function measured here took 2.2–2.5 s to its first prediction with
#   valid bytecode and 7–9 s slimmed, and hash-checked `.pyc` made imports 3–4× faster. Slim,
#   then compile (section 6).
# - **Zipped requirements** (`pythonRequirements.zip: true`) pack the requirements into a
#   `.requirements.zip` inside the package and add `unzip_requirements.py`, which your handler
#   must import first: on every cold start it extracts them to `/tmp/sls-py-req`. That fits
#   more under the unzipped limit, but extracting everything is added to every cold start, and
#   `/tmp` is 512 MB by default (configurable up to 10,240 MB, billed above 512 MB) and shared
#   with whatever your own code writes there.
# - **Container images** (up to 10 GB) are the escape hatch when the libraries really do not fit.
#   They bring their own cold-start cost: Lambda caches images near where functions run, but
#   the first cold starts after deploying a new image, or of a rarely used one, can take
#   seconds; and you maintain the base image and its security updates.
# - **Heavy imports at module level** run on every cold start, even for requests that never need
#   them. Our app imports boto3 on the first request that talks to DynamoDB, and numpy only for
#   `MODEL_FORMAT=sklearn` (notebook 04 showed which modules a prediction imports).
#
# ## 8. What it costs
#
# Lambda bills requests and *GB-seconds*: the memory size in GB times the billed duration,
# rounded **up** to the next millisecond per invocation, cold starts included. API Gateway bills
# per request. The prices, in one place:

# %%
# Prices as published by AWS for eu-central-1 (Frankfurt), x86, read 2026-11-22. Free tier ignored.
LAMBDA_USD_PER_GB_SECOND = 0.0000166667
LAMBDA_USD_PER_MILLION_REQUESTS = 0.20
API_GATEWAY_USD_PER_MILLION = {
    "REST API": 3.50,  # the first 333 million requests a month
    "HTTP API": 1.00,
}

# %% [markdown]
# And our assumptions. The memory size is the one `serverless.yml` deploys. The benchmark ran on
# one full core; Lambda gives one full vCPU at 1,769 MB and, below that, a share in proportion
# to memory, so a CPU-bound duration grows by 1,769 / memory. (Above 1,769 MB a second vCPU
# helps only code that runs in parallel; ours does not.) We apply that to cold starts too; the
# INIT phase has been observed to get more CPU than its share, so read the cold starts at small
# memory sizes as upper bounds. One request in a thousand finds no warm environment: a guess,
# and the parameter to change for your traffic.

# %%
MEMORY_MB = read_serverless_yml()["provider"]["memorySize"]
FULL_VCPU_MB = 1769
COLD_START_EVERY = 1_000  # requests per cold start
MEMORY_SIZES = [128, 256, 512, 1024, 1769, 3008]  # to compare


def lambda_ms(measured_ms: float, memory_mb: int) -> float:
    """A duration measured on one full core, at memory_mb on Lambda (CPU-bound work)."""
    return measured_ms * FULL_VCPU_MB / min(memory_mb, FULL_VCPU_MB)


def cost_per_million(
    variant: str, memory_mb: int = MEMORY_MB, api: str = "REST API", cold_start_every: int = COLD_START_EVERY
) -> dict[str, float]:
    """US dollars per million requests, by item, for a variant of bench/results.json."""
    v = variants[variant]
    cold = 1_000_000 / cold_start_every
    billed_ms = (1_000_000 - cold) * math.ceil(lambda_ms(v["warm_p50_ms"], memory_mb)) + cold * math.ceil(
        lambda_ms(1000 * v["cold_start_s"], memory_mb)
    )
    gb_seconds = memory_mb / 1024 * billed_ms / 1000
    return {
        "Lambda compute": gb_seconds * LAMBDA_USD_PER_GB_SECOND,
        "Lambda requests": LAMBDA_USD_PER_MILLION_REQUESTS,
        "API Gateway": API_GATEWAY_USD_PER_MILLION[api],
    }


costs = pd.DataFrame(
    {
        f"{name} ({roles[name]}), {api}": cost_per_million(name, api=api)
        for name in (DEFAULT, BASELINE)
        for api in API_GATEWAY_USD_PER_MILLION
    }
).T
costs["total"] = costs.sum(axis=1)
for name in (DEFAULT, BASELINE):
    v = variants[name]
    print(
        f"{name} at {MEMORY_MB} MB: a warm request bills "
        f"{math.ceil(lambda_ms(v['warm_p50_ms'], MEMORY_MB))} ms, a cold start "
        f"{math.ceil(lambda_ms(1000 * v['cold_start_s'], MEMORY_MB)):,} ms"
    )
print(f"US$ per million requests, one cold start per {COLD_START_EVERY:,} requests:")
costs.round(3)

# %%
ax = (
    costs.drop(columns="total")
    .iloc[::-1]
    .plot.barh(stacked=True, figsize=(10, 3.5), color=["tab:orange", "tab:olive", "tab:blue"])
)
ax.set(
    xlabel="US$ per million requests",
    ylabel="",
    title=f"Cost per million requests at {MEMORY_MB} MB: API Gateway dominates",
)
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# **API Gateway dominates.** With the REST API, its $3.50 per million is most of the bill for
# either variant; Lambda's own compute is cents, because a warm prediction bills the minimum
# 1 ms with the portable model, and tens of ms with scikit-learn. Switching to an HTTP API would
# cut the largest item to $1.00, but we use a REST API on purpose: API keys and usage plans
# (our throttling and daily quota) exist only there.
#
# **Memory** sets the price per millisecond *and* the CPU share. Below 1,769 MB a CPU-bound
# request takes longer in proportion, so its GB-seconds stay about the same, but the cold start
# grows by the same factor; above 1,769 MB our single-threaded Python gets no faster and each
# millisecond costs more. The rounding to whole milliseconds breaks the tie, as the last column
# shows:

# %%
pd.DataFrame(
    [
        {
            "memory (MB)": memory,
            f"{BASELINE} cold start (s)": round(lambda_ms(1000 * base["cold_start_s"], memory) / 1000, 2),
            f"{DEFAULT} cold start (s)": round(lambda_ms(1000 * default["cold_start_s"], memory) / 1000, 2),
            f"{DEFAULT} warm billed (ms)": math.ceil(lambda_ms(default["warm_p50_ms"], memory)),
            f"{DEFAULT} Lambda compute (US$/M)": round(
                cost_per_million(DEFAULT, memory)["Lambda compute"], 4
            ),
        }
        for memory in MEMORY_SIZES
    ]
).set_index("memory (MB)")

# %% [markdown]
# At 128 MB the scikit-learn variant would blow through the INIT phase's 10 s (and its peak RSS
# would not fit in 128 MB at all), while the portable one takes a few seconds. Whatever the
# price, the memory size must hold the peak RSS from section 3, with a margin.
#
# ## Exercises
#
# Write your answer in the cell under each exercise, then run the **check** cell below it.
#
# ### Exercise 1: a month of traffic
#
# Your API serves a steady **5 requests per second**. What does a 30-day month cost with the
# default variant at the deployed memory size, through the REST API, with the assumptions
# above? Store the answer, in US dollars, in `monthly_usd`.
#
# *Hint:* `cost_per_million(DEFAULT)` gives the cost of a million requests, by item.

# %% tags=["solution"]
# Exercise 1: set monthly_usd to the cost of 30 days at 5 requests per second.

requests_per_month = 5 * 60 * 60 * 24 * 30
monthly_usd = requests_per_month / 1_000_000 * sum(cost_per_million(DEFAULT).values())
print(f"{requests_per_month:,} requests a month: US${monthly_usd:,.2f}")

# %% tags=["check"]
# extra code – checks your answer to exercise 1
expected = 12_960_000 / 1_000_000 * sum(cost_per_million(DEFAULT).values())
assert isinstance(monthly_usd, int | float), "monthly_usd should be a number of US dollars"
assert not math.isclose(monthly_usd, expected * 1_000_000, rel_tol=0.05), (
    "prices are per million requests: divide the number of requests by 1,000,000"
)
assert math.isclose(monthly_usd, expected, rel_tol=0.005), (
    f"expected about US${expected:,.2f}: 5 requests/s × 86,400 s/day × 30 days"
)
print(
    f"Correct: US${monthly_usd:,.2f} a month, "
    f"US${cost_per_million(DEFAULT)['API Gateway'] * 12.96:,.2f} of it for API Gateway"
)

# %% [markdown]
# ### Exercise 2: the cheapest memory size
#
# Lambda lets you choose the memory size in 1 MB steps. Among 128, 192, 256, …, 3008 MB (steps
# of 64 MB), which size makes a million requests of the default variant **cheapest**, under the
# assumptions above (`cost_per_million(DEFAULT, memory_mb=...)`)? Store it in
# `cheapest_memory_mb`, and look at the cold start you would get there. Would you deploy it?

# %% tags=["solution"]
# Exercise 2: set cheapest_memory_mb to the memory size with the lowest cost per million requests.

candidates = range(128, 3009, 64)
totals = pd.Series({m: sum(cost_per_million(DEFAULT, memory_mb=m).values()) for m in candidates})
cheapest_memory_mb = int(totals.idxmin())
print(
    f"cheapest: {cheapest_memory_mb} MB, US${totals.min():.4f} per million "
    f"(at {MEMORY_MB} MB: US${totals[MEMORY_MB]:.4f}); cold start there "
    f"{lambda_ms(1000 * default['cold_start_s'], cheapest_memory_mb) / 1000:.2f} s"
)
ax = totals.plot(marker=".", figsize=(9, 3))
ax.set(xlabel="memory (MB)", ylabel="US$ per million", title=f"{DEFAULT}: cost against memory")
plt.show()

# %% tags=["check"]
# extra code – checks your answer to exercise 2
sizes = range(128, 3009, 64)
assert cheapest_memory_mb in sizes, "choose one of 128, 192, ..., 3008 MB"


def total(memory):
    return sum(cost_per_million(DEFAULT, memory_mb=memory).values())


lowest = min(total(m) for m in sizes)
assert math.isclose(total(cheapest_memory_mb), lowest, rel_tol=1e-12), (
    f"{cheapest_memory_mb} MB costs US${total(cheapest_memory_mb):.5f}, another size US${lowest:.5f}"
)
print(f"Correct: {cheapest_memory_mb} MB, US${lowest:.4f} per million requests")

# %% [markdown] tags=["solution"]
# The differences are cents per million requests, because API Gateway and the request fee
# dominate, and below 1,769 MB a CPU-bound request's GB-seconds hardly depend on the memory size
# (above, they grow with it): what decides is how a warm request's duration rounds up to whole
# milliseconds. Meanwhile the
# cold start at a small size is several times longer. For a user-facing API the saving is not
# worth it: choose the memory for latency (and for the peak RSS), then check the cost.

# %% [markdown]
# ### Exercise 3: how much smaller, and what fits?
#
# From `variants` (bench/results.json), compute how many times smaller the default's **zip**
# is than the baseline's, and store it in `zip_times_smaller` (a number above 1). Then store in
# `over_limit` the names of the variants whose **unzipped** size exceeds Lambda's limit
# (`UNZIPPED_LIMIT`), as a list.

# %% tags=["solution"]
# Exercise 3: set zip_times_smaller and over_limit.

zip_times_smaller = variants[BASELINE]["zip_bytes"] / variants[DEFAULT]["zip_bytes"]
over_limit = [name for name, v in variants.items() if v["unzipped_bytes"] > UNZIPPED_LIMIT]
print(f"the default's zip is {zip_times_smaller:.1f}× smaller; over the limit: {over_limit}")

# %% tags=["check"]
# extra code – checks your answer to exercise 3
assert zip_times_smaller > 1, "divide the baseline's zip_bytes by the default's"
assert math.isclose(zip_times_smaller, base["zip_bytes"] / default["zip_bytes"], rel_tol=1e-6), (
    "compare the zipped sizes (zip_bytes), baseline over default"
)
assert sorted(over_limit) == sorted(n for n, v in variants.items() if v["unzipped_bytes"] > UNZIPPED_LIMIT), (
    f"compare each variant's unzipped_bytes with UNZIPPED_LIMIT ({UNZIPPED_LIMIT:,} bytes)"
)
print(
    f"Correct: {zip_times_smaller:.1f}× smaller; {over_limit or 'no variant'} cannot be deployed "
    f"as a zip; {[n for n, v in variants.items() if v['zip_bytes'] > ZIPPED_LIMIT]} "
    "could not be uploaded directly"
)

# %% [markdown]
# ## Key points
#
# - A cold start is fetching and unpacking the package, starting Python, importing the handler
#   and everything it imports, and the first request; since August 2025 it is billed too.
# - What you import decides the cold start: numpy + scipy + scikit-learn cost seconds, before a
#   model is loaded. Exporting the model to plain numbers evaluated in pure Python (float32
#   comparisons included) gives the same predictions with none of them.
# - Smaller is not automatically faster: `slim` deletes the bytecode, and on the read-only
#   `/var/task` every cold start then compiles. Timestamp `.pyc` go stale in a zip; ship
#   hash-checked `.pyc` compiled by the runtime's Python version.
# - Respect the 262,144,000-byte unzipped limit (layers included); `strip`, zipped requirements
#   and container images each trade one problem for another.
# - Per request, API Gateway costs far more than a fast Lambda function; memory size trades
#   cold-start latency against price, and rounding to whole milliseconds decides the rest.

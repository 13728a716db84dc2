# %% [markdown]
# # 07 · Cold starts
#
# A request that finds no warm Lambda environment waits for a new one: the package unpacked,
# Python started, the handler and all it imports imported, the model loaded. That wait is the
# *cold start*. We measure it on the laptop the way `make bench` does, read what the benchmark
# found for several builds of the same function, and take the deployed artifact's apart.
#
# **What you will learn**
#
# - what happens in a cold start on Lambda, and which parts of it are ours to make fast;
# - how to measure one locally, as `make bench` does, and read `python -X importtime`;
# - why the model needs neither scikit-learn nor a big JSON parse, and why shipped bytecode must
#   be hash-checked to survive a zip.
#
# **Prerequisites:** lessons 04 (the handler and its events) and 05 (packaging, `sls package`);
# osls (`node_modules`, installed by `make`) and the project's Python 3.12 venv.
#
# **Teaching:** 25 min · **Exercises:** 20 min

# %% [markdown]
# ## Setup
#
# Run this cell first; it is safe to run again. It reads `bench/results.json` (the last `make
# bench`) and packages the deployment with osls as `make package` does (10–20 s), for this
# machine's CPU so that its libraries load here; `api.zip` is unpacked into `TASK`: our `/var/task`.

# %%
import compileall
import json
import os
import platform
import py_compile
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from workshop import CARS_MODEL_DIR, EVENTS_DIR, LAMBDA_RUNNER, ROOT
from workshop.lambda_builds import osls_lock, unzip, zip_dir
from workshop.serverless_config import read_serverless_yml
from workshop.train_cars import ensure_model
from workshop_app.artifacts import unpack
from workshop_app.portable_model import NODE_ARRAYS, PortableModel

ensure_model()  # trains one (about 10 s) if there is no model yet
results = json.loads((ROOT / "bench" / "results.json").read_text())
variants, ratios = results["variants"], results["ratios"]
DEFAULT, FLOOR = results["default"], results["floor"]

ARCH = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
shutil.rmtree(globals().get("WORK", ""), ignore_errors=True)  # this cell's last run's, if any
WORK = Path(tempfile.mkdtemp(prefix="lesson-07-"))
path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"  # the venv's python3.12 first
env = dict(os.environ, ARCH=ARCH, SNAPSTART="false", PATH=path)
with osls_lock():  # one osls at a time: it writes files into the project
    sls = [str(ROOT / "node_modules" / ".bin" / "sls"), "package", "--stage", "dev", "--package", str(WORK)]
    subprocess.run(sls, cwd=ROOT, env=env, check=True, capture_output=True)
TASK = WORK / "task"
unzip(WORK / "api.zip", TASK)  # file times from the zip, as Lambda unpacks it
print(f"api.zip ({ARCH}): {(WORK / 'api.zip').stat().st_size / 1e6:.1f} MB, unpacked in {TASK}")
print(f"bench/results.json: {len(variants)} variants, {results['measured_on']}, {results['machine']}")

# %% [markdown]
# ## 1. What a cold start is
#
# Lambda runs each request in an *execution environment*, a micro-VM with the memory you configured
# and a matching share of CPU (a whole vCPU at 1,769 MB), kept for the next request. A request that
# finds none idle waits while Lambda makes one, the **INIT phase**:
#
# 1. **download** the zip and **unpack** it into `/var/task`, which is read-only;
# 2. start the micro-VM and the runtime (Python 3.12 and AWS's runtime client);
# 3. **import** the handler: serverless-wsgi's `wsgi_handler` imports `workshop_app.wsgi`, which
#    imports Flask and builds the app. Every module-level line of ours and of every library runs.
#
# Then the **first request** runs, and ours **loads the model**. Cold starts come after a
# deployment, when traffic needs one more environment than are idle, and after idleness. The
# client waits for all of it; since 1 August 2025 Lambda bills the INIT phase of zip functions
# too. Steps 1–2 are Lambda's (a smaller zip downloads sooner); the rest is ours.
#
# ## 2. Measuring a cold start as `make bench` does
#
# `bench/lambda_variants.py` starts a fresh `python -I -S -B workshop/lambda_runner.py ARTIFACT
# EVENT`: `-I -S` puts nothing on `sys.path` but the standard library and the artifact, `-B`
# writes no `.pyc` (as on the read-only `/var/task`). The runner imports the handler, answers a
# saved API Gateway event (one car's `POST /predict`) and prints the seconds to the answer. One
# start varies with whatever else the machine does: take the median of several.

# %%
EVENT = EVENTS_DIR / "rest_v1_predict.json"
LAMBDA_ENV = {"MODEL_URI": "models/cars", "FEATURES": "cars", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def cold_start(task: Path, *options: str) -> dict:
    """One new "execution environment": a fresh isolated Python answers EVENT with the handler."""
    command = [sys._base_executable, "-I", "-S", "-B", *options, str(LAMBDA_RUNNER), str(task), str(EVENT)]
    started = time.perf_counter()
    run = subprocess.run(command, env=LAMBDA_ENV, capture_output=True, text=True, check=True)
    process_s = time.perf_counter() - started  # interpreter start-up included
    first, *_, last = (json.loads(line) for line in run.stdout.splitlines())
    return {**first, "process_s": process_s, "modules": last["modules"], "stderr": run.stderr}


def median_cold_start(task: Path, runs: int = 7) -> tuple[float, float]:
    cold_start(task)  # not counted: it reads the files into the page cache
    starts = [cold_start(task) for _ in range(runs)]
    return statistics.median(s["seconds"] for s in starts), statistics.median(s["process_s"] for s in starts)


print("one cold start answers:", cold_start(TASK)["response"])
here_s, here_process_s = median_cold_start(TASK)
bench = variants[DEFAULT]
print(f"median of 7 here: {here_s:.3f} s to the answer, {here_process_s:.3f} s for the whole process")
print(f"make bench ({DEFAULT}): {bench['cold_start_s']:.3f} s and {bench['process_s']:.3f} s")
memory_mb = read_serverless_yml()["provider"]["memorySize"]
print(f"on Lambda at {memory_mb} MB the function gets {memory_mb / 1769:.2f} of a vCPU")

# %% [markdown]
# Not Lambda's numbers: here Python has a whole core, there the fraction above, and Lambda's steps
# 1–2 are not in it. Expect larger numbers on Lambda, in the same ratios.
#
# ## 3. What `make bench` measured
#
# The benchmark builds the car API's artifact several ways, zips each as osls does and measures it
# as above, then warm requests. Two reference rows bound the design from below:
# `bare-interpreter` imports nothing; `flask-floor` is a minimal Flask + serverless-wsgi app.

# %%
table = pd.DataFrame.from_dict(variants, orient="index")
table["zip MB"], table["unzipped MB"] = table["zip_bytes"] / 1e6, table["unzipped_bytes"] / 1e6
columns = ["about", "zip MB", "unzipped MB", "cold_start_s", "process_s", "warm_p50_ms", "peak_rss_mb"]
display(table[columns].round(3))

grey = {"bare-interpreter", FLOOR}
colours = ["tab:gray" if n in grey else "tab:red" if "sklearn" in n else "tab:green" for n in table.index]
fig, (size, cold) = plt.subplots(1, 2, figsize=(13, 4.5), sharey=True)
size.barh(table.index, table["unzipped MB"], color=colours)
size.set(xlabel="unzipped MB", title="Artifact size")
cold.barh(table.index, table["process_s"], color="none", edgecolor="black", label="whole process")
cold.barh(table.index, table["cold_start_s"], color=colours, label="to the answer")
cold.set(xscale="log", xlim=(0.01, 5), xlabel="seconds (log scale)", title="Cold start (median)")
cold.legend(loc="lower right")
size.invert_yaxis()
fig.tight_layout()
plt.show()
for name, ratio in ratios.items():
    print(f"{name}: {ratio}×")

# %% [markdown]
# scikit-learn (red) costs seconds whatever the packaging; the default is close to the Flask
# floor (`default_over_floor_*`); `sklearn-fat` and `sklearn-fat-valid-bytecode` (or `portable`
# and `portable-checked-hash`) differ only in their bytecode. Sections 4–6 take these apart, live.
#
# ## 4. Where the time goes
#
# `python -X importtime` writes a line per module to stderr when its import finishes: its own time
# (µs), its cumulative time (itself and all it imported) and its name, indented by its nesting. A
# module's imports come *before* it. We run the same cold start with it:


# %%
def import_times(stderr: str) -> pd.DataFrame:
    """One row per module in `-X importtime`'s output, in the order the imports finished."""
    rows = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "[us]" not in line:  # not the header
            own_us, cumulative_us, name = line.removeprefix("import time:").split("|")
            depth, module = (len(name) - len(name.lstrip()) - 1) // 2, name.strip()
            rows.append((module, module.split(".")[0], depth, int(own_us) / 1000, int(cumulative_us) / 1000))
    return pd.DataFrame(rows, columns=["module", "package", "depth", "self_ms", "cumulative_ms"])


profiled = cold_start(TASK, "-X", "importtime")
imports = import_times(profiled["stderr"])
end = imports.index[imports["module"] == "wsgi_handler"][0]  # the handler's own line comes last
begin = imports.index[(imports["depth"] == 0) & (imports.index < end)].max() + 1
direct = imports.loc[begin:end].query("depth == 1")  # what wsgi_handler imported, each with its imports
by_package = direct.groupby("package")["cumulative_ms"].sum().sort_values(ascending=False)
handler_ms = imports.loc[end, "cumulative_ms"]
print(f"`import wsgi_handler`: {handler_ms:.0f} ms of the {profiled['seconds'] * 1000:.0f} ms cold start")
print(f"Flask + Werkzeug, with what they import: {by_package[['flask', 'werkzeug']].sum() / handler_ms:.0%}")
ax = by_package.head(8).iloc[::-1].plot.barh(figsize=(9, 3.5), color="tab:blue")
ax.set(xlabel="ms, cumulative", ylabel="", title="`import wsgi_handler` by package, with what each imports")
plt.show()
print("make bench's slowest (import_times_ms):", [row["module"] for row in results["import_times_ms"][:5]])

# %% [markdown]
# Importing the handler is nearly the whole cold start, and most of it is the framework, not our
# code (`workshop_app.*`); `-X importtime` adds a little of its own, so compare proportions.
# boto3 is not imported for a prediction (exercise 2).
#
# ## 5. The model: no scikit-learn, one parse
#
# With valid bytecode on both sides, what differs between `sklearn-fat-valid-bytecode` and the
# default is the model: pickled scikit-learn (numpy, scipy and sklearn imported) against
# `workshop_app/portable_model.py`, a loop in pure Python over the forest's nodes that predicts
# the same numbers bit for bit (lesson 02; `tests/unit/test_portable_model.py`). The model file
# is parsed on every cold start too: as JSON lists, each number of the forest's nodes is parsed
# digit by digit. `model.json` packs each node field as one base64 string of its bytes
# (`workshop_app/artifacts.py`). The same forest both ways, parsed here (best of 5):

# %%
packed_text = (CARS_MODEL_DIR / "model.json").read_text()
as_lists = json.loads(packed_text)  # the same forest with every node field as a JSON list
model = as_lists["model"]
model["roots"] = unpack(model["roots"], "i").tolist()
model["nodes"] = {k: unpack(v, NODE_ARRAYS[k]).tolist() for k, v in model["nodes"].items()}
lists_text = json.dumps(as_lists)
for name in ("sklearn-fat-valid-bytecode", DEFAULT):
    v = variants[name]
    print(f"{name}: {v['cold_start_s']:.2f} s, {v['unzipped_bytes'] / 1e6:.0f} MB, RSS {v['peak_rss_mb']} MB")
packed_ms = 1000 * min(timeit.repeat(lambda: PortableModel(json.loads(packed_text)), number=1, repeat=5))
lists_ms = 1000 * min(timeit.repeat(lambda: json.loads(lists_text), number=1, repeat=5))
print(f"{len(model['nodes']['left']):,} nodes: packed {packed_ms:.1f} ms (parse and unpack)")
print(f"as JSON lists {lists_ms:.1f} ms (parse alone): {lists_ms / packed_ms:.1f}× longer")

# %% [markdown]
# ## 6. Valid and stale bytecode
#
# An import compiles the source unless `__pycache__` holds a valid `.pyc` (and writes one where it
# can: not in `/var/task`, so every cold start compiles again). pip writes *timestamp* `.pyc`,
# valid while the source's modification time is the one recorded; osls dates every zip entry
# 1980-01-01 (the same files make the same zip), so unpacked, none matches. The deployed artifact
# ships *checked-hash* `.pyc` (PEP 552): they record a hash of the source instead.
#
# We rebuild our artifact as pip leaves it (sources written now, timestamp `.pyc`), zip it as osls
# does (`zip_dir`), unpack it (`unzip`) and ask Python (`-v`) what it does with the bytecode:

# %%
pip_like, STALE = WORK / "pip-like", WORK / "stale"
shutil.copytree(TASK, pip_like)
for source in pip_like.rglob("*.py"):
    os.utime(source)  # pip writes each file at install time
compileall.compile_dir(pip_like, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
zip_dir(pip_like, WORK / "pip-like.zip")  # every entry dated 1980-01-01, as osls zips
unzip(WORK / "pip-like.zip", STALE)


def bytecode_verdicts(task: Path) -> dict[str, float]:
    """How many of the artifact's modules load their .pyc, how many recompile; the cold start."""
    lines = cold_start(task, "-v")["stderr"].splitlines()
    return {
        "valid .pyc": sum(" matches " in line and line.startswith(f"# {task}/") for line in lines),
        "stale .pyc": sum("bytecode is stale" in line for line in lines),
        "median cold start (s)": round(median_cold_start(task, 5)[0], 3),
    }


verdicts = {"checked-hash (deployed)": bytecode_verdicts(TASK), "timestamp": bytecode_verdicts(STALE)}
display(pd.DataFrame.from_dict(verdicts, orient="index"))
pairs = ["sklearn-fat", "sklearn-fat-valid-bytecode", "portable", "portable-checked-hash"]
print("make bench, cold start (s):", {name: variants[name]["cold_start_s"] for name in pairs})

# %% [markdown]
# Same files, and the stale artifact compiles every module of its own on every cold start
# (`slim: true` deletes the `.pyc`: the same). The deployment's plugin
# (`.serverless_plugins/lambda_requirements.py`) compiles checked-hash bytecode with Python 3.12,
# the runtime's version: each version has its own `.pyc` names and ignores the others'.
#
# ## Exercises
#
# ### Exercise 1: what comes with Flask
#
# A wheel lists what it needs as `Requires-Dist:` lines in its `*.dist-info/METADATA`. Read
# Flask's in `TASK` and store the import names of its dependencies, plus `"flask"`, as the set
# `flask_stack` (lower case: `Jinja2` is imported as `jinja2`). Then store in `flask_stack_ms` the
# own import time (`self_ms` in `imports`) of all their modules together.
#
# <details><summary>Hint</summary>
#
# `next(TASK.glob("flask-*.dist-info")) / "METADATA"`; a line looks like `Requires-Dist:
# Werkzeug>=3.1.0`, the name ends before the first of `<>=!;[ `. Skip lines with `extra ==`
# (optional extras). Then `imports[imports["package"].isin(flask_stack)]`.
# </details>

# %% tags=["solution"]
# Exercise 1: set flask_stack (Flask and its dependencies) and flask_stack_ms (their own import time).

metadata = (next(TASK.glob("flask-*.dist-info")) / "METADATA").read_text().splitlines()
requires = [line.removeprefix("Requires-Dist: ") for line in metadata if line.startswith("Requires-Dist:")]
flask_stack = {"flask"} | {re.split(r"[<>=!;\[ ]", r)[0].lower() for r in requires if "extra ==" not in r}
flask_stack_ms = imports.loc[imports["package"].isin(flask_stack), "self_ms"].sum()
print(f"{sorted(flask_stack)}: {flask_stack_ms:.0f} ms of {imports['self_ms'].sum():.0f} ms")

# %% tags=["check"]
from workshop.exercise import answer, check

stack = answer("flask_stack", globals())
needed = {"flask", "werkzeug", "jinja2", "itsdangerous", "click", "blinker"}
check(isinstance(stack, set) and needed <= stack, f"flask_stack should hold all of {sorted(needed)}")
stack_ms, total_ms = answer("flask_stack_ms", globals()), imports["self_ms"].sum()
check(
    abs(stack_ms - imports.loc[imports["package"].isin(stack), "self_ms"].sum()) < 0.01,
    f"flask_stack_ms is {stack_ms}: sum `self_ms` over the rows whose `package` is in flask_stack",
    ok=f"Flask's stack: {stack_ms / total_ms:.0%} of the cold start's import time",
)

# %% [markdown]
# ### Exercise 2: what a prediction does not import
#
# The runner's last line lists the top-level modules a cold start imported (`cold_start()` returns
# them as `modules`). Store a prediction's as the set `cold_modules`. boto3 should not be among
# them: measure what it would add. Run `import boto3` in a fresh `python -I -S -B -X importtime`
# with `TASK` on `sys.path`, and store boto3's cumulative time in ms in `boto3_ms`.
#
# <details><summary>Hint</summary>
#
# `set(cold_start(TASK)["modules"])`. Run `[sys._base_executable, "-I", "-S", "-B", "-X",
# "importtime", "-c", f"import sys; sys.path.insert(0, {str(TASK)!r}); import boto3"]`; pass its
# stderr to `import_times()` and take the row whose `module` is `"boto3"`.
# </details>

# %% tags=["solution"]
# Exercise 2: set cold_modules (a prediction's top-level modules) and boto3_ms (import boto3 from TASK).

cold_modules = set(cold_start(TASK)["modules"])
code = f"import sys; sys.path.insert(0, {str(TASK)!r}); import boto3"
command = [sys._base_executable, "-I", "-S", "-B", "-X", "importtime", "-c", code]
boto3_times = import_times(subprocess.run(command, capture_output=True, text=True, check=True).stderr)
boto3_ms = boto3_times.loc[boto3_times["module"] == "boto3", "cumulative_ms"].item()
print(f"boto3 imported for a prediction: {'boto3' in cold_modules}; importing it: {boto3_ms:.0f} ms")

# %% tags=["check"]
from workshop.exercise import answer, check

modules = answer("cold_modules", globals())
check({"flask", "werkzeug", "workshop_app"} <= set(modules), "cold_modules: the runner's `modules`")
check("boto3" not in modules, "boto3 comes with the first DynamoDB call, not a prediction: use EVENT")
ms = answer("boto3_ms", globals())
check(
    isinstance(ms, int | float) and 10 < ms < 5000,
    f"boto3_ms = {ms!r}: the `cumulative_ms` of the `boto3` row, in ms",
    ok=f"a prediction skips boto3's {ms:.0f} ms; an environment's first DynamoDB call pays them",
)

# %% [markdown]
# ### Exercise 3: who imports click?
#
# Lambda runs no command line, yet the cold start imports `click`. Why? In `imports`, a module's
# importer is the first row *after* it with a smaller `depth`. Store the importer's name in
# `click_imported_by`, and the chain up to `wsgi_handler` as the list `click_chain` (importer first).
#
# <details><summary>Hint</summary>
#
# Start at `row = imports.index[imports["module"] == "click"][0]`; walk forward to the first `i`
# with `imports.loc[i, "depth"] < imports.loc[row, "depth"]`, append its module, continue from
# `i`, stop at depth 0.
# </details>

# %% tags=["solution"]
# Exercise 3: set click_imported_by and click_chain (importer first, up to the top-level import).


def importers(times: pd.DataFrame, module: str) -> list[str]:
    row, chain = times.index[times["module"] == module][0], []
    while times.loc[row, "depth"] > 0:
        row = next(i for i in range(row + 1, len(times)) if times.loc[i, "depth"] < times.loc[row, "depth"])
        chain.append(times.loc[row, "module"])
    return chain


click_chain = importers(imports, "click")
click_imported_by = click_chain[0]
print(" ← ".join(["click", *click_chain]))

# %% tags=["check"]
from workshop.exercise import answer, check

at = imports.index[imports["module"] == "click"][0]
parent = next(i for i in range(at + 1, len(imports)) if imports.loc[i, "depth"] < imports.loc[at, "depth"])
by, chain = answer("click_imported_by", globals()), answer("click_chain", globals())
check(by == imports.loc[parent, "module"], f"{by!r} does not import click: the next row with a smaller depth")
check(
    list(chain)[:1] == [by] and list(chain)[-1:] == ["wsgi_handler"],
    "click_chain starts at the importer and ends at wsgi_handler (depth 0)",
    ok=f"click ← {' ← '.join(chain)}: Flask imports its command line whatever runs it",
)

# %% [markdown]
# ## Key points
#
# - A cold start is download, unpack, runtime start, importing the handler and all it imports,
#   then the first request (for us, loading the model); Lambda bills the INIT phase.
# - Measure it as `make bench` does: a fresh `python -I -S -B` with only the unpacked artifact on
#   its path, the median of several starts; `-X importtime` says where the time goes.
# - What you import decides: scikit-learn costs seconds; the deployed API is mostly Flask's stack,
#   close to a Flask app that does nothing. Packed arrays make the model one cheap parse.
# - osls's zip makes every timestamp `.pyc` stale: ship checked-hash bytecode compiled by the
#   runtime's Python version, or every cold start compiles everything again.

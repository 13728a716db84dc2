# %% [markdown]
# # 08 · Production switches
#
# Four switches of a line each matter in production: the CPU (`make package ARCH=arm64`),
# SnapStart (`SNAPSTART=true`), JSON logs and EMF metrics (on by default). We package with both
# `make` switches on, read what they change in the template and the zips, and price each.
#
# **What you will learn**
#
# - what a request costs on x86_64 and arm64, and how to check that a zip is built for arm64;
# - what SnapStart changes (published versions, an alias, restore hooks), costs and can gain us;
# - what a JSON log line and an EMF metric line are, and why not aws-lambda-powertools here.
#
# **Prerequisites:** lessons 05 (packaging) and 07 (cold starts, `bench/results.json`); osls and
# the project's Python 3.12 venv.
#
# **Teaching:** 25 min · **Exercises:** 25 min

# %% [markdown]
# ## Setup
#
# Run this cell first; it is safe to run again. It reads `bench/results.json` and packages into
# `WORK` with osls, as `make package ARCH=arm64 SNAPSTART=true` does (10–20 s).

# %%
import contextlib
import io
import json
import logging
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections import Counter
from pathlib import Path

import markupsafe
import pandas as pd
import snapshot_restore_py
from awslambdaric import lambda_runtime_hooks_runner as runtime_hooks
from awslambdaric.lambda_runtime_log_utils import JsonFormatter
from IPython.display import display

from workshop import CARS_MODEL_DIR, ROOT
from workshop.lambda_builds import osls_lock, pip_platform_args
from workshop.prices import PRICES, USD_PER_GB_SECOND
from workshop.serverless_config import read_serverless_yml
from workshop.train_cars import ensure_model
from workshop_app import create_app, observability, snapstart
from workshop_app.car_schema import example_car

ensure_model()
results = json.loads((ROOT / "bench" / "results.json").read_text())
variants, DEFAULT, config = results["variants"], results["default"], read_serverless_yml()
shutil.rmtree(globals().get("WORK", ""), ignore_errors=True)  # this cell's last run's, if any
WORK = Path(tempfile.mkdtemp(prefix="lesson-08-"))
path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"  # the venv's python3.12 first
env = dict(os.environ, ARCH="arm64", SNAPSTART="true", PATH=path)
with osls_lock():  # one osls at a time: it writes files into the project
    sls = [str(ROOT / "node_modules" / ".bin" / "sls"), "package", "--stage", "dev", "--package", str(WORK)]
    subprocess.run(sls, cwd=ROOT, env=env, check=True, capture_output=True)
resources = json.loads((WORK / "cloudformation-template-update-stack.json").read_text())["Resources"]

# %% [markdown]
# ## 1. arm64
#
# Lambda bills each request, and *GB-seconds*: memory in GB times the duration, rounded up to the
# millisecond, cold starts (INIT) included. API Gateway bills per request. The benchmark ran on a
# whole core; Lambda gives a whole vCPU at 1,769 MB and a share in proportion below. One cold start
# per 1,000 requests is a guess: change it for your traffic. We assume arm64 runs our code as fast
# as x86_64: **not measured** here, measure it on Lambda. The prices, with where and when read:

# %%
# The prices live in workshop/prices.py (the slides quote the same): each says where and when it
# was read. Free tier ignored; first tiers (6 billion GB-s, 333 million API requests a month).
print(f"prices for {PRICES['region']}, read {PRICES['read']}")
LAMBDA_USD_PER_MILLION_REQUESTS = PRICES["lambda_usd_per_million_requests"]
API_GATEWAY_USD_PER_MILLION = {
    "REST API": PRICES["rest_api_usd_per_million"],  # what we deploy: API keys, usage plans
    "HTTP API": PRICES["http_api_usd_per_million"],
}
MEMORY_MB, FULL_VCPU_MB = config["provider"]["memorySize"], 1769


def compute_usd(seconds: float, memory_mb: int, arch: str) -> float:
    """One invocation's duration charge, for CPU-bound work measured on one whole core."""
    billed_ms = math.ceil(1000 * seconds * FULL_VCPU_MB / min(memory_mb, FULL_VCPU_MB))
    return billed_ms / 1000 * memory_mb / 1024 * USD_PER_GB_SECOND[arch]


def usd_per_million(arch: str, memory_mb: int = MEMORY_MB, cold_every: int = 1000) -> dict:
    """US$ per million predictions through the REST API, by item, for the deployed variant."""
    v, cold = variants[DEFAULT], 1e6 / cold_every
    warm_usd = compute_usd(v["warm_p50_ms"] / 1000, memory_mb, arch)
    cold_usd = compute_usd(v["cold_start_s"], memory_mb, arch)
    return {
        "Lambda compute": (1e6 - cold) * warm_usd + cold * cold_usd,
        "Lambda requests": LAMBDA_USD_PER_MILLION_REQUESTS,
        "API Gateway": API_GATEWAY_USD_PER_MILLION["REST API"],
    }


costs = pd.DataFrame({arch: usd_per_million(arch) for arch in USD_PER_GB_SECOND}).T
costs["total"] = total = costs.sum(axis=1)
display(costs.round(4))
print(f"arm64 saves {1 - total['arm64'] / total['x86_64']:.2%} per million predictions")
ocr = json.loads((ROOT / "bench" / "smartcat.json").read_text())["ocr"]  # SmartCat's page function:
ocr_s = ocr["variants"][ocr["default"]]["seconds_per_page_median"]  # its duration is OCR
page_mb = config["functions"]["page"]["memorySize"]
pages = {arch: f"US${1e6 * compute_usd(ocr_s, page_mb, arch):,.2f}" for arch in USD_PER_GB_SECOND}
print(f"a million OCR'd pages ({ocr_s} s each at {page_mb} MB), compute: {pages}")

# %% [markdown]
# A warm prediction bills the 1 ms minimum: the API's bill is API Gateway's, and arm64 saves a
# fraction of a per cent of it; for a function billed by its duration, a fifth. `ARCH=arm64` sets
# `provider.architecture`, for which the deployment's plugin asks pip for wheels. A wheel for the
# wrong CPU installs fine and fails at import on Lambda: check the zips. A shared library (ELF) names
# its CPU at byte 18, `e_machine` (62: x86-64, 183: AArch64); tests/e2e checks every zip so.

# %%
print("provider.architecture:", config["provider"]["architecture"], "→ pip", pip_platform_args("arm64")[:2])
MACHINES = {62: "x86-64", 183: "AArch64"}


def machines(heads) -> dict:
    """How many ELF files are built for each CPU, from every file's first 20 bytes."""
    elf = (MACHINES.get(int.from_bytes(h[18:20], "little"), "other") for h in heads if h[:4] == b"\x7fELF")
    return dict(Counter(elf))


for zip_path in sorted(WORK.glob("*.zip")):
    with zipfile.ZipFile(zip_path) as archive:
        print(f"{zip_path.name}: {machines(archive.open(n).read(20) for n in archive.namelist())}")
here = Path(markupsafe.__file__).parent.glob("*.so")  # the venv's, built for this machine
print("this machine's markupsafe:", machines(p.read_bytes()[:20] for p in here))

# %% [markdown]
# ## 2. SnapStart
#
# With SnapStart, Lambda runs INIT once, when a version is **published**, snapshots the micro-VM's
# memory and disk, and starts new environments from it. Never for `$LATEST`: API Gateway must call
# a version or an alias:

# %%
api = resources["ApiLambdaFunction"]["Properties"]
print("ApiLambdaFunction:", {k: api[k] for k in ("Architectures", "SnapStart", "MemorySize")})
for name, resource in resources.items():
    if resource["Type"] in ("AWS::Lambda::Version", "AWS::Lambda::Alias") and name.startswith("Api"):
        print(f"{resource['Type']} {name}: {json.dumps(resource['Properties'])[:150]}")
for method in ("ApiGatewayMethodPredictPost", "ApiGatewayMethodJobsPost"):
    uri = resources[method]["Properties"]["Integration"]["Uri"]["Fn::Join"][1]
    print(method, "calls", json.dumps(uri[-4:]))

# %% [markdown]
# osls publishes a version on each deployment and points the `snapstart` alias at it (SmartCat's
# jobs API, without SnapStart, is called at `$LATEST`). A snapshot holds *everything* in memory:
# what must differ per environment is redone in **restore hooks** (`snapshot_restore_py`, part of
# Lambda's Python runtime). Ours, `workshop_app/snapstart.py`:

# %%
source = (ROOT / "workshop_app" / "snapstart.py").read_text()
print(source[source.index("def register") :])

# %% [markdown]
# Before the snapshot the model is loaded and verified (a model that cannot load fails the
# publication, not a request); after each restore `random` is reseeded (all environments would
# draw the same numbers) and AWS clients are dropped (else restored environments would share
# connections). Run as the runtime runs them:

# %%
os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"  # what Lambda sets for a snapshot's INIT
snapshot_restore_py.get_before_snapshot().clear()  # this kernel's registry: empty, then ours
snapshot_restore_py.get_after_restore().clear()
app = create_app({"FEATURES": "cars", "CARS_TABLE": "lesson-08", "MODEL_URI": str(CARS_MODEL_DIR)})
snapstart.register(app)  # as workshop_app/wsgi.py does
print("model loaded before the snapshot hooks:", app.extensions["car_model"].loaded)
runtime_hooks.run_before_snapshot()  # awslambdaric's own runner
print("after them:", app.extensions["car_model"].loaded)
snapshot, draws = random.getstate(), []  # the state every restored environment starts with
for _ in range(2):  # two environments restored from one snapshot
    random.setstate(snapshot)
    runtime_hooks.run_after_restore()
    draws.append(random.random())
print("first random number in each restored environment:", draws)

# %% [markdown]
# **When it pays.** SnapStart for Python bills its cache per GB-second while a version is active,
# and each restore per GB. It takes imports and the model load out of a cold start and adds a
# restore, whose time we have not measured (a restored invocation's REPORT line gives its
# `Restore Duration`: AWS's [SnapStart monitoring page](https://docs.aws.amazon.com/lambda/latest/dg/snapstart-monitoring.html)).
# We can cite no published Python figure, so we bound the gain by our cold starts, at our memory:

# %%
# SnapStart's prices were read for another region and date than the rest: see workshop/prices.py.
print(f"SnapStart prices for {PRICES['snapstart_region']}, read {PRICES['snapstart_read']}: check them")
SNAPSTART_CACHE_USD_PER_GB_SECOND = PRICES["snapstart_cache_usd_per_gb_second"]
SNAPSTART_RESTORE_USD_PER_GB = PRICES["snapstart_restore_usd_per_gb"]
gb, month_s = MEMORY_MB / 1024, 30 * 24 * 3600
for name in (DEFAULT, "flask-floor", "sklearn-fat"):
    cold_s = variants[name]["cold_start_s"] * FULL_VCPU_MB / MEMORY_MB
    init_usd = compute_usd(variants[name]["cold_start_s"], MEMORY_MB, "x86_64")
    print(f"{name}: at most {cold_s:.2f} s to gain per cold start, whose INIT costs US${init_usd:.7f}")
restore_usd, cache_usd = gb * SNAPSTART_RESTORE_USD_PER_GB, gb * month_s * SNAPSTART_CACHE_USD_PER_GB_SECOND
print(f"SnapStart: US${restore_usd:.7f} a restore, and US${cache_usd:.2f} a month of cache per version")

# %% [markdown]
# For our API SnapStart saves at most the fraction of a second printed above per cold start, and
# each restore costs more than the INIT it replaces, plus the cache: worth it, for latency, when
# INIT takes seconds (the scikit-learn variant), not for ours.
#
# ## 3. JSON logs and EMF metrics
#
# With `logFormat: JSON` the runtime writes each log record as a JSON object, its `extra` fields
# as keys, the request id added. `workshop_app/observability.py` logs a line per request (route,
# status, duration, model id; never a body or a key) and, with `METRICS=emf`, prints metrics in
# CloudWatch's *Embedded Metric Format*: a JSON line on stdout that CloudWatch turns into metrics,
# with no client and no API call. A batch prediction, formatted by the runtime's `JsonFormatter`:

# %%
print("provider:", config["provider"]["logs"], config["provider"]["environment"])
os.environ.update(METRICS="emf", AWS_LAMBDA_FUNCTION_NAME="serverless-ml-workshop-dev-api")
observability.emitting.cache_clear()  # METRICS is read once per process
handler = logging.StreamHandler(logs := io.StringIO())
handler.setFormatter(JsonFormatter())
handler.formatter.converter = time.gmtime  # as on Lambda: UTC; a request id, and no asyncio task
handler.addFilter(lambda r: r.__dict__.update(aws_request_id=str(uuid.uuid4()), taskName=None) or True)
observability.log.handlers[:] = [handler]
observability.log.setLevel(logging.INFO)
with contextlib.redirect_stdout(stdout := io.StringIO()):
    response = app.test_client().post("/predict", json=[example_car()] * 3)
log_line, emf_line = logs.getvalue().strip(), stdout.getvalue().strip()
print(response.status_code, response.get_json(), "\nlog:", log_line, "\nEMF:", emf_line)

# %% [markdown]
# Logs Insights queries the log lines' fields as they are (`filter status >= 500`). From an EMF
# line CloudWatch makes a metric per name in `_aws.CloudWatchMetrics[].Metrics`, in its namespace,
# dimensioned by the keys listed, valued by the line's top-level fields. **Why not
# aws-lambda-powertools?** Its Logger and Metrics do all this and more, but every cold start pays
# their import. From `workshop_app/observability.py`, against the benchmark:

# %%
doc = observability.__doc__
print(doc[doc.index("Standard library only") :].strip())
print(f"the deployed API's cold start (make bench): {1000 * variants[DEFAULT]['cold_start_s']:.0f} ms")

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: a month's bill on both architectures
#
# A month: **40 predictions a second for 8 hours a day, 22 days**, one cold start per **500**
# requests, and **150,000 scanned pages** through the page function (`ocr_s` seconds each at
# `page_mb`). Store the month's Lambda + API Gateway bill in US$ per architecture as the dict
# `monthly_usd` (`{"x86_64": ..., "arm64": ...}`), with the assumptions above.
#
# <details><summary>Hint</summary>
#
# `usd_per_million(arch, cold_every=500)` gives the API's items per million predictions. A page
# costs `compute_usd(ocr_s, page_mb, arch)` plus Lambda's request fee, and no API Gateway.
# </details>

# %% tags=["solution"]
# Exercise 1: set monthly_usd = {"x86_64": ..., "arm64": ...} for the traffic above.

predictions, pages = 40 * 8 * 3600 * 22, 150_000
monthly_usd = {
    arch: predictions / 1e6 * sum(usd_per_million(arch, cold_every=500).values())
    + pages * (compute_usd(ocr_s, page_mb, arch) + LAMBDA_USD_PER_MILLION_REQUESTS / 1e6)
    for arch in USD_PER_GB_SECOND
}
print({arch: round(usd, 2) for arch, usd in monthly_usd.items()})

# %% tags=["check"]
from workshop.exercise import answer, check

bill = answer("monthly_usd", globals())
check(isinstance(bill, dict) and set(bill) == {"x86_64", "arm64"}, "monthly_usd: {'x86_64': …, 'arm64': …}")
want = {
    a: 40 * 8 * 3600 * 22 / 1e6 * sum(usd_per_million(a, cold_every=500).values())
    + 150_000 * (compute_usd(ocr_s, page_mb, a) + LAMBDA_USD_PER_MILLION_REQUESTS / 1e6)
    for a in USD_PER_GB_SECOND
}
check(
    all(math.isclose(bill[a], want[a], rel_tol=0.01) for a in want),
    f"expected about US${want['x86_64']:.2f} and US${want['arm64']:.2f}: predictions, pages, request fees",
    ok=f"arm64 saves US${want['x86_64'] - want['arm64']:.2f} a month, most of it on OCR",
)

# %% [markdown]
# ### Exercise 2: a restore hook of your own
#
# Say each environment tags its log lines with an id made at import, `instance = {"id":
# uuid.uuid4().hex}`: restored from one snapshot, all would carry the same. Make `instance`, and
# a function `renew_instance` that gives it a new id, registered to run after each restore.
#
# <details><summary>Hint</summary>
#
# `snapshot_restore_py.register_after_restore(renew_instance)`, or use it as a decorator. The
# check plays two restores from one snapshot with `runtime_hooks.run_after_restore()`.
# </details>

# %% tags=["solution"]
# Exercise 2: define instance and renew_instance(), registered to run after each restore.

instance = {"id": uuid.uuid4().hex}


@snapshot_restore_py.register_after_restore
def renew_instance() -> None:
    instance["id"] = uuid.uuid4().hex


# %% tags=["check"]
from workshop.exercise import answer, check

state, renew = answer("instance", globals()), answer("renew_instance", globals())
hooks, ids = [function for function, _, _ in snapshot_restore_py.get_after_restore()], []
check(renew in hooks, "register renew_instance with snapshot_restore_py.register_after_restore")
for _ in range(2):  # two environments restored from one snapshot
    state["id"] = "from-the-snapshot"
    runtime_hooks.run_after_restore()
    ids.append(state["id"])
check(
    "from-the-snapshot" not in ids and ids[0] != ids[1],
    f"after two restores the ids are {ids}: renew_instance must give instance a new id",
    ok="each restored environment has its own id",
)

# %% [markdown]
# ### Exercise 3: read a log line and an EMF line
#
# Write a function `emf_metrics` of a line: what CloudWatch makes of one EMF line, a list with a
# dict per metric (keys `namespace`, `name`, `unit`, `value`, and `dimensions`: name → value); and
# `log_summary`: the `(route, status, duration_ms)` of one of our JSON log lines (try `log_line`).
#
# <details><summary>Hint</summary>
#
# `json.loads(line)["_aws"]["CloudWatchMetrics"]` is a list of `{"Namespace", "Dimensions",
# "Metrics"}`: `Dimensions` a list of lists of keys, `Metrics` a list of `{"Name", "Unit"}`. The
# metrics' and the dimensions' values are the line's top-level fields.
# </details>

# %% tags=["solution"]
# Exercise 3: write emf_metrics(line) and log_summary(line).


def emf_metrics(line: str) -> list[dict]:
    fields = json.loads(line)
    return [
        dict(namespace=d["Namespace"], name=m["Name"], unit=m.get("Unit"), value=fields[m["Name"]])
        | {"dimensions": {key: fields[key] for key in keys}}
        for d in fields["_aws"]["CloudWatchMetrics"]
        for keys in d["Dimensions"]
        for m in d["Metrics"]
    ]


def log_summary(line: str) -> tuple:
    return tuple(json.loads(line)[key] for key in ("route", "status", "duration_ms"))


print(emf_metrics(emf_line), log_summary(log_line))

# %% tags=["check"]
from workshop.exercise import answer, check

read_emf, read_log = answer("emf_metrics", globals()), answer("log_summary", globals())
with contextlib.redirect_stdout(out := io.StringIO()):  # two metrics, one dimension more
    observability.metrics({"Pages": 2, "PageFailures": 1}, method="ocr")
got = sorted(read_emf(out.getvalue()), key=lambda metric: metric["name"])
check(len(got) == 2, f"{len(got)} metrics: one per name in Metrics (here Pages and PageFailures)")
dims = {"function": "api", "method": "ocr"}
want = {"namespace": "ServerlessMlWorkshop", "name": "Pages", "unit": "Count", "value": 2, "dimensions": dims}
check(got[1] == want, f"{got[1]!r}: namespace, name, unit, value and the dimensions' values")
check(
    tuple(read_log(log_line)) == ("/predict", 200, json.loads(log_line)["duration_ms"]),
    "log_summary should return (route, status, duration_ms)",
    ok="one metric per name and dimension set; a log line's fields as they are",
)

# %% [markdown]
# ## Key points
#
# - `ARCH=arm64` builds every zip for Graviton, 20 % cheaper per GB-second: little for an API
#   whose bill is API Gateway's, a fifth for CPU-bound functions. Check the zips' ELF headers: a
#   wheel for the wrong CPU installs fine and fails at import.
# - SnapStart (`SNAPSTART=true`) needs published versions and an alias for API Gateway to call;
#   restore hooks load the model before the snapshot and redo per-environment state after it. Its
#   restores and cache are billed: little to gain for a cold start of ~0.1–0.2 s, much for seconds.
# - JSON logs make every record queryable; EMF lines make metrics from stdout with no client or API
#   call. A few standard-library lines instead of a library keep them out of the cold start.

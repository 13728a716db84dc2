# %% [markdown]
# # 05 · Package, emulate, deploy
#
# Lambda runs a **zip**: our code, every library it imports, and the model, unpacked into
# `/var/task` of a Linux machine we never see. We build that zip three ways and measure what
# each costs in size and cold-start time, look inside what `sls package` produces, run the
# packaged API on localhost behind an emulated API Gateway, deploy the real CloudFormation stack
# into local AWS, and see what changes for real AWS.
#
# **What you will learn**
#
# - what goes into a Lambda artifact, and how big it may be: 50 MB zipped for a direct upload,
#   262,144,000 bytes unzipped;
# - what the `slim` option removes, and what that breaks: package metadata, and the bytecode
#   that makes cold starts fast;
# - why the wheels must be Linux's, whichever machine packages;
# - what `sls package` generates: the zip, and a CloudFormation template with the API, its keys,
#   and the function's permissions;
# - how to run the deployment on your laptop (serverless-offline, and the real stack in local
#   AWS), and how to deploy to AWS and remove it again.
#
# **Teaching:** 30 min · **Exercises:** 15 min
#
# Running the whole notebook takes two to three minutes: it installs packages, starts Python
# many times and deploys a stack. The first run also downloads the wheels, tens of megabytes;
# pip keeps them in `.cache/pip` for later runs.

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again. It trains a model if there is none (about 10 s),
# and makes a temporary directory for everything we build; "Clean up" at the end deletes it.

# %%
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import requests
from tqdm.auto import tqdm

from workshop import CARS_MODEL_DIR, EVENTS_DIR, LAMBDA_RUNNER, ROOT
from workshop.deploy import UNZIPPED_LIMIT, ZIPPED_LIMIT, report
from workshop.lambda_builds import (
    add_app,
    compile_bytecode,
    osls_lock,
    pip_install,
    pip_platform_args,
    remove_bytecode,
    sizes_by_top,
    slim,
    tree_size,
    unzip,
    zip_dir,
)
from workshop.local_aws import MotoServer, free_port
from workshop.offline import LOCAL_API_KEY, Offline
from workshop_app.car_model import ModelUnavailable, load_model
from workshop_app.car_schema import example_car

try:
    load_model(str(CARS_MODEL_DIR))
    load_model(str(CARS_MODEL_DIR), fmt="sklearn")  # the pickle, for the scikit-learn artifacts
except ModelUnavailable as e:  # no model yet, or one from an older version of the workshop
    print(f"training a model, because: {e}")
    from workshop.train_cars import train

    train()

workdir = tempfile.TemporaryDirectory(prefix="nb05-")  # see "Clean up" at the end
WORK = Path(workdir.name)
PIP_CACHE = ROOT / ".cache" / "pip"  # wheels are downloaded once, then reused
LAMBDA_TXT = ROOT / "requirements" / "lambda.txt"
RUNNER = LAMBDA_RUNNER
EVENT = EVENTS_DIR / "rest_v1_predict.json"
MB = 1e6
# The artifacts hold Lambda's compiled code (Linux, x86_64); elsewhere only the portable one runs.
LAMBDA_LIKE = sys.platform == "linux" and platform.machine() == "x86_64"
pd.set_option("display.max_colwidth", 120)
plt.rcParams.update({"figure.figsize": (11, 4), "axes.grid": True, "grid.alpha": 0.3})
print("building in", WORK)

# %% [markdown]
# ## 1. Three artifacts, side by side
#
# `sls package` asks the serverless-python-requirements plugin to `pip install` the requirements
# into a directory, adds the app, serverless-wsgi's handler and the model, and zips it all.
# `workshop/lambda_builds.py` does the same steps one by one, so that we can compare variants:
#
# | artifact | requirements | model | then |
# |---|---|---|---|
# | `sklearn-fat` | `requirements/lambda.txt`, scikit-learn, numpy | `model.joblib` (pickle) | nothing |
# | `sklearn-slim` | the same | the same | the plugin's `slim: true`, without `strip` |
# | `portable` | `requirements/lambda.txt` only | `model.json` (pure Python) | hash-checked bytecode |
#
# `portable` is what `serverless.yml` deploys. The scikit-learn versions are the ones the model
# was trained with, which the manifest records: a pickle only loads in the version that wrote it.

# %%
versions = json.loads((CARS_MODEL_DIR / "manifest.json").read_text())["versions"]
SKLEARN = [f"scikit-learn=={versions['scikit-learn']}", f"numpy=={versions['numpy']}"]
VARIANTS = {
    "sklearn-fat": {"extra": SKLEARN, "model": "model.joblib", "format": "sklearn"},
    "sklearn-slim": {"same_as": "sklearn-fat", "slim": True, "format": "sklearn"},
    "portable": {"extra": [], "model": "model.json", "format": "portable", "bytecode": True},
}
print("scikit-learn artifacts add", SKLEARN)


# %%
def build(name: str, spec: dict) -> dict:
    """Build one artifact as `sls package` does, zip it, and unpack the zip into WORK/name as
    Lambda unpacks it into /var/task. Returns its sizes in bytes."""
    staging = WORK / "staging" / name
    if "same_as" in spec:  # same installation: copy it rather than install it again
        shutil.copytree(WORK / "staging" / spec["same_as"], staging, symlinks=True)
    else:
        pip_install(["-r", str(LAMBDA_TXT), *spec["extra"]], staging, cache=PIP_CACHE)
        add_app(staging, ("manifest.json", spec["model"]))
    removed = slim(staging) if spec.get("slim") else 0
    if spec.get("bytecode"):  # what serverless.yml's checked-hash-bytecode plugin does
        remove_bytecode(staging)
        compile_bytecode(staging)
    zipped = zip_dir(staging, WORK / f"{name}.zip")
    unzip(WORK / f"{name}.zip", WORK / name)
    (WORK / f"{name}.zip").unlink()  # its size is all we need from it
    return {"zipped": zipped, "unzipped": tree_size(WORK / name), "removed by slim": removed}


started = time.perf_counter()
sizes = {name: build(name, spec) for name, spec in tqdm(VARIANTS.items(), desc="building", unit="artifact")}
shutil.rmtree(WORK / "staging")
print(f"built in {time.perf_counter() - started:.0f} s")


# %%
# extra code – the sizes as a table, against Lambda's limits
def size_table(sizes: dict) -> pd.DataFrame:
    table = pd.DataFrame(sizes).T[["zipped", "unzipped"]]
    return pd.DataFrame(
        {
            "zipped MB": (table["zipped"] / MB).round(1),
            "unzipped MB": (table["unzipped"] / MB).round(1),
            "% of zip limit": (100 * table["zipped"] / ZIPPED_LIMIT).round().astype(int),
            "% of unzipped limit": (100 * table["unzipped"] / UNZIPPED_LIMIT).round().astype(int),
            "fits?": (table["unzipped"] <= UNZIPPED_LIMIT).map({True: "yes", False: "NO"}),
        }
    )


size_table(sizes)

# %%
ax = (pd.DataFrame(sizes).T[["zipped", "unzipped"]] / MB).plot.bar(rot=0, color=["tab:blue", "tab:orange"])
ax.axhline(ZIPPED_LIMIT / MB, color="tab:blue", ls="--", lw=1.2, label="zipped limit, direct upload (50 MiB)")
ax.axhline(
    UNZIPPED_LIMIT / MB, color="tab:orange", ls="--", lw=1.2, label="unzipped limit (262,144,000 bytes)"
)
ax.set(ylabel="MB", title="Lambda artifacts: zipped and unzipped size")
ax.legend()
plt.show()

# %% [markdown]
# Two limits apply ([Lambda quotas](https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)):
#
# - **unzipped**, 262,144,000 bytes for the function and its layers together. This one is hard:
#   the fat scikit-learn artifact does not deploy at all.
# - **zipped**, 50 MB when you upload the zip directly. The Serverless Framework uploads it to an
#   S3 bucket first and points Lambda at it, so a larger zip still deploys; but every deploy
#   uploads it again, and a larger package takes longer to fetch and unpack whenever Lambda
#   sets up a new execution environment.
#
# Where do the bytes of the fat one go? `sizes_by_top()` adds them up per top-level entry of
# the unpacked artifact:

# %%
by_top = pd.Series(sizes_by_top(WORK / "sklearn-fat")) / MB
shown = pd.concat([by_top.head(12), pd.Series({"(everything else)": by_top.iloc[12:].sum()})])
numerical = ("numpy", "scipy", "sklearn", "scikit_learn")  # and their *.libs, *.dist-info
ax = shown.iloc[::-1].plot.barh(
    color=["tab:red" if name.startswith(numerical) else "tab:gray" for name in shown.index[::-1]]
)
ax.set(xlabel="MB unzipped", title="sklearn-fat: what takes the space")
plt.show()
shown.round(1).to_frame("MB")

# %% [markdown]
# scipy (with the OpenBLAS it bundles in `scipy.libs`), scikit-learn and numpy are most of it;
# botocore, the AWS API descriptions boto3 reads, is the largest part of the portable artifact.
# Not one byte of pandas: the model takes a plain array (notebook 02), or it would not fit.
#
# ## 2. What `slim` removes, and what it breaks
#
# `slim: true` deletes three kinds of files the plugin considers unnecessary at run time
# (`**/*.py[c|o]`, `**/__pycache__*`, `**/*.dist-info*`), and **strips** the shared libraries'
# debugging symbols with `strip`. In the fat artifact:


# %%
def kind(relative: str) -> str:
    parts = relative.split("/")
    if any(part.endswith(".dist-info") for part in parts):
        return "package metadata (*.dist-info)"
    if "__pycache__" in parts or relative.endswith((".pyc", ".pyo")):
        return "bytecode (__pycache__/*.pyc)"
    if "tests" in parts:
        return "test suites (tests/), kept by default"
    return "everything else"


fat = WORK / "sklearn-fat"
by_kind = Counter()
for path in fat.rglob("*"):
    if path.is_file():
        by_kind[kind(path.relative_to(fat).as_posix())] += path.stat().st_size
print(f"slim removed {sizes['sklearn-slim']['removed by slim'] / MB:.1f} MB")
(pd.Series(by_kind) / MB).round(1).sort_values().to_frame("MB in sklearn-fat")

# %% [markdown]
# ### Breakage 1: no package metadata
#
# A `*.dist-info` directory is how Python knows that a distribution is installed: its name,
# version, files and entry points. Without it the code still imports, but
# `importlib.metadata` cannot find the package, nor can anything built on it: plugin discovery
# through entry points, or a library that checks its dependencies' versions before using them.
# We run a bare Python in each unpacked artifact (`-I -S`: no site-packages, nothing but the
# artifact on `sys.path`, as on Lambda; `-B`: write no bytecode into it, as on Lambda). On a
# Mac, or anything but Linux on x86_64, `import sklearn` fails here for another reason: the
# artifacts hold Lambda's compiled code, as we will see below.

# %%
PROBE = """
import importlib.metadata, sys
sys.path.insert(0, sys.argv[1])
try:
    print("importlib.metadata.version:", importlib.metadata.version("scikit-learn"))
except importlib.metadata.PackageNotFoundError as e:
    print("importlib.metadata.version: PackageNotFoundError:", e)
import sklearn; print("import sklearn:", sklearn.__version__)
"""
for name in ("sklearn-fat", "sklearn-slim"):
    probe = subprocess.run(
        [sys._base_executable, "-I", "-S", "-B", "-c", PROBE, str(WORK / name)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    errors = probe.stderr.strip().splitlines()[-1:]  # the exception, if there was one
    print(f"{name}:\n  " + "\n  ".join(probe.stdout.splitlines() + errors))

# %% [markdown]
# ### Breakage 2: every cold start compiles
#
# Python runs **bytecode**. Importing a module compiles its source, unless a valid `.pyc` in
# `__pycache__` already holds the result; normally Python writes one on first import. On Lambda
# `/var/task` is read-only: whatever a cold start compiles is lost, and the next cold start
# compiles it all again. After `slim`, that is every module of scipy and scikit-learn.
#
# The `.pyc` that pip writes do not survive the zip either. Each records the modification time
# of its source file, and osls writes every file into the zip with one fixed date (1980-01-01,
# so that the same files always give the same zip; `lambda_builds.zip_dir()` does the same).
# After unpacking, no source file has the time its `.pyc` expects, and Python ignores them all.
# *Hash-checked* `.pyc` (`compileall --invalidation-mode checked-hash`,
# `lambda_builds.compile_bytecode()`) compare a hash of the source instead, and survive. Let us
# look at every `.py` file in the artifacts:


# %%
def bytecode_state(source: Path) -> str:
    """Whether Python can use the cached bytecode of `source` (a .py file)."""
    cached = Path(importlib.util.cache_from_source(str(source)))
    if not cached.exists():
        return "no .pyc: compiled at import"
    header = cached.read_bytes()[:16]  # magic, flags, then source mtime and size (or a hash)
    if int.from_bytes(header[4:8], "little") & 1:
        return "hash-checked .pyc: used"
    stat = source.stat()
    valid = (
        int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
    )
    return "timestamp .pyc: used" if valid else "stale timestamp .pyc: compiled at import"


pd.DataFrame(
    {name: Counter(bytecode_state(p) for p in (WORK / name).rglob("*.py")) for name in VARIANTS}
).fillna(0).astype(int)

# %% [markdown]
# Now the cold start itself. `workshop/lambda_runner.py` does what a new Lambda container does: a
# bare Python 3.12 (`-I -S`, nothing but the artifact on `sys.path`; `-B`, never writing `.pyc`,
# as on the read-only `/var/task`) imports the handler and answers one event, here
# `POST /predict`, so loading the model is included. Three cold starts each, the median:


# %%
def cold_start(name: str, fmt: str) -> float:
    """One cold start of the unpacked artifact WORK/name: seconds to the first answer."""
    environment = {
        "MODEL_URI": "models/cars",
        "MODEL_FORMAT": fmt,
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }
    result = subprocess.run(
        [sys._base_executable, "-I", "-S", "-B", str(RUNNER), str(WORK / name), str(EVENT)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    first = json.loads(result.stdout.splitlines()[0])  # the first event's line
    assert first["response"]["statusCode"] == 200, first["response"]
    return first["seconds"]


runnable = [name for name in VARIANTS if LAMBDA_LIKE or VARIANTS[name]["format"] == "portable"]
if not LAMBDA_LIKE:
    print(f"this is not Linux on x86_64: only {runnable} can run here, the others need Lambda's")
runs = {name: [] for name in VARIANTS}
for name in tqdm([n for n in runnable for _ in range(3)], desc="cold starts"):
    runs[name].append(cold_start(name, VARIANTS[name]["format"]))
cold = pd.Series(
    {name: statistics.median(seconds) if seconds else float("nan") for name, seconds in runs.items()},
    name="cold start s (median of 3)",
)
size_table(sizes)[["zipped MB", "unzipped MB"]].join(cold.round(2))

# %%
ax = cold.plot.barh(color=["tab:red", "tab:red", "tab:green"])
for y, seconds in enumerate(cold):
    ax.annotate(f" {seconds:.2f} s", (seconds, y), va="center")
ax.invert_yaxis()
ax.set(xlabel="seconds from a new Python to the first prediction", title="Cold start")
plt.show()

# %% [markdown]
# The two scikit-learn artifacts start about equally slowly: the fat one's `.pyc` were all
# stale, so both compile scipy and scikit-learn on every cold start while the client of a new
# container waits seconds. Valid bytecode would not fit: it is as big as the `.pyc` that slim
# removed, far more than the space left under the limit. The portable artifact is a fraction of
# the size and answers in a fraction of a second: it imports Flask and the standard library,
# from hash-checked bytecode. (Lambda's CPU is slower than a laptop's,
# at 1,024 MB a little over half a core: expect larger numbers there, in the same proportions.)
# Notebook 06 takes cold starts further apart, with the variants `make bench` measures.
#
# ### Breakage 3: stripped libraries
#
# `strip` removes symbol tables from the compiled `.so` files to save space. On scipy's bundled
# OpenBLAS it produced a library that no longer loaded ("ELF load command address/offset not
# page-aligned"), so the zip built but the function failed at `import scipy`. That is why
# `serverless.yml`'s comments recommend `strip: false` for a scikit-learn artifact, and why
# `lambda_builds.slim()` never strips. Always run the packaged artifact before you deploy it.
#
# ### Lambda's wheels, whatever machine packages
#
# Those `.so` files are compiled code for one operating system, processor and Python. pip
# chooses the right *wheel* for the machine it runs on: on a Mac that would be macOS code for
# Apple's processors, which Lambda's Linux cannot load ("invalid ELF header"). So the plugin
# passes pip these arguments (from `serverless.yml`), and gets Lambda's wheels on any machine,
# without Docker; `--only-binary` makes pip fail rather than compile something for the host:

# %%
print(" ".join(pip_platform_args()))
tags = {}
for info in sorted(fat.glob("*.dist-info")):
    wheel = (info / "WHEEL").read_text().splitlines()
    package = info.name.split("-")[0].lower()
    tags[package] = ", ".join(line.split(": ")[1] for line in wheel if line.startswith("Tag:"))
shown_packages = ["numpy", "scipy", "scikit_learn", "markupsafe", "flask", "six"]
pd.Series({name: tags[name] for name in shown_packages if name in tags}).to_frame("wheel tags pip chose")

# %% [markdown]
# `cp312` is CPython 3.12's binary interface, `manylinux…_x86_64` a Linux for Intel/AMD
# processors, like `architecture: x86_64` in `serverless.yml`; `py3-none-any` is pure Python and
# runs anywhere. The compiled files carry the same in their names, and start with the
# four bytes of a Linux executable (ELF):

# %%
for library in sorted((fat / "numpy" / "_core").glob("*.so"))[:4]:
    print(f"{library.read_bytes()[:4]!r}  {library.relative_to(fat)}")

# %% [markdown]
# ## 3. `sls package`
#
# Now the real thing, as `make package` runs it: osls (the open Serverless Framework) reads
# `serverless.yml`, its plugins install the requirements with those pip arguments and add the
# handler, and it writes the zip and the CloudFormation template. No AWS account is needed. The
# project's `.venv/bin` comes first on `PATH`, so the plugins find its `python3.12`.


# %%
def plain(text: str) -> str:
    """Text without the terminal colour codes osls adds."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


package_dir = WORK / "sls-package"
venv_bin = Path(sys.executable).parent
started = time.perf_counter()
with osls_lock():  # one osls at a time in this project (the tests run notebooks side by side)
    packaged = subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "sls"),
            "package",
            "--stage",
            "dev",
            "--package",
            str(package_dir),
        ],
        cwd=ROOT,
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=600,
    )
print(
    "\n".join(
        line
        for line in plain(packaged.stdout + packaged.stderr).splitlines()
        if line.strip()
        and "NodeVersionSupportWarning" not in line
        and not line.startswith(
            (
                "versions published",
                "will require",
                "To continue",
                "and security",
                "More information",
                "(Use `node",
            )
        )
    )
)
packaged.check_returncode()
print(f"\n{time.perf_counter() - started:.0f} s; wrote:", sorted(p.name for p in package_dir.iterdir()))

# %%
assert report(package_dir / "serverless-ml-workshop.zip") == 0, "the package has a problem (above)"

# %% [markdown]
# `workshop.deploy.report()` is what `make package` prints: sizes against the limits, and a
# warning for any heavy package that has no business in the function.
#
# ### The CloudFormation template
#
# `cloudformation-template-update-stack.json` describes everything `sls deploy` will create.
# From our short `serverless.yml` the framework generated these resources:

# %%
template = json.loads((package_dir / "cloudformation-template-update-stack.json").read_text())
resources = template["Resources"]
print(f"{len(resources)} resources")
pd.Series(Counter(r["Type"] for r in resources.values())).sort_values(ascending=False).to_frame("count")

# %% [markdown]
# One `AWS::ApiGateway::Method` per route in `serverless.yml`. The write routes are
# `private: true` there, which becomes `ApiKeyRequired` here: API Gateway rejects a request
# without a valid `x-api-key` header before it reaches (and costs) a Lambda invocation.


# %%
def path_of(resource_id: dict) -> str:
    """The URL path of an API Gateway resource, from its chain of parents."""
    if "Ref" not in resource_id:  # {"Fn::GetAtt": ["ApiGatewayRestApi", "RootResourceId"]}
        return ""
    properties = resources[resource_id["Ref"]]["Properties"]
    return f"{path_of(properties['ParentId'])}/{properties['PathPart']}"


methods = pd.DataFrame(
    [
        {
            "method": r["Properties"]["HttpMethod"],
            "path": path_of(r["Properties"]["ResourceId"]) or "/",
            "ApiKeyRequired": r["Properties"].get("ApiKeyRequired", False),
        }
        for r in resources.values()
        if r["Type"] == "AWS::ApiGateway::Method"
    ]
)
methods.sort_values(["path", "method"]).set_index(["path", "method"])


# %% [markdown]
# And the function's permissions: the IAM role it runs as. Every function in `serverless.yml`
# has its own role (`ApiRole` here; SmartCat's split, page and aggregate have theirs), written
# under `resources`. The first statement lets it write its own log group; each other names its
# actions and the resources they apply to, so that a bug, or an attacker, in the function can
# read and write cars, read the model and work on SmartCat's jobs, and nothing else.
# `tests/e2e/test_iam.py` records every AWS call each function makes and checks both ways: each
# call is allowed, and each permission is used.


# %%
# extra code – CloudFormation's references ({"Fn::GetAtt": ["CarsTable", "Arn"]}) as short text
def readable(value) -> str:
    if isinstance(value, list):
        return ", ".join(readable(v) for v in value)
    if isinstance(value, dict):
        [(function, argument)] = value.items()
        if function == "Fn::GetAtt":
            return ".".join(argument)
        if function == "Fn::Join":
            return argument[0].join(readable(v) for v in argument[1])
        if function == "Fn::Sub":
            return argument
        return f"{function}({readable(argument)})"
    return str(value)


role = resources["ApiRole"]["Properties"]
statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
pd.DataFrame(
    [
        {"effect": s["Effect"], "actions": readable(s["Action"]), "resource": readable(s["Resource"])}
        for s in statements
    ]
)

# %% [markdown]
# ## 4. API Gateway and Lambda on your laptop: serverless-offline
#
# `make offline` runs `sls offline start`: the serverless-offline plugin reads the same
# `serverless.yml`, serves its routes on localhost like API Gateway (API keys included), and
# runs each request through serverless-wsgi's handler in a Python process, like Lambda. Local
# AWS (moto) stands in for DynamoDB. `workshop.offline.Offline` starts both, on free ports, and
# stops them at the end of the `with` block:

# %%
car = example_car()
started = time.perf_counter()
with osls_lock(), Offline(free_port(), free_port(), free_port(), quiet=True) as offline:
    print(f"serverless-offline on {offline.url}, ready in {time.perf_counter() - started:.0f} s")
    root = requests.get(f"{offline.url}/", allow_redirects=False, timeout=30)
    print("GET /                        →", root.status_code, root.json()["links"])
    no_key = requests.post(f"{offline.url}/cars", json=car, timeout=30)
    print("POST /cars without a key     →", no_key.status_code, no_key.text.strip())
    with_key = requests.post(
        f"{offline.url}/cars", json=car, timeout=30, headers={"x-api-key": LOCAL_API_KEY}
    )
    print("POST /cars with x-api-key    →", with_key.status_code, "Location:", with_key.headers["Location"])

# %% [markdown]
# - `GET /` answers 200, not a redirect: that is the empty-path quirk of notebook 04, mended.
#   The links have no `/dev`: the Host is `127.0.0.1`, not an `execute-api` domain.
# - Without the key, the emulated API Gateway answers 403 itself; the function never runs.
#   (In AWS the body would be the app's JSON shape, from the `GatewayResponse` resources in
#   `serverless.yml`; serverless-offline has its own.) The local key is fixed,
#   `workshop.offline.LOCAL_API_KEY`; in AWS, API Gateway generates one.
#
# ## 5. The real stack, in local AWS
#
# serverless-offline emulates; it does not deploy anything. To try the deployment itself,
# CloudFormation stack and all, without an AWS account, point osls at local AWS:
#
# ```bash
# make local-aws        # terminal 1: a moto server on :4566, until Ctrl-C
# make deploy-local     # terminal 2: the real `sls deploy`, into it, then checks every resource
# make remove-local     # and out again, checking that nothing is left
# ```
#
# Here the same, from Python, on a free port. Our `AWS_*` variables are left out of `make`'s
# environment: the Makefile sets local AWS's own, and nothing of a real AWS configuration should
# leak in. This takes about a minute: osls packages again, then moto creates the stack.


# %%
def make(target: str, moto_port: int) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        ["make", "--no-print-directory", target, f"MOTO_PORT={moto_port}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def progress(result: subprocess.CompletedProcess) -> None:
    """The lines that say what happened: the framework's ✔/×, our checks' ✓/✗, the model upload."""
    for line in plain(result.stderr + result.stdout).splitlines():
        if line.lstrip().startswith(("✔", "×", "✓", "✗", "model uploaded", "Error")):
            print(line)
    if result.returncode:
        print(result.stdout[-3000:], result.stderr[-3000:])
    result.check_returncode()


started = time.perf_counter()
with osls_lock(), MotoServer(free_port()) as moto:
    deployed = make("deploy-local", moto.port)
    progress(deployed)
    print(f"deployed in {time.perf_counter() - started:.0f} s\n")
    removed = make("remove-local", moto.port)
    progress(removed)
print(f"\ndeployed and removed in {time.perf_counter() - started:.0f} s")

# %% [markdown]
# moto created every resource of the template (it does not *run* Lambda functions; that would
# need Docker), and `workshop/deploy.py` checked them: the stack, the tables, the buckets, the
# function with runtime `python3.12`, the REST API with an API key on every write route,
# SmartCat's queues with their dead-letter queues, and each function running as its own role.
# After the deploy, `make deploy` also uploads the model to the stack's bucket; `make remove`
# empties the buckets first, and `remove-local` checks that nothing of the stack is left.
# Any failed check makes `make` fail, and this cell with it.
#
# ## 6. To AWS
#
# With AWS credentials configured (`aws configure`, or `AWS_PROFILE`), the same commands
# deploy for real:
#
# ```bash
# make deploy STAGE=dev REGION=eu-central-1
# ```
#
# It packages, creates the CloudFormation stack (a minute or two the first time), uploads the
# model, checks every resource as above, and ends with `sls info --verbose`, which prints what
# you need to call the API: the **endpoints**, e.g.
# `POST - https://abc123defg.execute-api.eu-central-1.amazonaws.com/dev/cars`, and the
# generated **API key** for the write routes. Then:
#
# ```bash
# curl -s https://abc123defg.execute-api.eu-central-1.amazonaws.com/dev/predict \
#   -H "x-api-key: $KEY" -H 'Content-Type: application/json' \
#   -d '{"cylinders": 4, "displacement": 97, "horsepower": 88, "weight": 2130,
#        "acceleration": 14.5, "year": 1971, "origin": "Japan"}'
# ```
#
# `make remove STAGE=dev REGION=eu-central-1` empties the model bucket and deletes the stack,
# then checks that nothing is left. Every part of this stack bills per request or per GB stored,
# so a workshop's traffic costs cents at most and an idle stack almost nothing; the README has
# the details. Remove it when you are done anyway.
#
# ## Exercises
#
# Write your answer in the cell under each exercise, then run the **check** cell below it.
#
# ### Exercise 1: how much is numerical Python?
#
# What fraction of the unpacked `sklearn-fat` artifact (`WORK / "sklearn-fat"`) is **numpy and
# scipy**? Count every top-level entry whose name starts with `numpy` or `scipy`: the packages,
# the native libraries they bundle (`numpy.libs`, `scipy.libs`) and their metadata. Store the
# fraction, a number between 0 and 1, in `numeric_share`. `sizes_by_top()` helps.

# %% tags=["solution"]
# Exercise 1: set numeric_share to the fraction of sklearn-fat's unpacked bytes in numpy and scipy.

top_entries = sizes_by_top(WORK / "sklearn-fat")
numeric = {name: size for name, size in top_entries.items() if name.startswith(("numpy", "scipy"))}
numeric_share = sum(numeric.values()) / sum(top_entries.values())
print(
    f"{numeric_share:.0%} of {sum(top_entries.values()) / MB:.0f} MB:",
    ", ".join(f"{name} {size / MB:.1f} MB" for name, size in numeric.items()),
)

# %% tags=["check"]
# extra code – checks your answer to exercise 1
entries = sizes_by_top(WORK / "sklearn-fat")
expected = sum(s for n, s in entries.items() if n.startswith(("numpy", "scipy"))) / sum(entries.values())
assert 0 < numeric_share < 1, "numeric_share should be a fraction between 0 and 1, not a percentage"
assert abs(numeric_share - expected) < 0.005, (
    f"expected about {expected:.3f}: count numpy*, scipy* entries, divide by the whole artifact"
)
print(f"Correct: {numeric_share:.0%} of the fat artifact is numpy and scipy")

# %% [markdown]
# ### Exercise 2: what is big in the portable artifact?
#
# Find the **five largest files** in the unpacked portable artifact (`WORK / "portable"`). Store
# them in `largest_files`, a list of `(path, bytes)` pairs, largest first, each path relative to
# the artifact as a string with `/` separators (e.g. `"models/cars/model.json"`). Which package
# would you look at first to make the artifact smaller?

# %% tags=["solution"]
# Exercise 2: set largest_files to the five largest files of the portable artifact, as (path, bytes).

portable = WORK / "portable"
files = [(p.relative_to(portable).as_posix(), p.stat().st_size) for p in portable.rglob("*") if p.is_file()]
largest_files = sorted(files, key=lambda pair: -pair[1])[:5]
pd.DataFrame(largest_files, columns=["path", "bytes"])

# %% tags=["check"]
# extra code – checks your answer to exercise 2
artifact = WORK / "portable"
every = sorted((p.stat().st_size for p in artifact.rglob("*") if p.is_file()), reverse=True)
assert len(largest_files) == 5, "list exactly five (path, bytes) pairs"
assert [size for _, size in largest_files] == every[:5], "those are not the five largest, largest first"
for path, size in largest_files:
    assert (artifact / path).stat().st_size == size, f"{path} is not a path relative to the artifact"
print("Correct:", ", ".join(path.split("/")[0] for path, _ in largest_files))

# %% [markdown]
# ### Exercise 3: slim the test suites too
#
# The plugin's default patterns keep the `tests` directories that numpy, scipy and
# scikit-learn ship. `slimPatterns` in `serverless.yml` adds patterns; `slim()` takes them as its
# second argument. Copy the slimmed artifact, `WORK / "sklearn-slim"`, to
# `WORK / "sklearn-slimmer"` (`shutil.copytree`; leave the original alone), remove every
# `tests` directory from the copy with `slim(copy, ("**/tests",))`, and store the bytes it
# removed in `tests_saving`. Then check that the copy still answers a request:
# `cold_start("sklearn-slimmer", "sklearn")`. How close to the limit is it now? Would
# hash-checked bytecode for it (about as big as the `.pyc` that slim removed) still fit?

# %% tags=["solution"]
# Exercise 3: set tests_saving to the bytes removed by also slimming **/tests from sklearn-slim.

slimmer = WORK / "sklearn-slimmer"
shutil.rmtree(slimmer, ignore_errors=True)  # when this cell runs again
shutil.copytree(WORK / "sklearn-slim", slimmer, symlinks=True)
tests_saving = slim(slimmer, ("**/tests",))
print(
    f"removed {tests_saving / MB:.1f} MB of tests; {tree_size(slimmer) / MB:.1f} MB left, "
    f"{tree_size(slimmer) / UNZIPPED_LIMIT:.0%} of the unzipped limit"
)
if LAMBDA_LIKE:
    print(f"it still answers: cold start {cold_start('sklearn-slimmer', 'sklearn'):.2f} s")

# %% tags=["check"]
# extra code – checks your answer to exercise 3
original = WORK / "sklearn-slim"
in_tests = sum(
    p.stat().st_size for p in original.rglob("*") if p.is_file() and "tests" in p.relative_to(original).parts
)
assert in_tests > 0, "WORK / 'sklearn-slim' has no tests left: slim a copy, not the original"
assert tests_saving == in_tests, f"expected {in_tests:,} bytes, got {tests_saving:,}"
print(
    f"Correct: the tests were {tests_saving / MB:.1f} MB "
    f"({tests_saving / sizes['sklearn-slim']['unzipped']:.0%} of the slim artifact)"
)

# %% [markdown]
# ## Clean up
#
# The artifacts take almost a gigabyte of disk space. This deletes them all:

# %%
workdir.cleanup()

# %% [markdown]
# ## Key points
#
# - A Lambda artifact is the code, every library it imports and the model, in one zip: at most
#   262,144,000 bytes unpacked. numpy + scipy + scikit-learn alone nearly fill it; pandas would
#   not fit beside them.
# - `slim` makes it smaller by deleting bytecode and package metadata, at a price: anything that
#   asks `importlib.metadata` fails, and every cold start compiles. Stripping shared libraries
#   can break them outright: run the packaged artifact before you deploy it.
# - Ship hash-checked bytecode: a read-only `/var/task` cannot cache what Python compiles, and
#   pip's timestamp-based `.pyc` go stale in a zip.
# - Package with Lambda's wheels (manylinux, x86_64, CPython 3.12) whatever machine you are on:
#   pip's `--platform`, `--python-version` and `--only-binary` do it without Docker.
# - `sls package` needs no AWS account; read its CloudFormation template: routes, API keys, IAM.
#   serverless-offline runs the API locally, `make deploy-local` the real stack in moto, and
#   `make deploy` / `make remove` put it in AWS and take it out again.

# %% [markdown]
# # 05 · Packaging: what goes into a Lambda artifact
#
# Lambda runs a **zip**: our code, every library it imports and the model, unpacked into
# `/var/task` of a Linux machine we never see. `sls package` builds one per function. We build
# them, look inside, and weigh what decides their contents: which packages a function ships,
# whose compiled code, what `slim` would delete, and whether to bring our own boto3.
#
# **What you will learn**
#
# - what a Lambda artifact holds, and how big it may be: 50 MB zipped for a direct upload,
#   262,144,000 bytes unzipped;
# - one artifact per function: each function lists its `requirements` and ships those alone;
# - how to get Lambda's wheels (x86_64 or arm64) on any machine, without Docker;
# - what `slim` removes and what that breaks, and why we ship hash-checked bytecode;
# - why this workshop bundles boto3, trimmed, rather than use the runtime's: measured.
#
# **Prerequisites:** notebook 04 (the handler `wsgi_handler.handler` runs); Node.js with the
# project's npm packages (`make node`) and the trained models (`make lab` builds both).
#
# **Teaching:** 25 min · **Exercises:** 20 min

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again. It trains the car model if there is none
# (about 10 s) and makes a temporary directory for what we build; "Clean up" deletes it.

# %%
import compileall
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from workshop import EVENTS_DIR, LAMBDA_RUNNER, MODELS_DIR, ROOT
from workshop.deploy import package_sizes, report
from workshop.lambda_builds import lambda_requirements, osls_lock, pip_platform_args, slim, unzip
from workshop.train_cars import ensure_model

ensure_model()
if not (MODELS_DIR / "documents" / "manifest.json").exists():
    raise RuntimeError("SmartCat's page function ships the document model: run `make document-model`")
workdir = tempfile.TemporaryDirectory(prefix="nb05-")  # see "Clean up" at the end
WORK = Path(workdir.name)
LAMBDA_TXT = ROOT / "requirements" / "lambda.txt"  # every pin, for every function
# A bare Python 3.12 as Lambda starts it: nothing on sys.path but what we add, no .pyc written.
BARE = [sys._base_executable, "-I", "-S", "-B"]
MB = 1e6
plt.rcParams.update({"figure.figsize": (11, 4), "axes.grid": True, "grid.alpha": 0.3})
print("building in", WORK)

# %% [markdown]
# ## 1. `sls package`: one artifact per function
#
# `make package` runs osls (the open Serverless Framework) on `serverless.yml`. With
# `package.individually`, each function gets a zip: the app's code, what its `package.patterns`
# add (its model), serverless-wsgi's handler for the HTTP functions, and the packages its
# `requirements:` list, installed by the project's plugin (`.serverless_plugins/`), pinned by
# `requirements/lambda.txt`. No AWS account needed. Here into `WORK`, not `.serverless/`; then
# `serverless-state.json`, the configuration as osls resolved it, gives each function's handler
# and `requirements`, and `report()`, as `make package` does, each zip against Lambda's limits
# with its largest top-level entries (MB unzipped):

# %%
package_dir = WORK / "package"
command = [ROOT / "node_modules" / ".bin" / "sls", "package", "--stage", "dev", "--package", package_dir]
venv_bin = Path(sys.executable).parent  # first on PATH: the plugin runs python3.12 from there
environment = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"}
started = time.perf_counter()
with osls_lock():  # one osls at a time in this project (the tests run notebooks side by side)
    packaged = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600)
if packaged.returncode:
    raise RuntimeError(packaged.stdout[-3000:] + packaged.stderr[-3000:])
output = (packaged.stdout + packaged.stderr).splitlines()
print("\n".join(line for line in output if line.startswith(("Lambda", "Injected"))))
print(f"packaged in {time.perf_counter() - started:.0f} s\n")
functions = json.loads((package_dir / "serverless-state.json").read_text())["service"]["functions"]
print(pd.DataFrame(functions).T[["handler", "requirements"]].to_string(), end="\n\n")
problems = report(package_dir)

# %% [markdown]
# Two limits apply ([Lambda quotas](https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)):
# **unzipped** (a function and its layers) is hard; **zipped** is for a direct upload (osls uploads
# to S3, so a larger zip deploys, but each new environment fetches it). What fills ours:

# %%
GROUPS = {  # how a top-level entry's name starts (a package, its .dist-info, its .libs): its group
    "app + model": ("workshop_app", "models", "wsgi_handler", "serverless_wsgi", ".serverless"),
    "boto3 + deps": ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"),
    "Flask + deps": ("flask", "werkzeug", "jinja2", "click", "itsdangerous", "markupsafe", "blinker"),
    "PDFium": ("pypdfium2",),
    "OCR": ("tesserocr", "share"),  # share/: the OCR model
}


def group(entry: str) -> str:
    return next((name for name, starts in GROUPS.items() if entry.lower().startswith(starts)), "other")


by_group = {}
for path in sorted(package_dir.glob("*.zip")):
    by_group[path.stem] = Counter()
    for entry, size in package_sizes(path)[2].items():
        by_group[path.stem][group(entry)] += size / MB
ax = pd.DataFrame(by_group).T.fillna(0).plot.barh(stacked=True, colormap="tab10")
ax.set(xlabel="MB unzipped", title="What each function's artifact carries")
plt.show()

# %% [markdown]
# The API ships Flask and the car model; page, tesserocr's libraries and its German model;
# aggregate, boto3 alone. One artifact for all would give every cold start the largest download.
#
# ## 2. Lambda's wheels, whatever machine packages
#
# Compiled code (`.so` files) is for one operating system, processor and Python. pip picks the
# *wheel* for the machine it runs on, and on a Mac that is macOS code that Lambda cannot load
# ("invalid ELF header"). So the plugin asks pip for Lambda's: manylinux, CPython 3.12, for the
# function's architecture (`make package ARCH=arm64` for Graviton), and binary wheels only, so
# that pip fails rather than build something for the host. In the API's artifact MarkupSafe
# (Jinja2's escaping, in C) is such a wheel: its `WHEEL` file names the tags pip matched, and its
# `.so` starts like every Linux executable (ELF), with the processor in bytes 18–19: 62 is
# x86-64, 183 is aarch64 (arm64).

# %%
for arch in ("x86_64", "arm64"):
    print(f"{arch:>7}:", " ".join(pip_platform_args(arch)))
api_dir = WORK / "api"
unzip(package_dir / "api.zip", api_dir)  # as Lambda unpacks it into /var/task
[wheel] = api_dir.glob("markupsafe-*.dist-info/WHEEL")
print([line for line in wheel.read_text().splitlines() if line.startswith("Tag:")])
for library in api_dir.glob("**/*.so"):
    header = library.read_bytes()[:20]
    print(header[:4], "machine", int.from_bytes(header[18:20], "little"), library.relative_to(api_dir))

# %% [markdown]
# ## 3. What `slim` removes, and what that breaks
#
# serverless-python-requirements, the usual plugin, offers `slim: true`: it deletes
# `**/*.py[c|o]`, `**/__pycache__*` and `**/*.dist-info*`, and **strips** the shared libraries'
# symbols. `lambda_builds.slim()` does the deletions (never the stripping), here on a copy.
#
# **Breakage 1: no package metadata.** A `*.dist-info` directory is how Python knows that a
# distribution is installed. Without it the code imports, but `importlib.metadata` fails, and
# whatever is built on it (entry points, libraries that check their dependencies' versions):

# %%
slim_dir = WORK / "api-slim"
shutil.copytree(api_dir, slim_dir, symlinks=True)
metadata, bytecode = len(list(api_dir.glob("*.dist-info"))), len(list(api_dir.rglob("*.pyc")))
print(f"slim removed {slim(slim_dir) / MB:.1f} MB: {metadata} *.dist-info directories, {bytecode} .pyc files")
PROBE = "import importlib.metadata as m, sys; sys.path.insert(0, sys.argv[1]); print(m.version('boto3'))"
for directory in (api_dir, slim_dir):
    probe = subprocess.run([*BARE, "-c", PROBE, directory], capture_output=True, text=True)
    print(f"{directory.name:>8}:", (probe.stdout or probe.stderr.strip().splitlines()[-1]).strip())

# %% [markdown]
# **Breakage 2: every cold start compiles.** Importing a module compiles its source unless a
# valid `.pyc` in `__pycache__` holds the result, and on Lambda nothing compiled is kept. pip's
# `.pyc` would not help: each records its source's modification time, and osls dates every zip
# entry 1980-01-01, so after unpacking they are stale. The plugin writes **hash-checked** `.pyc`
# (`compileall --invalidation-mode checked-hash`), which compare a hash of the source:


# %%
def bytecode_state(source: Path) -> str:
    """Whether Python can use the cached bytecode of `source` (a .py file)."""
    cached = Path(importlib.util.cache_from_source(str(source)))
    if not cached.exists():
        return "no .pyc: compiled at import"
    flags = int.from_bytes(cached.read_bytes()[4:8], "little")  # after the 4-byte magic number
    return "hash-checked .pyc: used" if flags & 1 else "timestamp .pyc: stale after the zip"


states = {d.name: Counter(bytecode_state(p) for p in d.rglob("*.py")) for d in (api_dir, slim_dir)}
pd.DataFrame(states).fillna(0).astype(int)

# %% [markdown]
# Section 4 measures what compiling costs. **Breakage 3: stripped libraries.** `strip` once made
# scipy's bundled OpenBLAS unloadable ("ELF load command address/offset not page-aligned"): the
# zip built, the function failed at `import scipy`. Run the packaged artifact before deploying.
#
# ## 4. boto3: bundle it, or use the runtime's?
#
# Lambda's Python runtime has a boto3 of its own, which AWS updates on its own schedule and
# [provides](https://docs.aws.amazon.com/lambda/latest/dg/python-package.html) for code that
# cannot bring dependencies (the console's editor, inline functions). Our functions list `boto3`
# in their `requirements`, pinned, so Lambda runs the boto3 the tests ran against. The cost:
#
# **Size.** botocore carries a model of every AWS service; our functions call three
# (`custom.lambdaRequirements.botocoreData`), and the plugin ships those alone. For the
# untrimmed size we add the rest to a copy of `api.zip` with the plugin's own `inject()`:

# %%
# extra code – the API's installed requirements: the tree `sls package` just used, from its cache
cache, requirements = ROOT / ".cache" / "lambda-requirements", functions["api"]["requirements"]
api_tree = lambda_requirements.install("x86_64", LAMBDA_TXT, cache, requirements)
untrimmed_zip = WORK / "api-untrimmed.zip"
shutil.copy(package_dir / "api.zip", untrimmed_zip)
lambda_requirements.inject(untrimmed_zip, api_tree, exclude=[])  # adds the files api.zip lacks
unzip(untrimmed_zip, WORK / "api-untrimmed")


# %%
def sdk_sizes(zip_path: Path) -> dict:
    """MB of boto3 and botocore (with their metadata) in an artifact, and the service models."""
    with zipfile.ZipFile(zip_path) as archive:
        infos = [i for i in archive.infolist() if i.filename.startswith(("boto3", "botocore"))]
    models = {i.filename.split("/")[2] for i in infos if i.filename.startswith("botocore/data/")}
    services = len([m for m in models if "." not in m])  # not endpoints.json and the like
    zipped, unzipped = sum(i.compress_size for i in infos) / MB, sum(i.file_size for i in infos) / MB
    return {"zipped MB": zipped, "unzipped MB": unzipped, "service models": services}


sdk = {"trimmed (api.zip)": sdk_sizes(package_dir / "api.zip"), "untrimmed": sdk_sizes(untrimmed_zip)}
pd.DataFrame(sdk).T.round(1).astype({"service models": int})

# %% [markdown]
# **Cold start.** `import boto3` in a bare interpreter with only an unpacked artifact on
# `sys.path`, the median of 5, from the artifact, the untrimmed one and section 3's slimmed one:


# %%
def import_seconds(directory: Path, runs: int = 5) -> float:
    """Median seconds of `import boto3` in a fresh bare Python with only `directory` added."""
    code = "import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); import boto3; "
    code += "print(time.perf_counter() - t)"
    seconds = [float(subprocess.check_output([*BARE, "-c", code, directory])) for _ in range(runs)]
    return statistics.median(seconds)


variants = {"artifact (trimmed)": api_dir, "untrimmed": WORK / "api-untrimmed", "slimmed": slim_dir}
import_times = pd.Series(variants).map(import_seconds)
ax = import_times.plot.barh(color=["tab:green", "tab:gray", "tab:red"])
ax.bar_label(ax.containers[0], fmt=" %.2f s")
ax.set(xlabel="seconds to `import boto3` (median of 5, this machine)", title="Importing boto3, cold")
plt.show()
print(f"without bytecode: {import_times['slimmed'] / import_times['artifact (trimmed)']:.1f}x as long")

# %% [markdown]
# Trimming changes the size, not the import (botocore reads a model when a client is made);
# bytecode changes the import. A prediction pays none of it: `workshop_app/aws.py` imports boto3
# for the first client, on the first request that reads DynamoDB. `lambda_runner.py` answers
# `POST /predict` from the unpacked artifact as a cold container would, and lists its imports:

# %%
runner = [*BARE, str(LAMBDA_RUNNER), str(api_dir), str(EVENTS_DIR / "rest_v1_predict.json")]
lambda_env = {"MODEL_URI": "models/cars", "LANG": "C.UTF-8", "AWS_DEFAULT_REGION": "eu-central-1"}
lines = [json.loads(line) for line in subprocess.check_output(runner, env=lambda_env).splitlines()]
first, imported = lines[0], lines[-1]["modules"]
print(f"{first['response']['statusCode']} in {first['seconds']:.2f} s, cold; {len(imported)} modules")
print("of them boto3 or botocore:", [m for m in imported if m.startswith(("boto3", "botocore"))] or "none")

# %% [markdown]
# The decision: **bundle boto3, pinned, botocore's models trimmed.** Pin policy: the runtime's
# SDK changes when AWS updates it, ours when `requirements/lambda.txt` does and the tests pass.
# Size: the table above, per function. Cold start: the same import either way, on the first AWS
# call only, never in a prediction. The price: we update boto3 for its security fixes.
#
# ## Exercises
#
# Write your answer in the cell under each exercise, then run the **check** cell below it.
#
# ### Exercise 1: Lambda's wheels for Graviton
#
# The split and page functions need `pypdfium2`, which bundles PDFium (compiled code). Install it
# as Lambda's **arm64** wheels, pinned by `LAMBDA_TXT`, into `arm64_dir` (`WORK / "arm64"`).
#
# <details><summary>Hint</summary>
#
# `[sys.executable, "-m", "pip", "install", "--target", ..., "--constraint", ...]`, then
# `pip_platform_args("arm64")`, then `pypdfium2`. The check reads `libpdfium.so`'s ELF header.
# </details>

# %% tags=["solution"]
# Exercise 1: install pypdfium2 as Lambda's arm64 wheels into arm64_dir = WORK / "arm64".

arm64_dir = WORK / "arm64"
pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
pip += ["--target", str(arm64_dir), "--constraint", str(LAMBDA_TXT), *pip_platform_args("arm64"), "pypdfium2"]
subprocess.run(pip, check=True, capture_output=True)
print(sorted(p.name for p in arm64_dir.iterdir()))

# %% tags=["check"]
# extra code – checks your answer to exercise 1
from workshop.exercise import answer, check

libraries = list(Path(answer("arm64_dir", globals())).glob("**/libpdfium*.so"))
check(bool(libraries), "no libpdfium.so under arm64_dir: install pypdfium2 into it with --target")
machine = int.from_bytes(libraries[0].read_bytes()[18:20], "little")
check(machine == 183, f"libpdfium.so is for ELF machine {machine}, not aarch64 (183): use the arm64 args")
print(f"✔ {libraries[0].name} is aarch64 code, installed on a {os.uname().machine} machine")

# %% [markdown]
# ### Exercise 2: trim botocore to DynamoDB, and see what breaks
#
# Zip the API's requirements, `api_tree`, into `dynamodb_zip` (`WORK / "dynamodb-only.zip"`)
# keeping botocore's model of `dynamodb` alone. Unpack it and, in a bare Python (`BARE`) with
# only it on `sys.path`, make a client for `dynamodb` and one for `sqs`. Store what happened in
# `outcomes`: a dict from service name to `"ok"` or the exception's class name.
#
# <details><summary>Hint</summary>
#
# `lambda_requirements.inject(zip, tree, exclude=[], services=[...])` creates the zip. The child
# Python runs `boto3.client(name, region_name="eu-central-1")` and prints `type(e).__name__`.
# </details>

# %% tags=["solution"]
# Exercise 2: set dynamodb_zip to api_tree zipped with DynamoDB's model alone, outcomes to the clients' fates.

dynamodb_zip = WORK / "dynamodb-only.zip"
dynamodb_zip.unlink(missing_ok=True)
lambda_requirements.inject(dynamodb_zip, api_tree, exclude=[], services=["dynamodb"])
unzip(dynamodb_zip, WORK / "dynamodb-only")
CLIENT = """import sys; sys.path.insert(0, sys.argv[1]); import boto3
try: boto3.client(sys.argv[2], region_name="eu-central-1"); print("ok")
except Exception as e: print(type(e).__name__)"""
outcomes = {}
for service in ("dynamodb", "sqs"):
    child = subprocess.run([*BARE, "-c", CLIENT, WORK / "dynamodb-only", service], capture_output=True)
    outcomes[service] = child.stdout.decode().strip()
print(outcomes)

# %% tags=["check"]
# extra code – checks your answer to exercise 2
from workshop.exercise import answer, check

with zipfile.ZipFile(answer("dynamodb_zip", globals())) as archive:
    names = [n.split("/") for n in archive.namelist() if n.startswith("botocore/data/")]
models = {parts[2] for parts in names if len(parts) > 3}
check(models == {"dynamodb"}, f"the zip has botocore models of {sorted(models)}, not dynamodb alone")
fates = answer("outcomes", globals())
check(fates.get("dynamodb") == "ok", f"a DynamoDB client should work, not {fates.get('dynamodb')!r}")
check(fates.get("sqs") == "UnknownServiceError", f"an SQS client should fail, not {fates.get('sqs')!r}")
print("✔ a trimmed botocore knows only the services kept: a test must check the list against the code")

# %% [markdown]
# ### Exercise 3: put the bytecode back
#
# Copy the slimmed artifact `slim_dir` to `restored_dir` (`WORK / "api-restored"`), compile
# hash-checked bytecode into the copy as the plugin does, and store the time of `import boto3`
# from it, `import_seconds(restored_dir)`, in `restored_seconds`. Compare with `import_times`.
#
# <details><summary>Hint</summary>
#
# `shutil.copytree(slim_dir, restored_dir)`, then `compileall.compile_dir(restored_dir, quiet=1,
# invalidation_mode=compileall.py_compile.PycInvalidationMode.CHECKED_HASH)`.
# </details>

# %% tags=["solution"]
# Exercise 3: set restored_dir to slim_dir copied with hash-checked bytecode, restored_seconds to its import.

restored_dir = WORK / "api-restored"
shutil.rmtree(restored_dir, ignore_errors=True)
shutil.copytree(slim_dir, restored_dir, symlinks=True)
mode = compileall.py_compile.PycInvalidationMode.CHECKED_HASH
compileall.compile_dir(restored_dir, quiet=1, invalidation_mode=mode)
restored_seconds = import_seconds(restored_dir)
print(f"import boto3: {restored_seconds:.2f} s restored, {import_times['slimmed']:.2f} s slimmed")

# %% tags=["check"]
# extra code – checks your answer to exercise 3
from workshop.exercise import answer, check

restored, seconds = Path(answer("restored_dir", globals())), answer("restored_seconds", globals())
check(restored != slim_dir, "compile into a copy: restored_dir must not be slim_dir")
states = Counter(bytecode_state(p) for p in (restored / "botocore").rglob("*.py"))
check(set(states) == {"hash-checked .pyc: used"}, f"botocore's modules in restored_dir: {dict(states)}")
slimmed = import_times["slimmed"]
check(seconds < slimmed, f"{seconds:.2f} s is not faster than the slimmed {slimmed:.2f} s: time restored_dir")
print(f"✔ {slimmed / seconds:.1f}x faster, with bytecode that survives the zip")

# %% [markdown]
# ## Clean up: this deletes everything the notebook built

# %%
workdir.cleanup()

# %% [markdown]
# ## Key points
#
# - A Lambda artifact is the code, every library it imports and the model: at most 262,144,000
#   bytes unpacked. With one artifact per function, each ships what its `requirements` list.
# - Package Lambda's wheels (manylinux, CPython 3.12, x86_64 or arm64) on any machine with pip's
#   `--platform`, `--python-version`, `--implementation` and `--only-binary`.
# - `slim` deletes metadata (`importlib.metadata` fails) and bytecode (every cold start compiles);
#   stripping can break libraries. Ship hash-checked bytecode instead: it survives the zip.
# - Bundle the boto3 your tests ran against, with botocore's models trimmed to the services you
#   call; import it on first use, so that requests without AWS calls never pay for it.

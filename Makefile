# Cream: the one entry point. README, CI and hooks call these targets.
# `make help` lists them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.9.30
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
BUF := node_modules/.bin/buf
export PATH := $(CURDIR)/$(VENV)/bin:$(HOME)/.local/bin:$(HOME)/.cargo/bin:$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

RUST_SOURCES := $(shell find engine-rs -path engine-rs/target -prune -o -path engine-rs/fuzz -prune -o -type f \( -name '*.rs' -o -name 'Cargo.toml' \) -print 2>/dev/null) Cargo.toml Cargo.lock $(wildcard proto/cream/v1/*.proto)

.PHONY: help install run test test-rust test-python lint gen gen-check bench clean

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

DASHBOARD_SOURCES := $(shell find dashboard/src -type f 2>/dev/null) dashboard/index.html dashboard/package.json dashboard/package-lock.json $(wildcard dashboard/*.ts dashboard/tsconfig*.json)

install: $(STAMPS)/python $(STAMPS)/node $(STAMPS)/engine $(STAMPS)/dashboard ## Set up everything: venv, Python deps, Rust core, node tools, the built dashboard (idempotent)

$(STAMPS)/uv:
	@mkdir -p $(STAMPS)
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user "uv==$(UV_VERSION)"
	@touch $@

$(STAMPS)/python: pyproject.toml uv.lock $(STAMPS)/uv
	uv sync --frozen --inexact
	@touch $@

$(STAMPS)/node: package.json package-lock.json
	@mkdir -p $(STAMPS)
	@# npm ci insists on lock entries for every platform's buf binary; install honours the lock.
	npm install --no-audit --no-fund --no-save --loglevel=error
	@touch $@

$(STAMPS)/dashboard: $(DASHBOARD_SOURCES)
	@mkdir -p $(STAMPS)
	npm --prefix dashboard ci --no-audit --no-fund --loglevel=error
	npm --prefix dashboard run build --silent
	@touch $@

$(STAMPS)/engine: $(RUST_SOURCES) $(STAMPS)/python
	maturin develop --release --uv --quiet
	@touch $@

run: install ## Start the whole stack: engine, api (serving the dashboard) and worker
	$(VENV)/bin/cream up

test: install gen-check test-rust test-python ## Run every test: contract drift, Rust core, Python suite

test-rust: ## Rust core: unit, property and fuzz-harness tests
	cargo test --workspace --locked

test-python: install ## Python suite (stubtest of the core's typed stub included)
	$(PY) -m mypy.stubtest cream._engine --allowlist engine-rs/stubtest-allowlist.txt
	$(PY) -m pytest

lint: install ## ruff, mypy --strict, clippy, buf lint
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy cream agents workflows api worker tests benchmarks tools
	cargo clippy --workspace --all-targets --locked -- -D warnings
	$(BUF) lint

gen: $(STAMPS)/python $(STAMPS)/node $(STAMPS)/engine $(STAMPS)/dashboard ## Regenerate protobuf/gRPC code into cream/v1/ and the dashboard's API client
	$(BUF) lint
	$(BUF) generate
	npm --prefix dashboard run gen:api --silent

gen-check: gen ## Fail when the committed generated code differs from a fresh generation
	@git diff --exit-code --stat -- cream/v1 || { echo "cream/v1 is stale: run 'make gen' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- cream/v1)" || { echo "untracked generated files in cream/v1: run 'make gen' and commit"; exit 1; }
	@git diff --exit-code --stat -- dashboard/openapi.json dashboard/src/api/schema.d.ts || { echo "the dashboard's API client is stale: run 'make gen' and commit"; exit 1; }

bench: install ## Run the benchmarks; results go to BENCHMARKS.md and benchmarks/results.json
	$(PY) -m benchmarks.run all

clean: ## Remove build outputs and the venv
	rm -rf $(VENV) $(STAMPS) target node_modules dashboard/node_modules dashboard/dist cream/_engine*.so

# Featherweight: thin targets into uv and scripts/. `make` alone prints help.
.DEFAULT_GOAL := help
SHELL := /bin/bash

UV_VERSION ?= 0.13.8
HOST ?= 127.0.0.1
PORT ?= 8000
DEPLOY_ARGS ?=
SIM_ARGS ?=
# uv from PATH, else a project-local copy that the .tools/bin/uv rule installs.
UV ?= $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
# `uv run` installs what is missing and removes nothing, so the local-asr extra survives.
RUN := $(UV) run --extra lite-asr
SERVE := uvicorn backend.app.main:app --host $(HOST) --port $(PORT)

.PHONY: help  ## Show this list of targets
help:
	@echo "Featherweight: make <target>"
	@awk -F ' *## ' '/^\.PHONY: [a-z-]+ +## / {sub(/^\.PHONY: /, "", $$1); printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.tools/bin/uv:  # uv itself, for machines that have only python3 and make
	python3 scripts/bootstrap_uv.py --version $(UV_VERSION) --dest .tools

.PHONY: sync  ## Install the app, the dev tools and the light engine (pocketsphinx) into .venv
sync: $(UV)
	$(UV) sync --extra lite-asr

.PHONY: sync-local-asr  ## Also install SenseVoice (funasr, torch: several GB on Linux)
sync-local-asr: $(UV)
	$(UV) sync --extra lite-asr --extra local-asr

.PHONY: run  ## Serve on 127.0.0.1:8000 with the offline pocketsphinx engine (the default)
run: $(UV)
	USE_LOCAL_ASR=true LOCAL_ASR_ENGINE=pocketsphinx $(RUN) $(SERVE)

.PHONY: run-server  ## Serve with local SenseVoice (needs `make sync-local-asr`)
run-server: $(UV)
	USE_LOCAL_ASR=true LOCAL_ASR_ENGINE=sensevoice $(UV) run $(SERVE)

.PHONY: run-server-hf  ## Serve with the remote Hugging Face Space, as on Render
run-server-hf: $(UV)
	USE_LOCAL_ASR=false $(UV) run $(SERVE)

.PHONY: test  ## Run unit and integration tests (fast)
test: $(UV)
	$(RUN) pytest tests/unit tests/integration

.PHONY: test-backend  ## Run every test; tests of missing extras skip with a reason
test-backend: $(UV)
	$(RUN) pytest

.PHONY: lint  ## Check style and lint (changes nothing)
lint: $(UV)
	$(RUN) ruff check .
	$(RUN) ruff format --check .

.PHONY: format  ## Fix what ruff can fix and format the code
format: $(UV)
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

.PHONY: lock-check  ## Fail when uv.lock does not match pyproject.toml
lock-check: $(UV)
	$(UV) lock --check

.PHONY: render-reqs  ## Compile requirements-render.txt from requirements-render.in and uv.lock
render-reqs: $(UV)
	$(RUN) python -m scripts.render_reqs

.PHONY: render-reqs-check  ## Fail when requirements-render.txt is stale, heavy or incomplete (offline)
render-reqs-check: $(UV)
	$(RUN) python -m scripts.render_reqs_check

.PHONY: render-yaml-check  ## Validate render.yaml against Render's schema and the project
render-yaml-check: $(UV)
	$(RUN) python -m scripts.check_blueprint

.PHONY: render-sim  ## Build and boot the committed tree exactly as render.yaml tells Render to
render-sim: $(UV)
	$(RUN) python -m scripts.render_sim $(SIM_ARGS)

.PHONY: check  ## Everything CI gates on: lint, lock, render checks, all tests, render-sim
check: lint lock-check render-reqs-check render-yaml-check test-backend render-sim

.PHONY: deploy  ## Run every gate, push, then trigger and watch the Render deploy
deploy: $(UV)
	$(RUN) python -m scripts.deploy $(DEPLOY_ARGS)

.PHONY: hooks  ## Install a git pre-push hook that runs the fast gates
hooks: $(UV)
	$(RUN) python -m scripts.hooks install

.PHONY: fixtures  ## Regenerate the speech fixtures with espeak-ng and sox
fixtures: $(UV)
	$(RUN) python -m tools.make_fixtures

.PHONY: clean  ## Remove caches and build output (keeps .venv and .tools)
clean:
	rm -rf .cache .pytest_cache .ruff_cache build dist
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +

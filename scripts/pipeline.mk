# The deploy pipeline's make targets, included by the project's Makefile (docs/TEMPLATE.md).
# The project sets EXTRAS (extras every target installs) before `include scripts/pipeline.mk`
# and adds its own targets after it; `make template-update` keeps this file current.
.DEFAULT_GOAL := help
SHELL := /bin/bash

UV_VERSION ?= 0.13.8
EXTRAS ?=
DEPLOY_ARGS ?=
SIM_ARGS ?=
PYTEST_ARGS ?=
# pytest-xdist workers (`TEST_WORKERS=0` runs the tests in one process). By default
# `make test-backend` runs one per core, since its end-to-end tests time real servers, and
# `make test` one more than that, since its tests mostly wait on timers and child processes
# (on 2 cores: 25 s with 3 workers against 28 s with 2, median of 5 runs each).
TEST_WORKERS ?= auto
FAST_WORKERS = $(if $(filter auto,$(TEST_WORKERS)),$(shell echo $$(( \
	$$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 1) + 1 ))),$(TEST_WORKERS))
# uv from PATH, else a project-local copy that the .tools/bin/uv rule installs.
UV ?= $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
# --frozen: only `uv lock`, `uv add` and `make upgrade` change uv.lock, never a check or a test.
# `uv run` installs what is missing and removes nothing, so an extra installed by hand survives.
RUN := $(UV) run --frozen $(addprefix --extra ,$(EXTRAS))
# The offline checks neither change the lock nor touch the environment.
CHECK_RUN := $(UV) run --frozen --no-sync
# Tests keep bytecode caches even where PYTHONDONTWRITEBYTECODE is set (an empty value unsets
# it): without them every worker and every process a test starts compiles each import again.
PYTEST := PYTHONDONTWRITEBYTECODE= $(RUN) pytest --dist worksteal
# The gates, in order: `make check`, `make deploy`, the git hooks and CI all run these lists.
GATES := lint lock-check render-reqs-check render-yaml-check test-backend render-sim
FAST_GATES := lint lock-check render-reqs-check render-yaml-check test

.PHONY: help  ## Show this list of targets (also what `make` alone does)
help:
	@awk -F ' *## ' 'FNR == 1 {printf "%s%s:\n", (NR > 1 ? "\n" : ""), FILENAME} \
		/^\.PHONY: [a-z-]+ +## / {sub(/^\.PHONY: /, "", $$1); printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.tools/bin/uv:  # uv itself, for machines that have only python3 and make
	python3 scripts/bootstrap_uv.py --version $(UV_VERSION) --dest .tools

.venv/pyvenv.cfg: | $(UV)  # the development environment, made once for the offline checks
	$(UV) sync --frozen $(addprefix --extra ,$(EXTRAS))

.PHONY: sync  ## Install the project, its dev tools and the default extras into .venv
sync: | $(UV)
	$(UV) sync --frozen $(addprefix --extra ,$(EXTRAS))

.PHONY: test  ## Run the tests that need no network and build nothing (fast)
test: | $(UV)
	$(PYTEST) -n $(FAST_WORKERS) -m "not network and not e2e" $(PYTEST_ARGS)

.PHONY: test-backend  ## Run every test, with coverage; tests of missing extras skip with a reason
test-backend: | $(UV)
	$(PYTEST) -n $(TEST_WORKERS) --cov --cov-report=term $(PYTEST_ARGS)

.PHONY: lint  ## Lint, check formatting and types, and audit the CI workflows (changes nothing)
lint: | $(UV)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) actionlint
	$(RUN) zizmor --offline --quiet .github/workflows

.PHONY: format  ## Fix what ruff can fix and format the code
format: | $(UV)
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

.PHONY: lock-check  ## Fail when uv.lock does not match pyproject.toml
lock-check: | $(UV)
	$(UV) lock --check

.PHONY: render-reqs  ## Compile requirements-render.txt from requirements-render.in and uv.lock
render-reqs: | $(UV)
	$(RUN) python -m scripts.render_reqs

.PHONY: render-reqs-check  ## Fail when requirements-render.txt is stale, heavy or incomplete (offline)
render-reqs-check: | .venv/pyvenv.cfg
	$(CHECK_RUN) python -m scripts.render_reqs_check

.PHONY: render-yaml-check  ## Validate render.yaml against Render's schema and the project
render-yaml-check: | .venv/pyvenv.cfg
	$(CHECK_RUN) python -m scripts.check_blueprint

.PHONY: render-sim  ## Build and boot the committed tree exactly as render.yaml tells Render to
render-sim: | $(UV)
	$(RUN) python -m scripts.render_sim $(SIM_ARGS)

.PHONY: upgrade  ## Upgrade uv.lock and requirements-render.txt together, or neither (PACKAGE=<name>)
upgrade: | $(UV)
	$(RUN) python -m scripts.upgrade $(if $(PACKAGE),--package "$(PACKAGE)")

.PHONY: check  ## Run every gate CI runs, in order (`make gates` lists them)
check: $(GATES)

.PHONY: fast-check  ## Run the fast gates, as the git hooks do
fast-check: $(FAST_GATES)

.PHONY: gates  ## Print the gates of `make check` (one line) and of the hook (second line)
gates:
	@echo "$(GATES)"
	@echo "$(FAST_GATES)"

.PHONY: deploy  ## Run every gate, push, then trigger and watch the Render deploy
deploy: | $(UV)
	$(RUN) python -m scripts.deploy --gates "$(GATES)" $(DEPLOY_ARGS)

.PHONY: hooks  ## Install git hooks (pre-commit): the fast gates on commit, `make test` on push
hooks: | $(UV)
	$(RUN) pre-commit install

.PHONY: adopt  ## Make this copy of the template your project: make adopt NAME=<name> [KEEP_EXAMPLE=1]
adopt: | $(UV)
	$(RUN) python -m scripts.template.adopt --name "$(NAME)" $(if $(KEEP_EXAMPLE),--keep-example)

.PHONY: template-update  ## Bring the pipeline's files up to a newer template: FROM=<path or URL> [REF=] [FORCE=1]
template-update: | $(UV)
	$(RUN) python -m scripts.template.update --from "$(FROM)" $(if $(REF),--ref "$(REF)") $(if $(FORCE),--force)

.PHONY: clean  ## Remove caches and build output (keeps .venv and .tools)
clean:
	rm -rf .cache .pytest_cache .ruff_cache .mypy_cache build dist htmlcov .coverage .coverage.*
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +

# Featherweight's own targets. The deploy pipeline's targets (test, lint, render-reqs, render-sim,
# check, deploy, adopt, ...) come from scripts/pipeline.mk; `make` alone lists them all.

# Extras that every target installs: the light offline speech engine.
EXTRAS := lite-asr
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_ARGS ?=

include scripts/pipeline.mk

SERVE := uvicorn backend.app.main:app --host $(HOST) --port $(PORT)

.PHONY: run  ## Serve on 127.0.0.1:8000 with the offline pocketsphinx engine (the default)
run: | $(UV)
	USE_LOCAL_ASR=true LOCAL_ASR_ENGINE=pocketsphinx $(RUN) $(SERVE)

.PHONY: sync-local-asr  ## Also install SenseVoice (funasr, torch: several GB on Linux)
sync-local-asr: | $(UV)
	$(UV) sync --frozen --extra lite-asr --extra local-asr

.PHONY: run-server  ## Serve with local SenseVoice (needs `make sync-local-asr`)
run-server: | $(UV)
	USE_LOCAL_ASR=true LOCAL_ASR_ENGINE=sensevoice $(RUN) $(SERVE)

.PHONY: run-server-hf  ## Serve with the remote Hugging Face Space, as on Render
run-server-hf: | $(UV)
	USE_LOCAL_ASR=false $(RUN) $(SERVE)

.PHONY: test-adoption  ## Adopt clones of the template both ways and run their gates (minutes, PyPI)
test-adoption: | $(UV)
	$(RUN) pytest tests/template -m adoption $(PYTEST_ARGS)

.PHONY: bench  ## Measure the service's figures side by side into docs/bench/REPORT.md (~12 min, PyPI)
bench: | $(UV)
	$(RUN) python -m tools.bench $(BENCH_ARGS)

.PHONY: bench-tests  ## Time `make test` and `make test-backend`, 3 runs each, into the bench report (~10 min)
bench-tests: | $(UV)
	$(RUN) python -m tools.bench --only tests $(BENCH_ARGS)

.PHONY: fixtures  ## Regenerate the speech fixtures with espeak-ng and sox
fixtures: | $(UV)
	$(RUN) python -m tools.make_fixtures

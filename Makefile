# Two commands set everything up: `make run` and `make test`.
# `make help` lists every target.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The demo needs only the runtime dependencies; the project's own tools
# (lint, types, tests, benchmarks, the browser driver) come with `dev`.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run run-scaled test docs e2e lint typecheck pytest bench flask-port quart-port load soak chaos relay-load relay-machines clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

install: $(STAMP) ## install the project and its dev tools into .venv

run: $(RUN_STAMP) ## serve the demo on 127.0.0.1:8000 (HOST=, PORT= to change)
	@echo "The demo: http://$(HOST):$(PORT)/  (the signal inspector: /_inspector/)"
	$(BIN)/app-framework --app examples.tour:app run --host $(HOST) --port $(PORT) --log-level warning

run-scaled: $(STAMP) ## the chat on 4 workers sharing signals through Redis
	$(BIN)/python -m examples.run_scaled

lint: $(STAMP) ## ruff and the import layers
	$(BIN)/ruff check asignals app_framework tests examples bench
	$(BIN)/ruff format --check asignals app_framework tests examples bench
	$(BIN)/lint-imports

typecheck: $(STAMP) ## mypy --strict
	$(BIN)/mypy

pytest: $(STAMP) ## the whole test suite, browser tests when Chromium is present
	$(BIN)/pytest --cov --cov-report=term

test: lint typecheck docs pytest ## lint, type checks, the docs and every test

docs: $(STAMP) ## the documentation site in build/docs (warnings are errors; -E: autodoc re-reads the docstrings)
	$(BIN)/sphinx-build -q -E -b html -W --keep-going -j auto docs build/docs
	@echo "The docs: build/docs/index.html"

e2e: $(STAMP) ## the demo in Chromium at 1280x900 and 390x844 (apt-get install chromium chromium-driver); screenshots in build/screenshots/
	E2E_REQUIRED=1 SCREENSHOT_DOCS=1 $(BIN)/pytest -p no:cacheprovider tests/e2e

bench: $(STAMP) ## in-process benchmarks, side by side with the peers
	$(BIN)/python bench/bench_signals.py
	$(BIN)/python bench/bench_requests.py
	$(BIN)/python bench/bench_websockets.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/path_files.py

flask-port: $(STAMP) ## Flask's tutorial and test files ported by renames + await, run
	$(BIN)/python bench/flask_port.py

load: $(STAMP) ## throughput under uvicorn with wrk
	$(BIN)/python bench/load.py

relay-load: $(STAMP) ## the signal relay on 4 workers, Redis killed mid-run
	$(BIN)/python bench/relay_load.py

relay-machines: $(STAMP) ## the chat on two "machines" (127.0.0.2, 127.0.0.3), one Redis
	$(BIN)/python bench/relay_machines.py

chaos: $(STAMP) ## misbehaving clients and receivers against a real server
	$(BIN)/python bench/chaos.py

soak: $(STAMP) ## memory and latency over a long run
	$(BIN)/python bench/soak.py

quart-port: $(STAMP) ## Quart extensions' and Quart's tests, ported by renames only; build/quart-port/
	$(BIN)/python bench/quart_port.py

clean: ## remove the venv and caches
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .import_linter_cache .hypothesis .coverage .coverage.* htmlcov

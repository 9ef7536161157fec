# Two commands set everything up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run run-scaled test lint typecheck pytest bench load soak chaos relay-load clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/uvicorn examples.tour:app --host 127.0.0.1 --port 8000

run-scaled: $(STAMP)
	$(BIN)/python -m examples.run_scaled

lint: $(STAMP)
	$(BIN)/ruff check asignals app_framework tests examples bench
	$(BIN)/ruff format --check asignals app_framework tests examples bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_signals.py
	$(BIN)/python bench/bench_requests.py
	$(BIN)/python bench/bench_websockets.py
	$(BIN)/python bench/bench_import.py

load: $(STAMP)
	$(BIN)/python bench/load.py

relay-load: $(STAMP)
	$(BIN)/python bench/relay_load.py

chaos: $(STAMP)
	$(BIN)/python bench/chaos.py

soak: $(STAMP)
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage

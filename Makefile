# Sahayak: `make run` (demo on SQLite) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint typecheck pytest bench-small clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/sahayak migrate --noinput -v0
	$(BIN)/sahayak demo
	$(BIN)/sahayak serve --host $(HOST) --port $(PORT)

test: lint typecheck pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check sahayak tests bench
	$(BIN)/ruff format --check sahayak tests bench

typecheck: $(VENV)/.installed
	$(BIN)/mypy sahayak/contacts sahayak/conversations sahayak/connectors sahayak/accounts

pytest: $(VENV)/.installed
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache

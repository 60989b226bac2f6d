# Project Pipeline — the README's commands.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEVSTAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEVSTAMP)

## make demo: create the environment, install, run the demo county on the embedded SQLite default
demo: $(STAMP)
	$(BIN)/pipeline demo

MYPY := $(BIN)/mypy cli --ignore-missing-imports --follow-imports=silent

## make test: install the dev dependencies and run the whole suite (lint and cli/'s type check included)
test: $(DEVSTAMP)
	$(BIN)/ruff check workflow cli tests bench
	$(MYPY)
	$(BIN)/python -m pytest -n 2 -q

## make bench: run the benchmarks against their baselines (SIZE=small|full)
bench: $(DEVSTAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(DEVSTAMP)
	$(BIN)/ruff check workflow cli tests bench
	$(MYPY)

clean:
	rm -rf $(VENV) build *.egg-info

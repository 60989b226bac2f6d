# Project Pipeline — the README's commands.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test bench lint clean reference

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

## make test: install the dev dependencies, lint (ruff), type check (mypy) and run the whole suite
test: $(DEVSTAMP)
	$(BIN)/ruff check workflow cli tests bench migrations
	$(BIN)/mypy workflow cli migrations
	$(BIN)/python -m pytest -n 2 -q

## make bench: run the benchmarks against their baselines (SIZE=small|full)
bench: $(DEVSTAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

## make reference: rewrite docs/reference.md and docs/reference.zh.md from every command's --help
reference: $(STAMP)
	$(BIN)/python -m cli.reference

lint: $(DEVSTAMP)
	$(BIN)/ruff check workflow cli tests bench migrations
	$(BIN)/mypy workflow cli migrations

clean:
	rm -rf $(VENV) build *.egg-info

# b24typed developer tasks. Only python3 is needed on a fresh machine: the first target that needs
# tools creates .venv and installs the package with its dev extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CODE := $(wildcard src tests codegen benchmarks examples)

.PHONY: test lint typecheck pytest demo bench generate import-docs report clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

typecheck: $(STAMP)
	$(BIN)/mypy src

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/python examples/demo.py

generate: $(STAMP)
	$(BIN)/python -m codegen generate

import-docs: $(STAMP)
	$(BIN)/python -m codegen import-docs

report: $(STAMP)
	$(BIN)/python -m codegen report

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

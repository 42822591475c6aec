# b24typed developer tasks. Only python3 is needed on a fresh machine: the first target that needs
# tools creates .venv and installs the package with its dev extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CODE := $(wildcard src tests codegen benchmarks examples hatch_build.py)

.PHONY: test lint typecheck pytest redis-server demo bench peers generate import-docs report clean

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
	$(BIN)/mypy src examples

pytest: $(STAMP) redis-server
	$(BIN)/python -m pytest -q

# The Redis tests start their own redis-server on a loopback port. Install the Debian package
# where it is missing (as root, or through sudo without a password); under CI a failure stops here.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo "sudo -n" ); \
		echo "installing redis-server (apt-get)"; \
		{ $$SUDO apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			redis-server >/dev/null; } || \
		{ echo "could not install redis-server; the Redis tests will fail under CI"; \
		  [ -z "$$CI" ]; }; }

demo: $(STAMP)
	$(BIN)/python examples/demo.py

generate: $(STAMP)
	$(BIN)/python -m codegen generate
	$(BIN)/python -m codegen generate-events

import-docs: $(STAMP)
	$(BIN)/python -m codegen import-docs
	$(BIN)/python -m codegen import-events

report: $(STAMP)
	$(BIN)/python -m codegen report

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# Other Bitrix24 clients (fast_bitrix24, b24pysdk, the official JS SDK) against the fake portal's
# loopback server; they are installed into .peers/, never as dependencies. Needs npm and openssl.
PEERS := .peers
peers: $(STAMP)
	test -x $(PEERS)/py/bin/python || $(PYTHON) -m venv $(PEERS)/py
	$(PEERS)/py/bin/python -m pip install --quiet fast-bitrix24 b24pysdk
	test -d $(PEERS)/js/node_modules/@bitrix24/b24jssdk || \
		(mkdir -p $(PEERS)/js && cd $(PEERS)/js && npm init -y >/dev/null && \
		npm install --silent @bitrix24/b24jssdk)
	$(BIN)/python tests/testing/peers/check_peers.py --python $(PEERS)/py/bin/python \
		--node-dir $(CURDIR)/$(PEERS)/js

clean:
	rm -rf $(VENV) $(PEERS) build dist .mypy_cache .ruff_cache

# Vigie: two commands on a fresh machine, `make demo` and `make test`.
# Everything installs into .venv from the pinned lock file (requirements.lock).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

.PHONY: help install browser postgres demo test lint bench lock clean

help:
	@echo "make demo   set up, then run the main job on the synthetic demo académie"
	@echo "make test   set up, then run the whole test suite (TEST_WORKERS=2 processes)"
	@echo "make bench  run the benchmarks (see bench/README.md)"
	@echo "make lint   ruff, then mypy on the packages"
	@echo "make lock   re-resolve requirements.lock from pyproject.toml"

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11+ is needed (python3.11 or python3 on PATH)"; exit 1; }
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/vigie demo

# The browser tests drive Debian's Chromium with Playwright (Playwright's own browser download
# is not used): install the distribution package when it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from the distribution's packages for the browser tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

# The store's PostgreSQL tests start a throwaway server from the distribution's programs
# (initdb, pg_ctl): install the package when they are missing.
postgres:
	@command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  echo "Installing PostgreSQL from the distribution's packages for the store tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends postgresql; }

# The suite runs on TEST_WORKERS processes (pytest-xdist), each test file on one of them;
# `make test TEST_WORKERS=0` runs it in this process, one file after another.
TEST_WORKERS ?= 2

test: $(STAMP) browser postgres
	$(BIN)/python -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache .hypothesis

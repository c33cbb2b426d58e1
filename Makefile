# bluelamp — the two commands a newcomer needs are `make demo` and `make test`.
# Every target sets up what it needs (virtualenv, locked Python packages, npm packages, built
# assets) and skips work already done, so re-running is quick.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
ASSETS_STAMP := build/static/.built
FRONTEND_SOURCES := $(shell find frontend -type f 2>/dev/null)
# Root on CI machines; elsewhere sudo is needed to install Chromium with apt.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-sqlite test-postgres lint format bench clean setup chromium

demo: setup
	$(BIN)/bluelamp demo --simulate

# With PostgreSQL, both databases' runs go side by side (each is one process: one core each);
# the PostgreSQL run's output follows the SQLite run's, and either failing fails the target.
test: setup chromium
	@if [ -n "$$BLUELAMP_TEST_DATABASE_URL" ]; then \
		mkdir -p var; \
		$(MAKE) --no-print-directory test-postgres > var/test-postgres.log 2>&1 & postgres=$$!; \
		$(MAKE) --no-print-directory test-sqlite; sqlite=$$?; \
		wait $$postgres; pg=$$?; cat var/test-postgres.log; \
		echo "== SQLite run: $$([ $$sqlite = 0 ] && echo passed || echo FAILED); PostgreSQL run: $$([ $$pg = 0 ] && echo passed || echo FAILED) =="; \
		[ $$sqlite = 0 ] && [ $$pg = 0 ]; \
	else \
		$(MAKE) --no-print-directory test-sqlite && \
		echo "PostgreSQL run skipped: BLUELAMP_TEST_DATABASE_URL is not set (.ci/run sets it)."; \
	fi

test-sqlite:
	@echo "== test suite on SQLite =="
	env -u DATABASE_URL BLUELAMP_ENV=test $(BIN)/pytest

test-postgres:
	@echo "== test suite on PostgreSQL ($$BLUELAMP_TEST_DATABASE_URL) =="
	@$(BIN)/python -c "import os, psycopg; psycopg.connect(os.environ['BLUELAMP_TEST_DATABASE_URL'], connect_timeout=5).close()" \
		|| { echo "PostgreSQL at $$BLUELAMP_TEST_DATABASE_URL is unreachable: the PostgreSQL run cannot be skipped." >&2; exit 1; }
	DATABASE_URL="$$BLUELAMP_TEST_DATABASE_URL" BLUELAMP_ENV=test $(BIN)/pytest --no-cov

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo

format: setup
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: setup
	$(BIN)/python -m benchmarks.run

setup: $(PY_STAMP) $(ASSETS_STAMP)

$(PY_STAMP): requirements.lock pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(ASSETS_STAMP): $(NODE_STAMP) $(FRONTEND_SOURCES)
	npm run --silent build
	@touch $@

# Browser tests drive Debian's Chromium through Playwright; never a downloaded browser.
chromium:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's Chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

clean:
	rm -rf $(VENV) node_modules build var .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Berdaya — developer entry points.
#
#   make run     install what is needed, migrate, seed demo data, serve on $(HOST):$(PORT)
#   make test    lint, then the suite on SQLite, then on PostgreSQL
#
# Debian packages are installed by scripts/system-packages.sh (as root), or it
# prints the sudo command to run.

SHELL := /bin/bash

PY ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

VENV := .venv
FLASK = $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed

RUN_PACKAGES = graphviz fonts-liberation2 libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
# chromium drives the browser tests (tests/browser); poppler-utils and zbar-tools read the
# letters' text and QR codes; wrk is the API load generator (tests/scale/test_load_bench.py).
# PostgreSQL is only needed locally when no external test database is given.
TEST_PACKAGES = $(RUN_PACKAGES) chromium poppler-utils zbar-tools wrk $(if $(BERDAYA_TEST_PG_URL),,postgresql)

# Shows the URL a pytest run uses, with any password masked.
mask_url = sed -E 's|://([^:/@]+):[^@]*@|://\1:***@|'

.PHONY: help venv install system-packages test-system-packages translations db run \
        lint test test-sqlite test-postgres screens bench bench-scale serve-prod clean distclean

help:
	@echo "make run      serve the app on http://$(HOST):$(PORT) (installs, migrates, seeds demo data)"
	@echo "make test     lint + pytest on SQLite + pytest on PostgreSQL (PYTEST_ARGS=... to pass options)"
	@echo "make lint     ruff + mypy"
	@echo "make bench    benchmarks (make bench-scale: the million-case run)"
	@echo "make screens  browser journeys, saving their screens to docs/screens/"
	@echo "make serve-prod  gunicorn (WEB_WORKERS) + one scheduler on BERDAYA_DATABASE_URL"
	@echo "make db       migrate, load regions, seed demo data if empty"
	@echo "make clean    remove caches and compiled files (distclean also removes .venv)"

# --- Python environment -----------------------------------------------------

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --disable-pip-version-check -e '.[dev]'
	touch $@

venv install: $(STAMP)

# --- Debian packages --------------------------------------------------------

system-packages:
	bash scripts/system-packages.sh $(RUN_PACKAGES)

test-system-packages:
	bash scripts/system-packages.sh $(TEST_PACKAGES)

# --- Application ------------------------------------------------------------

translations: install
	@set -e; for domain in messages admin; do \
	    if ls translations/*/LC_MESSAGES/$$domain.po >/dev/null 2>&1; then \
	        echo "$(VENV)/bin/pybabel compile -d translations -D $$domain -f"; \
	        $(VENV)/bin/pybabel compile -d translations -D $$domain -f; \
	    fi; \
	done

db: install
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) regions load
	$(FLASK) demo seed --if-empty

run: system-packages install translations db
	$(FLASK) serve --host $(HOST) --port $(PORT)

# --- Checks -----------------------------------------------------------------

define lint-recipe
$(VENV)/bin/ruff check .
$(VENV)/bin/mypy
endef

define pytest-sqlite-recipe
@echo "=================== pytest on SQLite (BERDAYA_TEST_DATABASE=sqlite) ==================="
BERDAYA_TEST_DATABASE=sqlite $(VENV)/bin/pytest $(PYTEST_ARGS)
endef

# The URL is the last line test-postgres.sh prints; the banner masks its password.
define pytest-postgres-recipe
@url=$$(bash scripts/test-postgres.sh) || exit $$?; url=$${url##*$$'\n'}; \
echo "=================== pytest on PostgreSQL (BERDAYA_TEST_DATABASE=$$(echo "$$url" | $(mask_url))) ==================="; \
echo 'BERDAYA_TEST_DATABASE=$$(bash scripts/test-postgres.sh) $(VENV)/bin/pytest $(PYTEST_ARGS)'; \
BERDAYA_TEST_DATABASE="$$url" $(VENV)/bin/pytest $(PYTEST_ARGS)
endef

lint: install
	$(lint-recipe)

test-sqlite: install translations test-system-packages
	$(pytest-sqlite-recipe)

test-postgres: install translations test-system-packages
	$(pytest-postgres-recipe)

# One recipe, run in order: make stops at the first failure (also under make -j).
test: install translations test-system-packages
	@echo "=================== lint (ruff, mypy) ==================="
	$(lint-recipe)
	$(pytest-sqlite-recipe)
	$(pytest-postgres-recipe)

screens: install translations test-system-packages
	BERDAYA_SCREENS_DIR=$(CURDIR)/docs/screens $(VENV)/bin/pytest tests/browser -q

bench: install
	bash scripts/system-packages.sh $(RUN_PACKAGES) libreoffice-writer-nogui
	$(VENV)/bin/python -m benchmarks

# One million cases on SQLite and PostgreSQL (seeding resumes), the API under gunicorn
# loaded by wrk (Debian's package).
bench-scale: install
	bash scripts/system-packages.sh wrk
	$(VENV)/bin/python -m benchmarks --scale

# Production: gunicorn (WEB_WORKERS, gunicorn.conf.py) + the one scheduler process, on
# BERDAYA_DATABASE_URL (PostgreSQL). Stops both on Ctrl+C or when either exits.
serve-prod: install translations
	@test -n "$$BERDAYA_DATABASE_URL" || { echo "set BERDAYA_DATABASE_URL (postgresql+psycopg://...)"; exit 2; }
	$(FLASK) db upgrade heads
	@trap 'kill 0' EXIT INT TERM; \
	BERDAYA_SCHEDULER=1 BERDAYA_LOG_FORMAT=json $(FLASK) scheduler run & \
	$(VENV)/bin/gunicorn -c gunicorn.conf.py & \
	wait -n

# --- Housekeeping -----------------------------------------------------------

# Keeps instance/ (the local SQLite database) and .venv; distclean drops .venv too.
clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find translations -name '*.mo' -delete 2>/dev/null || true

distclean: clean
	rm -rf $(VENV)

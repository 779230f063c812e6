# The README's commands. Each target sets up .venv/ first when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint bench bench-rest bench-search bench-feed bench-analytics bench-analytics-live bench-web bench-recommendations bench-ws bench-fanout venv clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

## Set up, migrate, load demo data and serve HTTP + WebSocket on http://127.0.0.1:$(PORT)
run: venv
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py recommendations_rebuild
	DEBUG=1 $(BIN)/python manage.py analytics_rebuild
	@echo ""
	@echo "  CollabHub is starting on http://127.0.0.1:$(PORT)"
	@echo "    Web app:             http://127.0.0.1:$(PORT)/   (demo accounts on the landing page)"
	@echo "    API docs (Swagger):  http://127.0.0.1:$(PORT)/api/docs/"
	@echo "    OpenAPI schema:      http://127.0.0.1:$(PORT)/api/schema/"
	@echo "    Admin:               http://127.0.0.1:$(PORT)/admin/"
	@echo "    Live analytics:      http://127.0.0.1:$(PORT)/staff/analytics/  (staff)"
	@echo "    WebSocket:           ws://127.0.0.1:$(PORT)/ws/"
	@echo ""
	DEBUG=1 $(BIN)/python manage.py runserver --noreload 127.0.0.1:$(PORT)

## Set up and run the whole test suite (on the services named by DATABASE_URL / REDIS_URL, if set)
test: venv
	$(BIN)/python -m pytest -n $(or $(PYTEST_WORKERS),auto) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

bench: venv
	$(BIN)/python bench/run.py
	$(BIN)/python bench/middleware.py

## The REST hot path vs bare DRF on the same rows (issue 18); BENCH_ARGS=--postgres for PostgreSQL
bench-rest: venv
	$(BIN)/python bench/rest.py $(BENCH_ARGS)

bench-search: venv
	$(BIN)/python bench/search.py

bench-feed: venv
	$(BIN)/python bench/feed.py

bench-analytics: venv
	$(BIN)/python bench/analytics.py

bench-analytics-live: venv
	$(BIN)/python bench/analytics_live.py

bench-web: venv
	$(BIN)/python bench/web.py

bench-recommendations: venv
	$(BIN)/python bench/recommendations.py

bench-ws: venv
	$(BIN)/python bench/ws_fanout.py

bench-fanout: venv
	$(BIN)/python bench/fanout.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache staticfiles

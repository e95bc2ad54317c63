# The entry points people type. `make dev` and `make test` work on a fresh machine:
# they install uv (with pip) when it is missing and create .venv from uv.lock.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
# Compile bytecode at install time: with PYTHONDONTWRITEBYTECODE set (as on our machines)
# every process would otherwise compile every module it imports, ~4 s per service start.
export UV_COMPILE_BYTECODE := 1
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_WORKERS ?= 2
SOURCES := libs services tests bench examples scripts

.PHONY: setup dev test test-fast lint format typecheck openapi docs bench clean

$(VENV)/.synced: pyproject.toml uv.lock libs/*/pyproject.toml services/*/pyproject.toml
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --all-packages
	@$(PY) -m compileall -q -j 0 libs services tests bench examples >/dev/null || true
	@touch $@

setup: $(VENV)/.synced ## create the environment in .venv

dev: setup ## run all four services in one process (SQLite, in-process queues); Swagger UI on :8080
	$(VENV)/bin/odin dev

test: setup ## the whole suite: unit, integration (PostgreSQL + Redis), e2e
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(ARGS)

test-fast: setup ## unit tests only
	$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not integration and not e2e" $(ARGS)

lint: setup ## ruff and mypy --strict
	$(VENV)/bin/ruff check $(SOURCES)
	$(VENV)/bin/ruff format --check $(SOURCES)
	$(VENV)/bin/mypy libs/odin_common/src libs/odin_sdk/src libs/odin_devserver/src services/*/src

format: setup
	$(VENV)/bin/ruff check --fix $(SOURCES)
	$(VENV)/bin/ruff format $(SOURCES)

typecheck: lint

openapi: setup ## regenerate the committed OpenAPI documents under openapi/
	$(PY) scripts/export_openapi.py openapi

docs: setup ## regenerate the generated pages under docs/ (configuration)
	$(PY) scripts/export_config_docs.py

bench: setup ## the throughput/latency benchmark against four real processes on PostgreSQL + Redis
	$(PY) bench/run_bench.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

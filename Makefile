# leadscore: `make demo` and `make test` do their own set-up on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR := $(CURDIR)

# `make demo ENGINE=postgres|spark` builds on that profiles.yml target (README, "Other engines").
ENGINE ?= duckdb
ENGINE_STAMP := $(VENV)/.engines-installed
DEMO_CONTACTS ?= 500
DEMO_SEED ?= 42
DEMO_DATA := output/sample
DEMO_DB := output/leadscore.duckdb
# The read-only copy BI tools open (scripts/export_marts.py, README "Serving BI").
SERVING_DB := output/serving/leadscore.duckdb
# The dashboard page (scripts/dashboard.py, README "Dashboard").
DASHBOARD := output/dashboard.html

# `make dbt-test`: the sample of pytest's shared build (tests/python/conftest.py,
# default_build), built on its own with dbt's output on screen.
TEST_CONTACTS ?= 400
TEST_DATA := output/test_sample
TEST_DB := output/test.duckdb
# Fixed score time and data end date so the build is reproducible.
TEST_END := 2026-06-30
TEST_AS_OF := 2026-06-30T18:00:00Z
# Each tier prints its slowest tests.
DURATIONS ?= 15

# `make backtest`: a larger sample (wins need numbers), tuned weights, the report.
BACKTEST_CONTACTS ?= 20000
BACKTEST_SEED ?= 42
BACKTEST_END := 2026-06-30
BACKTEST_AS_OF := 2026-07-01T00:00:00Z
BACKTEST_DIR := output/backtest
BACKTEST_DB := $(BACKTEST_DIR)/leadscore.duckdb
# Leads sales can work per cutoff period (30 days) in the sample: the capacity threshold.
BACKTEST_CAPACITY ?= 200

# `make bench SIZE=10M`: the benchmark (docs/performance.md); SIZE is the number of events.
SIZE ?= 10M
REPEATS ?= 3
# STEPS: a comma-separated subset of the benchmark's steps (empty: all of them).
STEPS ?=
# DuckDB uses every core unless told otherwise (profiles.yml, docs/performance.md).
export LEADSCORE_DUCKDB_THREADS ?= $(shell nproc 2>/dev/null || echo 4)

.PHONY: help setup engines-setup java demo backtest bench browser data load build summary test test-all lint ruff dbt-test check-project docs pytest test-engines clean

help:
	@echo "make demo   set up .venv, generate sample data, load it, dbt build, print a summary, write the dashboard"
	@echo "make backtest  backtest the default rules on a 20k-contact sample, tune weights, write the report"
	@echo "make bench SIZE=10M  benchmark full, daily, as_of-forward, history, default-grid and backtest builds beside the floor and physical-limit queries"
	@echo "make demo ENGINE=postgres|spark  the demo on PostgreSQL or Spark (README, \"Other engines\")"
	@echo "make test   the checks of every change (about 8 min on 2 cores): sqlfluff lint, ruff, pytest's fast tier"
	@echo "            (one shared dbt build with every unit and data test, the project checks, ...)"
	@echo "make test-all  the slow tier: every interruption point, more random cases, property, fuzz, browser"
	@echo "make docs   the dbt docs site of the demo warehouse (after make demo)"
	@echo "make test-engines  DuckDB, PostgreSQL and Spark builds of one sample, compared row for row"
	@echo "make clean  remove .venv, output/ and target/"

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

# Adapters for PostgreSQL and Spark (dbt-postgres, dbt-spark, PySpark).
$(ENGINE_STAMP): $(STAMP) requirements-engines.txt
	$(BIN)/pip install --quiet -r requirements-engines.txt
	touch $(ENGINE_STAMP)

engines-setup: $(ENGINE_STAMP) java

# Java 17 for local Spark (Debian's package), when missing.
java:
	@mkdir -p output
	@command -v java >/dev/null 2>&1 || { \
		echo "installing Java 17 (Debian) for Spark"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless) \
			>output/apt-java.log 2>&1 || echo "could not install java: see output/apt-java.log"; }

# The raw data is validated into DuckDB (load_raw.py) and, for another engine,
# copied there (load_raw.py --target runs copy_raw.py); dbt then builds on $(ENGINE)
# with the production command (README, "Daily runs"): every model and data test;
# the unit tests check the SQL, not the data, and make test runs them.
demo: $(STAMP) $(if $(filter-out duckdb,$(ENGINE)),engines-setup)
	@start=$$(date +%s); \
	$(BIN)/python scripts/generate_data.py --output $(DEMO_DATA) --contacts $(DEMO_CONTACTS) --seed $(DEMO_SEED) && \
	$(BIN)/python scripts/load_raw.py --input $(DEMO_DATA) --database $(DEMO_DB) --target $(ENGINE) && \
	build_start=$$(date +%s) && \
	LEADSCORE_DUCKDB_PATH=$(DEMO_DB) $(BIN)/dbt build --exclude-resource-type unit_test --quiet --target $(ENGINE) && \
	build_seconds=$$(( $$(date +%s) - build_start )) && \
	LEADSCORE_DUCKDB_PATH=$(DEMO_DB) $(BIN)/python scripts/summary.py --target $(ENGINE) && \
	if [ "$(ENGINE)" = duckdb ]; then $(BIN)/python scripts/export_marts.py --database $(DEMO_DB) --output $(SERVING_DB) && \
		$(BIN)/python scripts/dashboard.py --database $(SERVING_DB) --output $(DASHBOARD); fi && \
	echo "demo finished in $$(( $$(date +%s) - start )) s (dbt build on $(ENGINE): $$build_seconds s); scores are in the $(ENGINE) target of profiles.yml$(if $(filter duckdb,$(ENGINE)), (BI: open $(SERVING_DB) read-only; dashboard: $(CURDIR)/$(DASHBOARD)))" && \
	echo "next: ./leadscore explain --contact <a contact_id above> --model <its model_id>"

backtest: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/python scripts/generate_data.py --output $(BACKTEST_DIR)/data --contacts $(BACKTEST_CONTACTS) \
		--seed $(BACKTEST_SEED) --end $(BACKTEST_END) --format parquet && \
	$(BIN)/python scripts/load_raw.py --input $(BACKTEST_DIR)/data --database $(BACKTEST_DB) && \
	LEADSCORE_DUCKDB_PATH=$(BACKTEST_DB) $(BIN)/dbt build --quiet --vars '{as_of: "$(BACKTEST_AS_OF)"}' && \
	$(BIN)/python scripts/tune_weights.py --database $(BACKTEST_DB) \
		--output $(BACKTEST_DIR)/scoring_rules_proposed.csv && \
	$(BIN)/python scripts/backtest.py --database $(BACKTEST_DB) --output-dir $(BACKTEST_DIR) \
		--rules proposed=$(BACKTEST_DIR)/scoring_rules_proposed.csv --capacity $(BACKTEST_CAPACITY) \
		--write-calibration $(BACKTEST_DIR)/score_calibration.csv && \
	echo "backtest finished in $$(( $$(date +%s) - start )) s; open $(CURDIR)/$(BACKTEST_DIR)/report.html"

bench: $(STAMP)
	$(BIN)/python scripts/benchmark.py --size $(SIZE) --repeats $(REPEATS) $(if $(STEPS),--steps $(STEPS))

# The tiers (README, "Tests"): make test runs what every change needs, make
# test-all the rest, make test-engines the other engines; .ci/run all three.
test: lint ruff pytest
	@echo "make test passed (make test-all and make test-engines run the slower tiers)"

test-all: $(STAMP) browser
	$(BIN)/pytest tests/python -m slow --durations=$(DURATIONS)

lint: $(STAMP)
	@mkdir -p output
	LEADSCORE_DUCKDB_PATH=output/lint.duckdb $(BIN)/sqlfluff lint models --processes 2

ruff: $(STAMP)
	$(BIN)/ruff check scripts tests/python
	$(BIN)/ruff format --check scripts tests/python

dbt-test: $(STAMP)
	$(BIN)/python scripts/generate_data.py --output $(TEST_DATA) --contacts $(TEST_CONTACTS) --seed 11 --end $(TEST_END)
	$(BIN)/python scripts/load_raw.py --input $(TEST_DATA) --database $(TEST_DB)
	LEADSCORE_DUCKDB_PATH=$(TEST_DB) $(BIN)/dbt build --vars '{as_of: "$(TEST_AS_OF)"}'

# The project's own quality gates (scripts/check_project.py, README "Project checks")
# on the manifest and catalog of `make dbt-test`'s build (make test runs them on
# pytest's shared build: test_check_project.py).
check-project: $(STAMP)
	@test -f $(TEST_DB) || { echo "no $(TEST_DB): run make dbt-test first"; exit 1; }
	LEADSCORE_DUCKDB_PATH=$(TEST_DB) $(BIN)/dbt docs generate --quiet --vars '{as_of: "$(TEST_AS_OF)"}'
	$(BIN)/python scripts/check_project.py

# The dbt docs site (scoring rubric, lineage, every column) of the demo warehouse.
docs: $(STAMP)
	@test -f $(DEMO_DB) || { echo "no $(DEMO_DB): run make demo first"; exit 1; }
	LEADSCORE_DUCKDB_PATH=$(DEMO_DB) $(BIN)/dbt docs generate --quiet --static
	@echo "docs: open $(CURDIR)/target/static_index.html (one file), or run $(BIN)/dbt docs serve"

# Headless Chromium (Debian's package) for the report's browser check; the check is
# skipped, saying so, where it cannot be installed.
browser:
	@mkdir -p output
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (Debian) for the report's browser check"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
			>output/apt-chromium.log 2>&1 || echo "could not install chromium: see output/apt-chromium.log"; }

# The fast tier: every test not marked slow (pyproject.toml).
pytest: $(STAMP)
	$(BIN)/pytest tests/python -m "not slow" --durations=$(DURATIONS)

# Cross-engine equality (tests/engines): installs the adapters and Java, starts a
# PostgreSQL on loopback (Debian's package; LEADSCORE_LOCAL_POSTGRES=0 uses the
# server of the postgres target instead), runs the checks, stops the server.
# The password is random unless LEADSCORE_PG_PASSWORD is set.
LEADSCORE_LOCAL_POSTGRES ?= 1
test-engines: engines-setup
	@rm -f output/engines/timings.json; \
	export LEADSCORE_PG_PASSWORD="$${LEADSCORE_PG_PASSWORD:-$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))')}"; \
	if [ "$(LEADSCORE_LOCAL_POSTGRES)" = 1 ]; then scripts/local_postgres.sh start || exit 1; fi; \
	LEADSCORE_ENGINES_REQUIRED=1 $(BIN)/pytest tests/engines; status=$$?; \
	if [ "$(LEADSCORE_LOCAL_POSTGRES)" = 1 ]; then scripts/local_postgres.sh stop; fi; \
	[ -f output/engines/timings.json ] && echo "step wall times (s):" && cat output/engines/timings.json; \
	exit $$status

clean:
	rm -rf $(VENV) output target logs

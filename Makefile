# make help lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
ENGAGE := $(BIN)/engage
DEMO_FILE := data/demo/camden_street_crime_2019-06.csv

.PHONY: help setup broker-jars run test unit integration lint down clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/activate: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found); install it or set PYTHON=python3.x"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

setup: $(BIN)/activate broker-jars ## create the virtualenv, install, fetch the Kafka jars

broker-jars: ## fetch the Apache Kafka jars from Maven Central (once)
	bash docker/kafka/kafka.sh fetch

run: setup ## the demo: real Camden street crime through Kafka and Faust into DuckDB
	@$(ENGAGE) down >/dev/null 2>&1 || true
	@rm -f var/engage.duckdb var/engage.duckdb.wal
	$(ENGAGE) up
	@trap '$(ENGAGE) down' EXIT; \
	$(ENGAGE) ingest --source police-uk-crime $(DEMO_FILE); \
	$(ENGAGE) wait --timeout 300; \
	echo; echo "Events per neighbourhood (Camden wards, June 2019), from DuckDB:"; \
	$(ENGAGE) query "select n.name as neighbourhood, a.neighbourhood_id, a.channel, a.events \
	  from activity_current a join neighbourhoods n using (neighbourhood_id) order by n.name"; \
	echo; echo "Database: $(CURDIR)/var/engage.duckdb  (ask it: $(ENGAGE) query \"select * from activity_current\")"

test: setup lint ## set up, lint, and run every test (integration tests start a real broker)
	$(BIN)/pytest

unit: $(BIN)/activate ## the fast tests only
	$(BIN)/pytest tests/unit

lint: $(BIN)/activate ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

down: ## stop whatever `engage up` started
	$(ENGAGE) down

clean: down ## stop and remove run-time state
	rm -rf var

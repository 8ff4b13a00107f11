# make help lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
ENGAGE := $(BIN)/engage
DEMO_FILE := data/demo/camden_street_crime_2019-06.csv
# Debian packages the tests use: Chromium and its driver (the dashboard's browser test), poppler (PDFs).
SYSTEM_PACKAGES := chromium chromium-driver poppler-utils

.PHONY: help setup system-deps broker-jars run test unit integration lint down clean bench bench-scaling bench-profile

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/activate: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found); install it or set PYTHON=python3.x"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

setup: system-deps $(BIN)/activate broker-jars ## install system packages, create the virtualenv, fetch the Kafka jars

system-deps: ## apt-get install chromium, chromium-driver, poppler-utils when missing (as root or with sudo)
	@missing=""; \
	for package in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "system-deps: no apt-get here; install$$missing by hand (without /usr/bin/chromium the browser test is skipped)"; exit 0; \
	fi; \
	if [ "$$(id -u)" -eq 0 ]; then as_root=""; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then as_root="sudo -n"; \
	else echo "system-deps: not root and no sudo; skipping$$missing (without /usr/bin/chromium the browser test is skipped)"; exit 0; fi; \
	echo "system-deps: installing$$missing"; \
	{ $$as_root apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$as_root apt-get -o DPkg::Lock::Timeout=300 install -y -qq $$missing; } || \
	  echo "system-deps: apt-get could not install$$missing; the browser test and the PDF page check will say they were skipped"

broker-jars: ## fetch the Apache Kafka jars from Maven Central (once)
	bash docker/kafka/kafka.sh fetch

run: setup ## the demo: every channel for Camden through Kafka and Faust into DuckDB, then the analyst's questions
	@$(ENGAGE) down >/dev/null 2>&1 || true
	@rm -f var/engage.duckdb var/engage.duckdb.wal
	$(ENGAGE) up
	@trap '$(ENGAGE) down' EXIT; \
	echo "Real data: police.uk street crime (June 2019) and FixMyStreet reports (2019-2020) for Camden:"; \
	$(ENGAGE) ingest --source police-uk-crime $(DEMO_FILE); \
	$(ENGAGE) ingest --source fixmystreet data/partners/fixmystreet/camden_lsoa_month_shefA_2019_2020.csv; \
	echo "SYNTHETIC engagement (no real records are public): meetings, a survey, posts, police.uk priorities and events:"; \
	$(ENGAGE) ingest --source meetings data/meetings/meetings_synthetic.jsonl; \
	$(ENGAGE) ingest --source surveys data/surveys/camden_streetsafe_synthetic.csv; \
	$(ENGAGE) ingest --source social data/social/camden_posts_synthetic.jsonl; \
	$(ENGAGE) ingest --source police-uk-priorities data/police_uk/camden_E36007170_priorities_synthetic.json; \
	$(ENGAGE) ingest --source police-uk-events data/police_uk/camden_E36007170_events_synthetic.json; \
	$(ENGAGE) wait --timeout 600; \
	echo; echo "Top priority per neighbourhood (priority_current, rank 1):"; \
	$(ENGAGE) query "select n.name, p.theme, round(p.score, 3) as score, p.voices, p.channels, p.recorded_crimes, p.agreed \
	  from priority_current p join neighbourhoods n using (neighbourhood_id) where p.rank = 1 order by p.score desc"; \
	echo; echo "Community tension now (tension_current):"; \
	$(ENGAGE) query "select n.name, t.level, t.label, t.modelled_level, t.since, len(t.evidence_ids) as evidence \
	  from tension_current t join neighbourhoods n using (neighbourhood_id) order by t.level desc, n.name"; \
	echo; echo "Tension as of 2026-01-15 (tension_history; any past time can be asked):"; \
	$(ENGAGE) query "select n.name, h.level, h.label, h.valid_from from tension_history h join neighbourhoods n using (neighbourhood_id) \
	  where h.valid_from <= TIMESTAMPTZ '2026-01-15' and (h.valid_to is null or h.valid_to > TIMESTAMPTZ '2026-01-15') order by h.level desc, n.name"; \
	echo; echo "You said, we did (feedback_current), by status:"; \
	$(ENGAGE) query "select status, count(*) as themes, round(avg(days_to_action), 1) as mean_days_to_action, \
	  sum(reported_back::int) as reported_back from feedback_current group by status order by themes desc"; \
	echo; echo "Whom to engage next (coverage_current):"; \
	$(ENGAGE) query "select n.name, c.channels_missing, c.seldom_heard_gaps, c.recurring_issues \
	  from coverage_current c join neighbourhoods n using (neighbourhood_id) order by n.name"; \
	echo; echo "Database: $(CURDIR)/var/engage.duckdb; tables priority_, tension_, coverage_, feedback_ current and history,"; \
	echo "tension_alerts, activity_current. Ask it: $(ENGAGE) query \"select * from tension_current\""; \
	echo "With the stack up ($(ENGAGE) up), through the API as the local analyst: $(ENGAGE) priorities Kilburn,"; \
	echo "$(ENGAGE) tension --as-of 2026-01-15 (README: the read side, roles, audit)"; \
	echo; echo "The TT&CG pack for Camden as of 2026-03-01 06:00 (built by the read-side service):"; \
	$(ENGAGE) brief --area camden --as-of 2026-03-01T06:00 --out $(CURDIR)/var/briefings/camden-demo; \
	echo "Pack: $(CURDIR)/var/briefings/camden-demo/pack.pdf and pack.html, with CSV, JSON and Parquet beside them,"; \
	echo "and open data (police.uk shape) in its open_data folder."; \
	echo "Dashboard: $(ENGAGE) up, then open http://127.0.0.1:8765/dashboard/login and sign in with the token in"; \
	echo "$(CURDIR)/var/run/analyst.token ($(ENGAGE) dashboard says the same)."

test: setup lint ## set up, lint, and run every test (integration tests start a real broker)
	$(BIN)/pytest

unit: $(BIN)/activate ## the fast tests only
	$(BIN)/pytest tests/unit

lint: $(BIN)/activate ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

$(VENV)/.bench-installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

# Quix Streams pins confluent-kafka and pydantic below the pipeline's: the peer gets its own virtualenv.
.venv-peer/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv .venv-peer
	.venv-peer/bin/pip install --quiet --upgrade pip
	.venv-peer/bin/pip install --quiet -e '.[bench-peer]'
	touch $@

bench: $(VENV)/.bench-installed .venv-peer/.installed broker-jars ## measure everything on a real local broker (BENCH_EVENTS=1000000 ...; docs/performance.md); one table, benchmarks/results/<date>.json
	$(BIN)/python -m benchmarks

bench-scaling: $(VENV)/.bench-installed broker-jars ## worker throughput with 1 and 2 workers in one consumer group (SCALING_EVENTS=20000 ...; docs/scaling.md)
	$(BIN)/python -m benchmarks.scaling

bench-profile: $(VENV)/.bench-installed broker-jars ## flame graph of the worker during the end-to-end run (py-spy; benchmarks/profile.sh)
	bash benchmarks/profile.sh

down: ## stop whatever `engage up` started
	$(ENGAGE) down

clean: down ## stop and remove run-time state
	rm -rf var

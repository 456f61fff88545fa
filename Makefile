# Two commands: `make demo` and `make test`. Both create .venv when missing.
# `make long` runs what `make test` leaves out: the minutes-long soak, the
# benchmarks' smoke runs and the model's rebuild.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test long install bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/closeloop demo

# The suite is spread over every core (pytest-xdist): each worker has its
# own PostgreSQL database, emulator server and browser.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto

long: $(STAMP)
	$(BIN)/python -m pytest -m "soak or long"

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

# The two commands of the README are `make run` and `make test`; both start from `make install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck unit bench clean

install: $(STAMP)

# Reinstall only when the pinned lock or the project metadata changed (idempotent).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: install
	$(BIN)/healthcode assess --events src/healthcode/samples/events.jsonl \
		--areas src/healthcode/samples/risk_areas.jsonl \
		--severe src/healthcode/samples/severe_areas.jsonl \
		--at 2021-03-20T12:00:00+08:00

test: lint typecheck unit

lint: install
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/ruff check --no-cache .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/assess_population.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

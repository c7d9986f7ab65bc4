# Everyday commands; CI runs .ci/run.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup test lint format samples bench criteria

setup:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -e ".[test]"

test:
	$(PY) -m pytest

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

criteria:
	$(VENV)/bin/cqtt criteria validate
	$(VENV)/bin/cqtt criteria test

samples:
	$(PY) samples/generate.py

bench:
	$(PY) benchmarks/bench_score.py

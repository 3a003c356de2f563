# The two commands: `make run` and `make test`. Each makes .venv when missing and
# installs only when pyproject.toml or constraints.txt changed since the last install.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Three workers (pytest-xdist) on two cores: the process-tree tests spend much of their time waiting.
# Tests that start process trees run in two groups and the browser tests in one, each on one worker.
PYTEST_ARGS ?= -n 3 --dist loadgroup

.PHONY: run test lint bench deploy-check clean

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/elo up --demo --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Needs root and a Docker engine (started when missing); builds local base images where no registry answers.
deploy-check: $(STAMP)
	$(VENV)/bin/python -m tools.deploy_check $(DEPLOY_CHECK_ARGS)

bench: $(STAMP)
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

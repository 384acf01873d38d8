# The commands of the README: `make repro`, `make test` (and `make test-all`). Each creates or updates .venv when
# a requirements file or pyproject.toml changed (and only then), then runs. `make test` also installs
# requirements-test.txt (torch, transformers, hypothesis, ruff) under a stamp of its own, so `make
# repro` never installs torch; it runs ruff (`make lint`) before the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: repro test test-all lint clean-venv
.PHONY: lab notebooks readme

$(STAMP): requirements.txt requirements-embedded.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-embedded.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt -c requirements.txt
	touch $(TEST_STAMP)

repro: $(STAMP)
	$(PY) -m hub_repro $(ARGS)

# Two tiers, as keras-hub's --run_large and transformers' RUN_SLOW: `make test` leaves out the tests
# marked slow (BERT-base size, the notebooks re-executed, the wheel in a fresh venv); `make test-all`
# (CI) runs every test.
test: lint
	$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

test-all: lint
	$(PY) -m pytest tests --durations=25 $(PYTEST_ARGS)

# ruff over the package, the tests and the benchmarks (rules in pyproject.toml).
lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check hub_repro tests benchmarks

clean-venv:
	rm -rf $(VENV)

# JupyterLab from .venv on notebooks/, on loopback only; open the URL with the token it prints.
# PORT=8889 make lab for another port; LAB_ARGS passes more options (tests/browser_check.py: a token).
# As root (containers, this project's machines) JupyterLab wants --allow-root: given then.
PORT ?= 8888
KERNEL := $(VENV)/share/jupyter/kernels/hub-repro/kernel.json

# The venv's Python as a Jupyter kernel named hub-repro (the notebooks' kernelspec), once.
$(KERNEL): $(STAMP)
	$(PY) -m ipykernel install --sys-prefix --name hub-repro --display-name "hub_repro (.venv)"

lab: $(STAMP) $(KERNEL)
	$(VENV)/bin/jupyter lab --notebook-dir notebooks --no-browser --ip 127.0.0.1 --port $(PORT) \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# Executes every notebook in place with its outputs and figures, to commit with it; `make test`
# fails when a committed notebook is stale (tests/test_notebooks.py).
notebooks: $(STAMP)
	$(PY) tests/notebook_tools.py

# Rewrites the outputs README.md quotes (each after a `<!-- readme-output: NAME -->` line) from the
# current code; `make test-all` fails when they are stale (tests/test_readme.py).
readme: $(TEST_STAMP)
	$(PY) tests/readme_outputs.py

# Two commands do everything on a fresh machine:
#   make run    create .venv if missing, install the pinned dependencies, execute every notebook in order
#   make test   the same environment, then all tests (unit tests + nbval on every notebook, fast path)
# Also: make lab (JupyterLab on notebooks/), make bench (speed scripts), make clean-venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install run lab test bench clean-venv

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python scripts/run_notebooks.py $(NOTEBOOKS)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean-venv:
	rm -rf $(VENV)

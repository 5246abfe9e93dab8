# Two commands do everything on a fresh machine:
#   make run    create .venv if missing, install the pinned dependencies, execute every notebook in order
#               (make run NB=07 runs notebook 07 only; NB="02 07" runs two)
#   make test   the same environment, then all tests (unit tests + nbval on every notebook, fast path)
# CI runs `make test` and then `make check`: every notebook at full size, every stored output compared.
# Also: make retrain (regenerate data/models/ on purpose), make lab, make book (the HTML book in build/book),
# make book-serve (serve it at http://localhost:8000/, where its search works), make figures (every figure as a
# named PNG with a caption index, in build/figures), make exercises, make bench, make clean-venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NB ?=
SELECTED  := $(if $(strip $(NB)),$(foreach n,$(NB),$(filter notebooks/$(n)%,$(NOTEBOOKS))),$(NOTEBOOKS))

export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install run retrain lab book book-serve figures test check exercises bench clean-venv

# `make install` (and every target below that runs Python) first runs scripts/setup_env.sh: it checks PYTHON
# (3.11-3.13; one short message otherwise, nothing created), rebuilds a .venv made by an unsupported or another
# named Python, and installs the pins when $(STAMP) is missing or older than requirements.txt/pyproject.toml.
PYTHON_NAMED := $(if $(filter command line environment,$(origin PYTHON)),yes,no)

install:
	@sh scripts/setup_env.sh "$(PYTHON)" "$(VENV)" "$(PYTHON_NAMED)"

run: install
	@test -n "$(SELECTED)" || { echo "no notebook matches NB=$(NB)"; exit 2; }
	@$(BIN)/python scripts/run_notebooks.py $(SELECTED)

retrain: install
	$(BIN)/python scripts/retrain.py

# JupyterLab on the notebooks, opened on notebooks/00_start_here.md (docs/lab/overrides.json: Markdown opens
# rendered, no news fetched); kernels import helpers first (docs/lab/ipython_kernel_config.py, copied into the
# environment), which keeps TensorFlow's C++ start-up lines out of the notebooks.
lab: install
	@mkdir -p $(VENV)/etc/ipython && cp docs/lab/ipython_kernel_config.py $(VENV)/etc/ipython/
	$(BIN)/jupyter lab --LabApp.app_settings_dir="$(CURDIR)/docs/lab" notebooks/00_start_here.md

book: install
	@$(BIN)/python docs/book/build.py build/book

# The book over http (opened as a file, its search finds page titles only); Ctrl+C stops the server.
book-serve: book
	$(BIN)/python -m http.server --directory build/book 8000

# Every figure of the stored notebooks (nothing re-executed) as build/figures/NN_caption_slug.png, written as
# stored, with build/figures/index.md and index.csv (file, notebook, caption, pixels, dpi); for slides.
figures: install
	@$(BIN)/python scripts/export_figures.py build/figures

test: install
	$(BIN)/python -m pytest

# The full-path regression run (CI runs it after `make test`): every notebook re-executed at full size under strict
# nbval, every claim checked, every output compared with the stored one (text exactly, figures by digest; only
# what tests/nbval_sanitize.cfg names is masked). NB= selects notebooks as for `make run`.
check: install
	@test -n "$(SELECTED)" || { echo "no notebook matches NB=$(NB)"; exit 2; }
	MNIST_OIP_FAST=0 MNIST_OIP_STRICT=1 MNIST_OIP_PROGRESS=1 $(BIN)/python -m pytest -o addopts="" -p no:cacheprovider -q \
		--nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg $(SELECTED)

# Every exercise variant that a notebook lists (metadata "exercises"): the notebook with that change to its
# parameters cell, executed on the fast path to its end (tests/test_exercises.py; about half an hour, so not in CI).
exercises: install
	MNIST_OIP_EXERCISES=1 $(BIN)/python -m pytest -o addopts="" -p no:cacheprovider -q tests/test_exercises.py

bench: install
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean-venv:
	rm -rf $(VENV)

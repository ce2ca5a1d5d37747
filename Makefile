# The two commands of the README: `make book` and `make test`. Both set up
# .venv from pyproject.toml and constraints.txt when it is missing or stale.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where the book is written: $(BUILD_ROOT)/_build/html.
BUILD_ROOT ?= .
HTML := $(BUILD_ROOT)/_build/html
# Notebooks to (re-)execute with `make notebooks`; default: all of them.
NB ?= $(sort $(wildcard chapters/*.ipynb))
PORT ?= 8000

export JAX_PLATFORMS := cpu
# JAX's persistent compilation cache, kept with the environment it belongs to:
# every compilation (even the quick ones) is stored, so a second `make test`
# or `make notebooks` reuses the XLA programs of the first instead of
# compiling them again (chapters 4 and 6 under nbval: 48 s -> 29 s). The
# cached programs are the ones JAX would compile, so outputs do not change.
export JAX_COMPILATION_CACHE_DIR := $(abspath $(VENV))/jax-cache
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS := 0
export JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES := -1
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup book test test-fast lab notebooks serve bench clean

help:
	@echo "make book       build the HTML book into $(HTML) (sets up .venv first if needed)"
	@echo "make test       build the book, then run every test: unit, property, doctests, hygiene, the browser test, strict nbval"
	@echo "                (TEST_WORKERS=1 for one process; default 2)"
	@echo "make lab        open the chapters in JupyterLab"
	@echo "make notebooks  re-execute notebooks in place in a fresh kernel (NB=path to pick one)"
	@echo "make serve      serve the built book on http://localhost:$(PORT)"
	@echo "make clean      remove build products (keeps .venv)"

setup: $(STAMP)

# uv installs the pinned set in seconds where pip takes minutes; it is itself
# pinned here and installed by the venv's own pip.
$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or pass PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$$(sed -n 's/^uv==//p' constraints.txt)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --constraint constraints.txt --editable '.[dev]'
	touch $(STAMP)

# Everything the HTML is made from. When none of it is newer than the last
# successful build, `make book` (and `make test`) skip Sphinx, whose own
# nothing-changed rebuild takes about 9 s; `make -B book` forces a build.
BOOK_SOURCES := _config.yml _toc.yml references.bib $(filter-out README.md,$(wildcard *.md)) $(wildcard chapters/*.ipynb) \
	$(wildcard _static/*) $(wildcard _ext/*.py) $(wildcard src/softmaxlab/*.py)
BOOK_STAMP := $(BUILD_ROOT)/_build/.book-built

book: $(BOOK_STAMP)
	@echo "Open $(abspath $(HTML))/index.html"

$(BOOK_STAMP): $(STAMP) $(BOOK_SOURCES)
	$(BIN)/jupyter-book build . --path-output $(BUILD_ROOT) -W -n --keep-going
	touch $@

# The book is built first: tests/test_browser.py opens every page of it in
# headless Chromium (it skips when /usr/bin/chromium is missing, unless
# BOOK_BROWSER_REQUIRED is set, as .ci/run does). One pytest run holds every
# test: unit, property and doctests, the browser test, and strict nbval on
# every chapter. pytest-xdist spreads it over TEST_WORKERS processes, a whole
# file (a notebook's cells, in order, in one kernel) to each at a time.
TEST_WORKERS ?= 2
test: $(BOOK_STAMP)
	BOOK_HTML_DIR=$(abspath $(HTML)) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile \
		tests src/softmaxlab chapters \
		--nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

lab: $(STAMP)
	$(BIN)/jupyter lab chapters

notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py $(NB)

serve:
	@test -d $(HTML) || { echo "no book at $(HTML): run 'make book' first"; exit 1; }
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory $(HTML)

# The bench extra (scipy) is installed once, with its own stamp, and again
# only when the environment or its pins change. BENCH_ARGS=--quick shortens
# the accuracy part (L = 10^4 for the long family).
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --constraint constraints.txt --editable '.[dev,bench]'
	touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/accuracy.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

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
# The whole-book PDF (`make pdf`), in the site's root.
PDF := $(HTML)/the-derivatives-of-softmax.pdf
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

.PHONY: help setup book test test-unit test-reduced-isa test-plain lint lab notebooks serve bench pdf mutants clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

setup: $(STAMP)  ## create .venv and install the pinned environment (the other targets do it when needed)

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

book: $(BOOK_STAMP)  ## build the HTML book into _build/html (warnings are errors)
	@echo "Open $(abspath $(HTML))/index.html"

# A PDF printed from older pages is removed first: pages link the PDF only
# when it is there (_ext/book_home.py), and `make pdf` prints a new one.
$(BOOK_STAMP): $(STAMP) $(BOOK_SOURCES)
	rm -f $(PDF)
	@# Sphinx copies _static/ and reruns _ext/ only when some page is out of
	@# date: after a change there alone it reports "no targets are out of
	@# date" and the site keeps the old CSS. Such a change rebuilds everything.
	@if [ -f $@ ] && [ -n "$$(find _static _ext -type f -newer $@)" ]; then \
		echo "_static/ or _ext/ changed: rebuilding every page"; rm -rf $(BUILD_ROOT)/_build/.doctrees; fi
	@# A failed build forgets what it read: Sphinx would otherwise not read
	@# (nor warn about) those pages again, and a second `make book` would pass.
	$(BIN)/jupyter-book build . --path-output $(BUILD_ROOT) -W -n --keep-going \
		|| { rm -rf $(BUILD_ROOT)/_build/.doctrees; exit 1; }
	touch $@

# The book is built first: tests/test_browser.py opens every page of it in
# headless Chromium (it skips when /usr/bin/chromium is missing, unless
# BOOK_BROWSER_REQUIRED is set, as .ci/run does). One pytest run holds every
# test: unit, property and doctests, the browser test, and strict nbval on
# every chapter. pytest-xdist spreads it over TEST_WORKERS processes, a whole
# file (a notebook's cells, in order, in one kernel) to each at a time.
# Then strict nbval runs a second time under the reduced-ISA profile below.
TEST_WORKERS ?= 2
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
test: $(BOOK_STAMP)  ## every test: unit, property, doctests, hygiene, browser, strict nbval (twice: default and reduced ISA)
	BOOK_HTML_DIR=$(abspath $(HTML)) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile \
		tests src/softmaxlab chapters $(NBVAL)
	$(MAKE) --no-print-directory test-reduced-isa

# The reduced-ISA profile: the committed outputs must be what a reader's CPU
# prints too, not only this machine's. NumPy's exp, log1p and reductions have
# AVX-512 and AVX2 code paths whose last bits differ from the baseline (SSE)
# ones; XLA compiles for the newest ISA it finds. Here NumPy is limited to its
# x86-64-v2 baseline and XLA to SSE4.2, which is roughly a CPU from 2010; a
# notebook that prints a last-bit fact of one CPU fails here. On a machine
# that is not x86-64 the profile does not apply and is skipped (say so).
REDUCED_ISA := NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR X86_V3" XLA_FLAGS=--xla_cpu_max_isa=SSE4_2 \
	JAX_COMPILATION_CACHE_DIR=$(abspath $(VENV))/jax-cache-reduced-isa
test-reduced-isa: $(STAMP)  ## strict nbval on every chapter with NumPy at x86-64-v2 and XLA at SSE4.2
	@if [ "$$(uname -m)" != x86_64 ]; then echo "reduced-ISA profile: x86-64 only, skipped on $$(uname -m)"; else \
		$(REDUCED_ISA) $(BIN)/python -m pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile chapters $(NBVAL); fi

# Unit, property and doctests: well under a minute, no notebooks, no browser.
# The quick loop: tests marked slow (JAX programs compiled for 4 devices, a
# whole mini-book built) are left to `make test`, which runs every test.
test-unit: $(STAMP)  ## unit, property and doctests only (no notebooks, no browser, no slow tests)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) tests src/softmaxlab -m "not slow" \
		--deselect tests/test_browser.py --deselect tests/test_nbval_is_strict.py

# JupyterLab on the chapters. Root in a container (a learner's docker run)
# needs --allow-root; LAB_IP=0.0.0.0 to reach it from outside the container;
# ARGS for anything else (make lab ARGS="--port 9999 --no-browser").
LAB_IP ?= 127.0.0.1
ARGS ?=
lab: $(STAMP)  ## JupyterLab on chapters/ (LAB_IP=0.0.0.0, ARGS="--port 9999")
	$(BIN)/jupyter lab --ip=$(LAB_IP) $(if $(filter 0,$(shell id -u)),--allow-root) $(ARGS) chapters

# The reader's path, checked: a fresh venv on Python 3.13, a plain
# `pip install .` (no extras, no constraints: the newest releases, as the
# notebooks' install cell gets in Colab), nbclient and ipykernel to run the
# notebooks, then every chapter top to bottom. A chapter that raises fails the
# target; outputs may differ from the pinned ones and are not compared.
PYTHON313 ?= $(firstword $(wildcard /root/.pyenv/versions/3.13.0/bin/python3.13) python3.13)
PLAIN_VENV ?= $(BUILD_ROOT)/_build/plain-venv
test-plain:  ## every chapter in a fresh Python 3.13 venv after a plain pip install (newest releases)
	@command -v $(PYTHON313) >/dev/null || { echo "error: $(PYTHON313) not found; pass PYTHON313=/path/to/python3.13"; exit 1; }
	rm -rf $(PLAIN_VENV)
	$(PYTHON313) -m venv $(PLAIN_VENV)
	@# A copy of the package's sources: pip builds in the tree it is given and
	@# would leave build/ behind in this one.
	mkdir -p $(PLAIN_VENV)/source && cp -r pyproject.toml README.md src $(PLAIN_VENV)/source/
	$(PLAIN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(PLAIN_VENV)/source
	$(PLAIN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check nbclient ipykernel
	$(PLAIN_VENV)/bin/python -m pip list --disable-pip-version-check | grep -iE '^(numpy|jax|jaxlib|matplotlib|mpmath|ipywidgets|ml.dtypes) '
	cd $(PLAIN_VENV) && bin/python -c "import softmaxlab, sys; print('softmaxlab', softmaxlab.__version__, 'on Python', sys.version.split()[0])"
	$(PLAIN_VENV)/bin/python scripts/execute_notebooks.py --no-write $(sort $(wildcard chapters/*.ipynb))

# The whole book as one PDF, printed from the built HTML by the system
# Chromium (scripts/book_pdf.py), into the site's root; a second build then
# writes every page again with the PDF in its download menu (only then: see
# _ext/book_home.py); then tests/test_pdf.py reads the PDF back.
pdf: $(BOOK_STAMP)  ## print the whole book as one PDF into _build/html, link it, then test it
	$(BIN)/python scripts/book_pdf.py $(HTML) $(PDF)
	$(BIN)/jupyter-book build . --path-output $(BUILD_ROOT) -W -n --keep-going
	BOOK_PDF=$(abspath $(PDF)) BOOK_PDF_REQUIRED=1 $(BIN)/python -m pytest -q tests/test_pdf.py

notebooks: $(STAMP)  ## re-execute notebooks in place in a fresh kernel (NB=path for one)
	$(BIN)/python scripts/execute_notebooks.py $(NB)

serve:  ## serve the built book on 127.0.0.1 (PORT=8000 by default)
	@test -d $(HTML) || { echo "no book at $(HTML): run 'make book' first"; exit 1; }
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory $(HTML)

# The bench extra (scipy) is installed once, with its own stamp, and again
# only when the environment or its pins change. BENCH_ARGS=--quick shortens
# the accuracy part (L = 10^4 for the long family).
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --constraint constraints.txt --editable '.[dev,bench]'
	touch $@

bench: $(BENCH_STAMP)  ## accuracy and speed benchmark (BENCH_ARGS=--quick for a short run)
	$(BIN)/python benchmarks/accuracy.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/speed.py

# ruff (lint rules and formatting: pyproject.toml, chapters/ruff.toml for the
# notebooks) and mypy --strict on the package. All three run, so one run
# shows every finding; the target fails if any of them found something.
lint: $(STAMP)  ## ruff check, ruff format --check and mypy (zero findings)
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

# Plant errors in a copy of softmaxlab and check that strict nbval on the
# chapters that rely on each function fails (scripts/mutants.py lists them).
mutants: $(STAMP)  ## plant errors in softmaxlab and check that the chapters' checks catch each one
	$(BIN)/python scripts/mutants.py $(MUTANTS)

clean:  ## remove build products (keeps .venv)
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

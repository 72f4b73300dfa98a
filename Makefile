# The book's two commands: `make book` and `make test` (see README.md).
# Both create the local virtual environment .venv from the pinned requirements.txt first.
#
# One execution per chapter in the build, one more in the comparison:
#   make build   executes every chapter whose code has no cached outputs, two at a time
#                (scripts/cache_guard.py --execute: jupyter-cache, one BLAS thread per
#                kernel), then runs the strict build `jupyter-book build . -n -W`, which
#                takes every notebook from that cache and executes nothing itself.
#   make nbval   executes the build's notebooks once more, in nbval's comparing mode, from
#                a temporary folder outside the repository (scripts/chapters.py compare):
#                any cell whose text differs from the build's fails. This is also the run
#                of the downloadable notebooks "elsewhere" (same code cells, checked).
#                Warm rule: a chapter already compared against the same executed notebook,
#                lib/, requirements and sanitize rules is skipped (stamps in
#                _build/.nbval-compared/); `make test-full`, or CI=true, compares all.
#   The other checks (assignments, browser, PDF, downloads, structure) read that build;
#   the same warm rule skips a slow check whose inputs (a page's HTML; a chapter and lib/
#   for JupyterLab and for the assignments; ...) did not change since it passed (the
#   `stamped` fixture of tests/conftest.py, stamps in _build/.checks-passed/); the
#   assignment self-checks execute only the cells grading needs, in one kernel per chapter.
# In `make test` the strict build and the comparison run side by side, as do lint and the
# unit tests (see TEST_STAGES).
# Every stage prints its wall-clock and CPU seconds and appends them to _build/timings.txt;
# the end of `make test` prints how many times each chapter was executed (at most twice,
# enforced).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-12)
JB     := $(BIN)/jupyter-book
# parallel jobs: chapters executed at once, pytest-xdist workers (the machine has 2 cores)
JOBS   ?= 2
SHELL  := /bin/bash
# one BLAS/OpenMP thread per process: the parallel kernels share the cores without
# oversubscription, and the build and the comparison run with the same thread count
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

TIMINGS := _build/timings.txt
# $(call timed,NAME,COMMAND): run COMMAND (bash), print its wall-clock and CPU seconds
# (CPU: user + sys of COMMAND and every process it waited for, kernels included) and
# append them to $(TIMINGS); exit with COMMAND's status
timed = mkdir -p _build; TIMEFORMAT="== $(1): %1R s wall, %1U s user + %1S s sys CPU"; \
	{ time ( { $(2) ; } 2>&3 ) ; } 3>&2 2> _build/.time-$(1); rc=$$?; \
	cat _build/.time-$(1) | tee -a $(TIMINGS); exit $$rc

NBVAL_FLAGS := $(if $(filter true,$(CI))$(FULL),--all)

INSTALL = (test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)) && \
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24" && \
	$(BIN)/python -m pip install --quiet -r requirements.txt
EXECUTE = $(BIN)/python scripts/cache_guard.py --execute --jobs $(JOBS)
STRICT_BUILD = $(JB) build . -n -W --keep-going 2>&1 | tee _build/build.log; rc=$${PIPESTATUS[0]}; \
	test $$rc -eq 0 || { grep -E "WARNING|ERROR" _build/build.log | grep -v IPKernelApp | head -40; \
	                     echo "the strict build failed (exit $$rc): see _build/build.log"; exit 1; }
# lint: ruff (lint, then format check) over the package, scripts and tests, ruff over the
# chapters' code cells and their widths (scripts/lint_chapters.py), and the type check of
# lib and scripts (mypy, its
# settings in pyproject.toml); no network, seconds once mypy's cache (.mypy_cache) exists
# (every step runs; the target fails if one of them failed)
LINT = rc=0; $(BIN)/ruff check lib scripts tests jupyter-config || rc=1; \
	$(BIN)/ruff format --check lib scripts tests jupyter-config || rc=1; \
	$(BIN)/python scripts/lint_chapters.py || rc=1; \
	$(BIN)/mypy || rc=1; exit $$rc
UNIT = $(BIN)/python -m pytest tests/lib tests/book -m "not slow and not build and not html" \
	-q -n $(JOBS) --dist load
COMPARE = $(BIN)/python scripts/chapters.py compare --jobs $(JOBS) $(NBVAL_FLAGS)
# Stages that use different cores run side by side (make -j2, each target's output shown
# whole when it ends): lint (one core) beside the unit tests, and the strict build (Sphinx,
# one core; it reads the executed notebooks from the cache) beside the nbval comparison
# (which reads the same cache, not the build's HTML).
SIDE_BY_SIDE = $(MAKE) --no-print-directory -j2 --output-sync=target
TEST_STAGES = $(SIDE_BY_SIDE) lint unit && $(MAKE) --no-print-directory execute && \
	$(SIDE_BY_SIDE) sphinx nbval && $(MAKE) --no-print-directory checks; rc=$$?; \
	echo "Executions of each chapter in this run (build, then nbval):"; \
	$(BIN)/python scripts/chapters.py ledger && exit $$rc
# the PDF (single-threaded LaTeX) is built and checked by its own pytest, alongside the
# other checks on two workers: no worker waits for it
CHECKS = export BOOK_BUILD_DONE=1 BOOK_STAMPS=$(if $(NBVAL_FLAGS),0,1); \
	$(BIN)/python -m pytest tests/book/test_pdf.py -q > _build/test-pdf.log 2>&1 & pdf=$$!; \
	$(BIN)/python -m pytest tests/lib tests/book -m "slow or build or html" \
	    --ignore=tests/book/test_pdf.py -q -n $(JOBS) --dist load --durations=15; rc=$$?; \
	wait $$pdf; rcpdf=$$?; echo "tests/book/test_pdf.py (run alongside) said:"; \
	if [ $$rcpdf -eq 0 ]; then tail -n 1 _build/test-pdf.log; else cat _build/test-pdf.log; fi; \
	[ $$rc -eq 0 ] && [ $$rcpdf -eq 0 ]

.PHONY: help venv book build execute sphinx test test-full lint unit nbval checks assignments pdf bench \
	screenshots clean clean-cache

help:
	@echo "make lint         ruff (lint + format check) over lib, scripts, tests and the chapters' code; mypy"
	@echo "make unit         the fast loop: unit tests, book structure, exercise format (no chapter runs)"
	@echo "make book         build the HTML book into _build/html (executes the chapters that changed)"
	@echo "                  = make execute (the chapters, two at a time) then make sphinx (strict build)"
	@echo "make test         lint + unit -> execute -> sphinx (strict) + nbval comparison -> checks of the build"
	@echo "make test-full    make test, comparing every chapter again (as CI=true does)"
	@echo "make assignments  student notebooks and autograders into _build/assignments"
	@echo "make pdf          the whole book as one PDF via LaTeX (_build/latex/book.pdf)"
	@echo "make bench        the memory benchmark table (scripts/bench_memory.py)"
	@echo "make screenshots  whole-page screenshots of every built page into _build/screenshots"
	@echo "make clean        remove _build (keeps .venv)"

$(STAMP): requirements.txt pyproject.toml
	@$(call timed,install,$(INSTALL))
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

# the chapters' one execution (two at a time), then the strict build from the cache
build: venv
	@$(MAKE) --no-print-directory execute
	@$(MAKE) --no-print-directory sphinx

execute: venv
	@$(call timed,execute,$(EXECUTE))

sphinx: venv
	@$(call timed,sphinx,$(STRICT_BUILD))

book: build
	@echo "HTML written to _build/html/index.html"

lint: venv
	@$(call timed,lint,$(LINT))

unit: venv
	@$(call timed,unit,$(UNIT))

# the second execution of every chapter, compared cell by cell with the build's
nbval: venv
	@$(call timed,nbval,$(COMPARE))

# checks that read the build: its log, the HTML in a browser, the PDF, the downloads;
# the assignments' three gradings (on grading slices) and the comparison's own tests
checks: venv
	@$(call timed,checks,$(CHECKS))

test: venv
	@mkdir -p _build && echo "---- make test, $$(date -u +%Y-%m-%dT%H:%MZ)" >> $(TIMINGS)
	@$(BIN)/python scripts/chapters.py ledger --reset
	@$(call timed,test,$(TEST_STAGES))

test-full:
	$(MAKE) --no-print-directory test FULL=1

pdf: venv
	$(BIN)/python scripts/cache_guard.py --execute --jobs $(JOBS)
	$(JB) build . --builder pdflatex -n --keep-going
	@echo "PDF written to _build/latex/book.pdf"

bench: venv
	$(BIN)/python scripts/bench_memory.py

# the page checks of the built HTML again, each page photographed top to bottom (`make test`
# takes the first screen only: a whole chapter takes about 3 s to rasterise)
screenshots: build
	BOOK_FULL_SCREENSHOTS=1 BOOK_STAMPS=0 $(BIN)/python -m pytest \
	    tests/book/test_browser.py -k test_page_in_browser -q -n $(JOBS) -p no:cacheprovider
	@echo "screenshots written to _build/screenshots"

assignments: venv
	$(BIN)/python scripts/assignments.py generate _build/assignments

clean:
	rm -rf _build

clean-cache:
	rm -rf _build/.jupyter_cache _build/.lib-hash _build/.doctrees _build/.nbval-compared _build/.checks-passed

# ------------------------------------------------------------- readers and publishing
# JupyterLab on the chapters, the package as a wheel, and every step of the GitHub
# Actions workflows (.github/workflows/*.yml call nothing but these targets and the
# ones above; tests/book/test_workflows.py lints the workflows and runs each target).
#   make lab             JupyterLab on 127.0.0.1 with the book's kernel; chapters/*.md open
#                        as notebooks (jupytext), MyST renders (jupyterlab-myst)
#   make dist            the wheel of the package `dynapprox` into _build/dist
#   make lint-workflows  actionlint (the jactionlint build) over .github/workflows
#   make linkcheck       every link of the built HTML (_build/html), external ones too
#   make check-repository REPOSITORY=https://github.com/<owner>/<repo>
#                        fails unless `repository: url` of _config.yml is that repository
#   make publish         the built HTML onto the gh-pages branch, pushed to PUBLISH_REMOTE
#   make system-deps     the Debian packages of the tests (as root; CHECK=1 only checks)
#   make test-lab        every chapter run in JupyterLab in headless Chromium (`make test`
#                        runs one, tests/book/test_lab.py; this runs them all, one at a time)
LAB_DIR     ?= $(CURDIR)
LAB_ARGS    ?=
LAB_ROOT    := $(if $(filter 0,$(shell id -u)),--allow-root)
DIST        := _build/dist
LINKCHECK_DIR ?= _build/html
WORKFLOWS_DIR ?= .github/workflows
PUBLISH_REMOTE ?= origin
SYSTEM_DEPS := chromium libjs-mathjax fonts-mathjax poppler-utils texlive-latex-recommended \
               texlive-latex-extra texlive-fonts-recommended texlive-xetex texlive-plain-generic \
               latexmk tex-gyre lmodern fonts-freefont-otf

.PHONY: lab dist lint-workflows check-repository linkcheck publish system-deps test-lab

lab: venv
	@test -f $(BIN)/../share/jupyter/kernels/python3/kernel.json || \
	    $(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter-config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	    $(BIN)/jupyter lab --ip=127.0.0.1 $(LAB_ROOT) --ServerApp.root_dir="$(LAB_DIR)" $(LAB_ARGS)

dist: venv
	rm -rf $(DIST) build
	$(BIN)/python -m build --wheel --no-isolation --outdir $(DIST) .
	rm -rf build
	@ls $(DIST)/*.whl

lint-workflows: venv
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jactionlint --no-color --no-online $(WORKFLOWS_DIR)/*.yml

check-repository:
	$(BIN)/python scripts/book_reader.py check-repository "$(REPOSITORY)"

linkcheck: venv
	$(BIN)/python scripts/linkcheck.py $(LINKCHECK_DIR)

publish:
	test -f _build/html/index.html
	$(BIN)/ghp-import --no-jekyll --force --push --remote $(PUBLISH_REMOTE) --branch gh-pages \
	    --message "Publish the book from $$(git rev-parse --short HEAD)" _build/html

system-deps:
ifeq ($(CHECK),1)
	@missing=""; for p in $(SYSTEM_DEPS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; if [ -n "$$missing" ]; then echo "not installed:$$missing (run: sudo make system-deps)"; exit 1; fi; \
	echo "system-deps: all $(words $(SYSTEM_DEPS)) Debian packages are installed"
else
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_DEPS)
endif

test-lab: venv
	BOOK_LAB_ALL=1 $(BIN)/python -m pytest tests/book/test_lab.py -q -p no:cacheprovider

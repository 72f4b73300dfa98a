# The book's two commands: `make book` and `make test` (see README.md).
# Both create the local virtual environment .venv from the pinned requirements.txt first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-12)
JB     := $(BIN)/jupyter-book
NBDIR  := _build/notebooks
# pytest-xdist workers for the notebook runs (the machine has 2 cores)
JOBS   ?= 2

.PHONY: help venv book test unit nbval build assignments pdf bench clean clean-cache

help:
	@echo "make book         build the HTML book into _build/html (executes every chapter)"
	@echo "make test         unit tests, nbval over every chapter, assignments, strict build"
	@echo "make assignments  student notebooks and autograders into _build/assignments"
	@echo "make pdf          the whole book as one PDF via LaTeX (_build/latex/book.pdf)"
	@echo "make bench        the memory benchmark table (scripts/bench_memory.py)"
	@echo "make clean        remove _build (keeps .venv)"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

build: venv
	$(BIN)/python scripts/cache_guard.py
	$(JB) build . -n -W --keep-going

book: build
	@echo "HTML written to _build/html/index.html"

unit: venv
	$(BIN)/python -m pytest tests -m "not slow and not build and not html" -q

nbval: venv
	rm -rf $(NBDIR)
	$(BIN)/python scripts/chapters.py notebooks $(NBDIR)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider \
	    -n $(JOBS) --dist loadscope $(NBDIR) -q

pdf: venv
	$(BIN)/python scripts/cache_guard.py
	$(JB) build . --builder pdflatex -n --keep-going
	@echo "PDF written to _build/latex/book.pdf"

bench: venv
	$(BIN)/python scripts/bench_memory.py

assignments: venv
	$(BIN)/python scripts/assignments.py generate _build/assignments

# 1. unit tests, book structure, reproducibility and assignment checks (in parallel;
#    --dist load spreads the per-chapter tests of one module over both workers)
# 2. nbval over every chapter listed in _toc.yml
# 3. the strict build of the whole book (and the checks of the built HTML)
test: venv
	$(BIN)/python -m pytest tests -m "not build and not html" -q -n $(JOBS) --dist load
	$(MAKE) nbval
	$(BIN)/python -m pytest tests -m "build or html" -q

clean:
	rm -rf _build

clean-cache:
	rm -rf _build/.jupyter_cache _build/.lib-hash

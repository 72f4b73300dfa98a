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

# ------------------------------------------------------------- readers and publishing
# JupyterLab on the chapters, the package as a wheel, and every step of the GitHub
# Actions workflows (.github/workflows/*.yml call nothing but these targets and the
# ones above; tests/test_workflows.py lints the workflows and runs each target).
#   make lab             JupyterLab on 127.0.0.1 with the book's kernel; chapters/*.md open
#                        as notebooks (jupytext), MyST renders (jupyterlab-myst)
#   make dist            the wheel of the package `dynapprox` into _build/dist
#   make lint-workflows  actionlint (the jactionlint build) over .github/workflows
#   make linkcheck       every link of the built HTML (_build/html), external ones too
#   make check-repository REPOSITORY=https://github.com/<owner>/<repo>
#                        fails unless `repository: url` of _config.yml is that repository
#   make publish         the built HTML onto the gh-pages branch, pushed to PUBLISH_REMOTE
#   make system-deps     the Debian packages of the tests (as root; CHECK=1 only checks)
LAB_DIR     ?= $(CURDIR)
LAB_ARGS    ?=
LAB_ROOT    := $(if $(filter 0,$(shell id -u)),--allow-root)
DIST        := _build/dist
LINKCHECK_DIR ?= _build/html
PUBLISH_REMOTE ?= origin
SYSTEM_DEPS := chromium libjs-mathjax fonts-mathjax poppler-utils texlive-latex-recommended \
               texlive-latex-extra texlive-fonts-recommended texlive-xetex texlive-plain-generic \
               latexmk tex-gyre lmodern fonts-freefont-otf

.PHONY: lab dist lint-workflows check-repository linkcheck publish system-deps

lab: venv
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter-config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	    $(BIN)/jupyter lab --ip=127.0.0.1 $(LAB_ROOT) --ServerApp.root_dir="$(LAB_DIR)" $(LAB_ARGS)

dist: venv
	rm -rf $(DIST) build
	$(BIN)/python -m build --wheel --no-isolation --outdir $(DIST) .
	rm -rf build
	@ls $(DIST)/*.whl

lint-workflows: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jactionlint --no-color --no-online .github/workflows/*.yml

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

# Two commands do all the set-up:  `make lab` opens the guide, `make test` runs every test.
# Both create the virtual environment .venv (and node_modules when npm is present) on first use.
# `make lab` installs the guide alone (the `lab` extra); `make test` adds the test tools (the
# `test` extra) to the same .venv, so `make lab` then `make test` upgrades it in place.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: lab notebook7 test setup lab-setup notebooks site lint clean

# Jupyter refuses to start as root (containers, Codespaces, many classroom VMs) unless told
# it may; only root gets the flag. LAB_ARGS passes more options, e.g. LAB_ARGS=--no-browser.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: lab-setup
	$(BIN)/jupyter lab --ip=127.0.0.1 $(ALLOW_ROOT) $(LAB_ARGS) notebooks/00-index.ipynb

# The same guide in Jupyter Notebook 7 (one notebook per browser tab), for who prefers it.
notebook7: lab-setup
	$(BIN)/jupyter notebook --ip=127.0.0.1 $(ALLOW_ROOT) $(LAB_ARGS) notebooks/00-index.ipynb

# The suite starts a hundred Python processes (kernels, chat nodes, emitter jobs); each would
# compile chatlib's modules again where PYTHONDONTWRITEBYTECODE keeps Python from caching them.
test: setup
	@$(BIN)/python -m compileall -q chatlib tests tools
	$(BIN)/pytest $(PYTEST_ARGS)

lab-setup: $(VENV)/.lab-installed node_modules/.installed
setup: $(VENV)/.test-installed node_modules/.installed

# --no-compile: Python caches the bytecode of the modules it imports on first use, instead of
# pip compiling every module of every package up front (about 50 MB never read).
# setuptools: Python 3.11's venv adds it, 3.12's no longer does; pip builds chatlib in an
# isolated environment of its own, so nothing here needs it.
$(VENV)/.lab-installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version))."; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtual environment:" \
	  "on Debian/Ubuntu run 'sudo apt-get install python3-venv'."; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip uninstall --quiet --yes setuptools
	$(BIN)/python -m pip install --quiet --no-compile -e '.[lab]'
	touch $@

# The test run, unlike a learner, starts many short Python processes: their dependencies are
# compiled once here (about 70 MB, 10 s) rather than by each process on machines where
# PYTHONDONTWRITEBYTECODE is set (CI images often set it): `import socketio` 1.6 s → 0.7 s.
$(VENV)/.test-installed: $(VENV)/.lab-installed
	$(BIN)/python -m pip install --quiet --no-compile -e '.[test]'
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null || echo "(some modules did not compile: Python compiles them on import)"
	touch $@

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the chat page will load socket.io-client from its CDN;" \
	  "tests that need Node.js will skip (and fail under CI=true)."; fi

# Re-execute every notebook and save its outputs with the widgets' state (run after changing a
# notebook or chatlib), so GitHub, nbviewer and HTML exports show the panes and the diagram.
notebooks: lab-setup
	$(BIN)/python -m tools.execute notebooks/*.ipynb

# The whole guide as static HTML pages in site/, from the notebooks as saved (widgets included,
# links between pages, nothing fetched from another host).
site: lab-setup
	$(BIN)/python -m tools.site

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules .pytest_cache site build/site-js

# Two commands do all the set-up:  `make lab` opens the guide, `make test` runs every test.
# Both create the virtual environment .venv (and node_modules when npm is present) on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: lab test setup notebooks lint clean

lab: setup
	$(BIN)/jupyter lab --ip=127.0.0.1 notebooks/00-index.ipynb

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version))."; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtual environment:" \
	  "on Debian/Ubuntu run 'sudo apt-get install python3-venv'."; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the chat page will load socket.io-client from its CDN;" \
	  "tests that need Node.js will skip (and fail under CI=true)."; fi

# Re-execute every notebook and save its outputs (run after changing a notebook or chatlib).
notebooks: setup
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.store_widget_state=False --ExecutePreprocessor.record_timing=False \
	  notebooks/*.ipynb

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules .pytest_cache

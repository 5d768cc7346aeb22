# `make run` and `make test` work on a new machine with nothing but Python 3.11.
# Without DATABASE_URL both start the embedded PostgreSQL in .pgdata/.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test bench lint format chromium clean

$(INSTALLED): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

run: $(INSTALLED)
	$(BIN)/python -m penguinleads.launcher run

test: $(INSTALLED) chromium
	$(BIN)/python -m penguinleads.launcher test $(PYTEST_ARGS)

# Browser tests drive Debian's Chromium (Playwright's own download does not work here).
chromium:
	@$(BIN)/python -m penguinleads.chromium ensure

# The benchmark: SIZE leads + a SIZE-row file (`SIZE=100000 make bench` for a quick run).
SIZE ?= 1000000
bench: $(INSTALLED)
	$(BIN)/python -m penguinleads.launcher bench --size $(SIZE)

lint: $(INSTALLED)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles

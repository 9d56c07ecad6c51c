# `make chat` and `make test` set everything up on first use, then are quick.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PO := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: setup chat test lint catalogs extract clean

setup: $(STAMP) $(MO)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

locales/%.mo: locales/%.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

catalogs: $(MO)

chat: setup
	$(BIN)/homecoming chat $(ARGS)

test: setup
	$(BIN)/ruff check .
	$(BIN)/homecoming locales check
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check .

# Refresh the template and merge it into every catalog after changing user-visible text.
extract: $(STAMP)
	$(BIN)/homecoming locales extract
	$(BIN)/homecoming locales update

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache $(MO)

# `make chat` and `make test` set everything up on first use, then are quick.
# The environment is locked: uv (pinned, in .tools/, outside .venv) installs exactly uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PO := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup chat test lint lock lock-check msgfmt-check wheel-check catalogs extract clean

setup: $(STAMP) $(MO)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

lock-check: $(UV)
	@$(UV) lock --check --quiet 2>/dev/null || { \
	  echo "uv.lock does not match pyproject.toml: run 'make lock' and commit uv.lock." >&2; \
	  exit 1; }

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set, every start
# otherwise compiled the libraries again (3.7 s against 1.1 s for one command).
$(STAMP): pyproject.toml uv.lock Makefile | $(UV)
	@$(MAKE) --no-print-directory lock-check
	$(UV) sync --locked --all-extras --compile-bytecode --python $(PYTHON) --quiet
	touch $(STAMP)

# Refresh the lock after changing dependencies in pyproject.toml.
lock: $(UV)
	$(UV) lock

locales/%.mo: locales/%.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

catalogs: $(MO)

chat: setup
	$(BIN)/homecoming chat $(ARGS)

test: setup
	$(BIN)/ruff check .
	$(BIN)/homecoming locales check
	@$(MAKE) --no-print-directory msgfmt-check
	$(BIN)/pytest -q

# GNU gettext's own check of every catalog, when msgfmt is installed (.ci/run installs it).
msgfmt-check:
	@if command -v msgfmt >/dev/null; then \
	  for po in $(PO); do msgfmt -c --check-format -o /dev/null $$po || exit 1; done; \
	  echo "msgfmt -c --check-format: $(words $(PO)) catalogs pass"; \
	else echo "msgfmt not installed: GNU gettext's catalog check skipped"; fi

# Build the wheel, install it into a fresh environment, and talk to the bot from it.
wheel-check: setup
	$(BIN)/python .ci/wheel_check.py

lint: setup
	$(BIN)/ruff check .

# Refresh the template and merge it into every catalog after changing user-visible text.
extract: $(STAMP)
	$(BIN)/homecoming locales extract
	$(BIN)/homecoming locales update

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .ruff_cache $(MO) build dist

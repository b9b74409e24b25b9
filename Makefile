# Two commands for a fresh machine: `make demo` and `make test`. Each builds .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Two stamps in one .venv: what the app needs (demo, sim), and that plus the test extras
# (test). `make demo` never installs the test tools; `make test` after it only adds them,
# and `make demo` after `make test` installs nothing. Editing pyproject.toml redoes both.
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test sim bench venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(APP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The extras on top of the app's install, so a changed pyproject.toml reinstalls the app first.
$(TEST_STAMP): $(APP_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(APP_STAMP)

demo: venv
	$(BIN)/alpaca-tui --demo

sim: venv
	$(BIN)/alpaca-tui sim --portfolio sample

# A third-party Alpaca client (the official JS SDK) is tested against the simulator when
# npm is here; without it that one test skips.
test: $(TEST_STAMP)
	@if command -v npm >/dev/null 2>&1 && [ -f tests/other_clients/package-lock.json ]; then \
		npm ci --prefix tests/other_clients --no-audit --no-fund --silent; fi
	$(BIN)/python -m pytest -q

# Performance: every figure of the README's Performance section, as a table and benchmarks/results.json.
bench: $(TEST_STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache

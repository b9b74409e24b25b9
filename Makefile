# Two commands for a fresh machine: `make demo` and `make test`. Each builds .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test sim bench venv clean

$(BIN)/alpaca-tui: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/alpaca-tui

demo: venv
	$(BIN)/alpaca-tui --demo

sim: venv
	$(BIN)/alpaca-tui sim --portfolio sample

# A third-party Alpaca client (the official JS SDK) is tested against the simulator when
# npm is here; without it that one test skips.
test: venv
	@if command -v npm >/dev/null 2>&1 && [ -f tests/other_clients/package-lock.json ]; then \
		npm ci --prefix tests/other_clients --no-audit --no-fund --silent; fi
	$(BIN)/python -m pytest -q

# Performance: every figure of the README's Performance section, as a table and benchmarks/results.json.
bench: venv
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache

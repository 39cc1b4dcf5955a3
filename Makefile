# The two commands: `make demo` and `make test`. Each bootstraps .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck pytest bench noise report-bench sandbox clean docker-smoke messages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/orange-bot demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	. scripts/test-db.sh && $(BIN)/python -m pytest -q -p no:cacheprovider

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/client.py

# Slack calls per real-world event, the code before issue 17 beside this checkout (writes bench/noise.json).
noise: $(STAMP)
	$(BIN)/python bench/noise.py

# `/orange report` over 100,000 orders of history (SQLite, and PostgreSQL when one can be had) beside a naive report
# and the poll's cycle at the same scale, one run (about 15 minutes; ARGS="--no-poll --json FILE" and so on).
report-bench: $(STAMP)
	. scripts/test-db.sh && $(BIN)/python bench/report.py $(ARGS)

# The message catalogue's template from the code (`_`, `n_`); French translations go in bot/locale/fr/LC_MESSAGES/*.po,
# and tests/test_catalogue.py names any message still missing one.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k n_:1,2 --sort-output --no-location --project orange-bot \
		-o bot/locale/messages.pot .

sandbox: $(STAMP)
	$(BIN)/orange-bot sandbox --port 8765

# The Docker image and docker-compose.yml, end to end (root, Docker; builds a local base image when none is there).
docker-smoke:
	bash scripts/docker-smoke.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

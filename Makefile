# journeykit: two commands do all set-up from a fresh clone (needs python3 >= 3.10 and make).
#   make report   run the notebooks headlessly on the demo workspace and print the report path
#   make test     run the whole test suite (unit, notebooks, end-to-end, browser)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.journeykit-installed
SAMPLE := data/sample

.PHONY: install report test lab lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

$(SAMPLE)/journey.yaml: | $(STAMP)
	$(BIN)/journeykit sample $(SAMPLE)

report: $(STAMP) $(SAMPLE)/journey.yaml
	$(BIN)/journeykit run --workspace $(SAMPLE) --out reports

test: $(STAMP) $(SAMPLE)/journey.yaml
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest tests
	$(BIN)/python -m pytest --doctest-modules -p no:cacheprovider journeykit
	$(BIN)/python -m pytest --nbval-lax -p no:cacheprovider notebooks/

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_events.py
	$(BIN)/python benchmarks/bench_refresh.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info

# The two commands of the README: `make demo` and `make test`. Each sets up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test app

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,app]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cxsim compare scenarios/cco_only.yaml scenarios/ceo_led.yaml scenarios/invisible_war.yaml --replicates 10 --out results/headline

app: $(STAMP)
	$(BIN)/cxsim app

test: $(STAMP)
	$(BIN)/ruff check cxsim tests experiments
	$(BIN)/python -m pytest

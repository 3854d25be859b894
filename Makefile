# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    create .venv from the pinned requirements and start the app
#   make test   create .venv from the pinned requirements and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench model screenshots clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/handsign-studio

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen HANDSIGN_DATA="$${HANDSIGN_DATA:-$(abspath ../shared/datasets)}" $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check core gui tests bench packaging

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen HANDSIGN_DATA="$${HANDSIGN_DATA:-$(abspath ../shared/datasets)}" $(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info

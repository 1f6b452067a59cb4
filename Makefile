# Webhook Inspector — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-all bench lint typecheck check-qt clean package

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## run: create .venv, install, launch the desktop app (SQLite in your data dir, receiver on 127.0.0.1)
run: $(STAMP) check-qt
	$(BIN)/webhook-inspector

## check-qt: say which system libraries Qt's window system needs, if any are missing
check-qt: $(STAMP)
	@bash packaging/check-qt-deps.sh $(BIN)/python

## test: create/update .venv and run the whole suite headless (lint + layers + types + pytest)
test: $(STAMP)
	$(BIN)/ruff check inspector tests benchmarks
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not slow" -q

## test-all: the suite including slow reliability tests
test-all: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

## package: build the desktop app and the headless serve binary into dist/ (PyInstaller)
package: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[package]'
	$(BIN)/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/webhook-inspector.spec
	$(BIN)/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/webhook-inspector-serve.spec
	@echo "built: dist/webhook-inspector/webhook-inspector and dist/webhook-inspector-serve/webhook-inspector-serve"

## bench: run every benchmark; each prints `RESULT ...` last
bench: $(STAMP)
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; QT_QPA_PLATFORM=offscreen $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check inspector tests benchmarks
	$(BIN)/lint-imports --no-logo
	$(BIN)/ruff format --check inspector tests benchmarks || true

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

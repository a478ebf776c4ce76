# One `make check`: ruff, mypy --strict and the import contract (claims stays pure).
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: check lint types imports test bench

check: lint types imports

lint:
	$(BIN)/ruff check claims service tests bench examples

types:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

test:
	$(BIN)/python -m pytest -q -n auto

bench:
	$(BIN)/python -m bench.engine

# One `make check`: ruff, mypy --strict and the import contract (claims stays pure).
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: check lint types imports test bench mutation

check: lint types imports

lint:
	$(BIN)/ruff check claims service tests bench examples tools
	$(BIN)/ruff format --check claims service tests bench examples tools

types:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

test:
	$(BIN)/python -m pytest -q -n auto

bench:
	$(BIN)/python -m bench.engine

# Mutation testing of the rule modules against tests/claims (docs/mutation.md; needs the
# `mutation` extra). Starts from a clean mutants/ so the score never mixes two runs; prints the
# score per file and fails under 95% of non-equivalent mutants. MUTATION_CHILDREN: parallel
# workers (the machine is shared: keep it low); MUTANTS: mutant-name patterns to run only some
# (e.g. MUTANTS='claims.units.day.*'), the default is every mutant of every mutated file.
MUTATION_CHILDREN ?= 2
MUTANTS ?=
mutation:
	rm -rf mutants
	IPSBILL_MUTATION=1 $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTANTS)
	$(BIN)/python tools/mutation_report.py $(BIN)/mutmut

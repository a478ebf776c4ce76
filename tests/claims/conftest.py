"""Under `make mutation` (IPSBILL_MUTATION=1): tables the rules fill once per process are emptied
before each test.

mutmut's stats run records which tests reach each rule function and later runs only those tests
against that function's mutants. A table filled on first use reaches its rule function in the
first test that asks for it and never again, so every other test that reads the table would be
left out (docs/mutation.md, "Caches and the stats run"). Emptied per test, each test that reads
the table fills it itself and is credited.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from claims.milestones import facts

MUTATION = os.environ.get("IPSBILL_MUTATION") == "1"


@pytest.fixture(autouse=MUTATION)
def _tables_filled_per_test() -> Iterator[None]:
    facts._series_table.cache_clear()
    yield

"""pyx12 as the service's pool runs it, and, under `make mutation`, the rules' fill-once tables
emptied before each test.

The service validates every claim batch on its pyx12 pool, whose processes apply
``claims/x12/pyx12_fast.py`` (same verdicts, reports and 999s: ``test_x12_validate.py``) and parse
pyx12's XML maps once. These tests do the same in their own process: unpatched, pyx12 parses its
maps again for every file validated, about a fifth of this folder's CPU time. A test that needs
pyx12 as published says so with ``unpatched_pyx12()``.

Under `make mutation` (IPSBILL_MUTATION=1):

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
from hypothesis import Phase, settings

from claims.milestones import facts
from claims.x12 import pyx12_fast

MUTATION = os.environ.get("IPSBILL_MUTATION") == "1"

# A mutant that breaks a property fails on its first counterexample; shrinking that example
# (minutes, for the units histories) only makes the report nicer, and held `make mutation`
# for most of its time: under mutation the example is not shrunk.
settings.register_profile("mutation", phases=(Phase.explicit, Phase.reuse, Phase.generate))
if MUTATION:
    settings.load_profile("mutation")


@pytest.fixture(autouse=MUTATION)
def _tables_filled_per_test() -> Iterator[None]:
    facts._series_table.cache_clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _pyx12_as_the_pool_runs_it() -> Iterator[None]:
    pyx12_fast.apply()
    yield
    pyx12_fast.restore()

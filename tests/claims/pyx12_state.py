"""pyx12 as published, for the tests that compare it with the patched pyx12 the service's pool
runs (``conftest.py`` applies ``claims/x12/pyx12_fast.py`` for the whole session)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from claims.x12 import pyx12_fast


@contextmanager
def unpatched_pyx12() -> Iterator[None]:
    """pyx12 4.0.0 as published for the block (its maps parsed anew), patched again after it."""
    pyx12_fast.restore()
    try:
        yield
    finally:
        pyx12_fast.apply()

"""The garbage collector as ``ipsbill serve`` sets it in each worker, for timing the engine.

serve freezes what start-up built and collects young objects every 50,000 allocations
(``service.serving.tune_garbage_collector``). Timed under CPython's defaults instead, a third
of the engine's time went to full collections walking the benchmark's own 100,000 pre-built
events and the results it keeps: a heap no serve worker holds (it takes 1,000 events a request).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from service.serving import tune_garbage_collector


@contextmanager
def as_served() -> Iterator[None]:
    """serve's collector settings inside the block; the caller's own restored after it."""
    threshold = gc.get_threshold()
    tune_garbage_collector()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)

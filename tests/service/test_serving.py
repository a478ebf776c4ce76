"""The collector settings each serve worker starts with (``service.serving``)."""

from __future__ import annotations

import gc

from service.serving import GC_GENERATION0, tune_garbage_collector


def test_a_serve_worker_freezes_start_up_and_collects_young_objects_less_often() -> None:
    threshold = gc.get_threshold()
    gc.unfreeze()
    try:
        tune_garbage_collector()
        assert gc.get_threshold() == (GC_GENERATION0, 20, 20)
        assert gc.get_freeze_count() > 0  # start-up's objects are never scanned again
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)

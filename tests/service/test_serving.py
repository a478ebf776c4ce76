"""The collector settings each serve worker starts with (``service.serving``)."""

from __future__ import annotations

import gc
import os

import pytest
from fastapi import FastAPI
from uvicorn.importer import import_from_string

from service.serving import (
    APP,
    GC_GENERATION0,
    MALLOC_ARENAS,
    bound_malloc_arenas,
    tune_garbage_collector,
)


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


def test_the_app_each_worker_imports_tunes_its_own_collector() -> None:
    """uvicorn's workers each import ``service.serving.APP`` by name and call it: the tuning
    happens in that call, in every worker process, not once in the parent."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    try:
        factory = import_from_string(APP)
        assert isinstance(factory(), FastAPI)
        assert gc.get_threshold() == (GC_GENERATION0, 20, 20)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_serve_bounds_malloc_arenas_for_its_workers_unless_the_operator_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers are started after ``serve`` sets the variable, so they inherit it (glibc reads
    it at process start); an operator's own value is kept."""
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    bound_malloc_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == MALLOC_ARENAS == "2"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    bound_malloc_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == "4"

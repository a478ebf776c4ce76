"""pyx12 on both cores: the process pool that runs the core's release validation.

``claims.x12.validate`` and ``claims.x12.stream`` decide what is checked and cut a file into
chunks; they hand the chunks to a ``ChunkRunner``. This module is the service's runner: a pool of
processes created once per process and kept (spawn and map loading are paid once; its initializer
installs ``pyx12_fast`` and loads the maps), warmed at start-up and stopped at shutdown
(``service/app.py``). A pool whose worker died is replaced and the chunk sent once more.

pyx12 logs every error with the element's value (a birth date, a name): every entry point here
keeps the ``pyx12`` logger (and its children, "pyx12.error_handler", ...) silent first.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from claims.x12 import stream
from claims.x12.model import ValidationReport
from claims.x12.validate import ChunkResult, ChunkRun, validate_chunk
from claims.x12.validate import validate_837p as _validate_837p

log = logging.getLogger("ipsbill.validation")
_POOLS: dict[int, ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def keep_pyx12_out_of_logs() -> None:
    logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)


def validate_837p(
    text: str, workers: int | None = None, chunk_claims: int = 500
) -> ValidationReport:
    """The core's ``validate_837p`` with chunks on ``workers`` processes (None/0: one per core)."""
    keep_pyx12_out_of_logs()
    return _validate_837p(text, PooledRunner(workers or os.cpu_count() or 1), chunk_claims)


class StreamValidator(stream.StreamValidator):
    """The core's streaming validator, its chunks on ``workers`` pooled processes."""

    def __init__(self, workers: int, chunk_claims: int = 500) -> None:
        keep_pyx12_out_of_logs()
        super().__init__(PooledRunner(workers), chunk_claims)


@dataclass(frozen=True, slots=True)
class PooledRunner:
    """``claims.x12.validate.ChunkRunner`` over the kept pool of ``workers`` processes."""

    workers: int

    @property
    def started(self) -> bool:
        return self.workers in _POOLS

    def submit(self, text: str) -> ChunkRun:
        return _PooledRun(self.workers, text, _submit(self.workers, text))


@dataclass(slots=True)
class _PooledRun:
    workers: int
    text: str
    future: Future[ChunkResult] = field(repr=False)

    def result(self) -> ChunkResult:
        try:
            return self.future.result()
        except BrokenProcessPool:  # a worker died under this chunk: once more on a new pool
            renew_pool(self.workers)
            return _submit(self.workers, self.text).result()

    def cancel(self) -> bool:
        return self.future.cancel()


def _submit(workers: int, text: str) -> Future[ChunkResult]:
    """pyx12 on one chunk in the kept pool; a pool whose worker died earlier is replaced."""
    kept = pool(workers)
    try:
        return kept.submit(validate_chunk, text)
    except BrokenProcessPool:
        _discard(workers, kept)
        return pool(workers).submit(validate_chunk, text)


def _discard(workers: int, kept: ProcessPoolExecutor | None) -> None:
    with _POOLS_LOCK:
        if kept is None or _POOLS.get(workers) is kept:
            _POOLS.pop(workers, None)


def renew_pool(workers: int) -> None:
    """Forget a broken pool; the next ``pool(workers)`` starts a new one."""
    _discard(workers, None)


def pool(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: the service calls this from a worker thread, and forking a threaded
    # process can copy a held lock into the child. Kept for the life of the process, so the
    # spawn and the map loading are paid once, not per batch.
    with _POOLS_LOCK:
        if workers not in _POOLS:
            _POOLS[workers] = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
            )
        return _POOLS[workers]


def warm_pool(workers: int) -> None:
    """Start the pool's processes and load pyx12's maps in each now (service start-up), so the
    first batch does not pay for them: short tasks until every worker has answered one (a task
    runs only after its worker's initializer)."""
    from claims.x12 import pyx12_fast

    try:  # here too, so a pyx12 without a patched function is reported by name at start-up
        pyx12_fast.check_targets()
    except RuntimeError as exc:
        log.critical("pyx12 validation cannot start: %s", exc)
        raise
    kept = pool(workers)
    seen: set[int] = set()
    for _ in range(50):
        seen.update(future.result() for future in [kept.submit(_ready) for _ in range(workers)])
        if len(seen) >= workers:
            return


def worker_pids() -> list[int]:
    """The kept pools' worker processes (benchmarks read their peak memory)."""
    with _POOLS_LOCK:
        return [pid for kept in _POOLS.values() for pid in (kept._processes or {})]


def shutdown_pools() -> None:
    """Stop the kept pools and wait for their workers to exit."""
    with _POOLS_LOCK:
        kept = list(_POOLS.values())
        _POOLS.clear()
    for executor in kept:
        executor.shutdown(wait=True)


def _ready() -> int:
    time.sleep(0.05)  # long enough that one worker does not take every task
    return os.getpid()


def _init_worker() -> None:
    """Install the result-preserving pyx12 speed-ups and load the maps before the first chunk."""
    from claims.x12 import pyx12_fast

    _exit_with_parent(os.getppid())
    keep_pyx12_out_of_logs()
    pyx12_fast.apply()
    pyx12_fast.preload_maps()


PARENT_CHECK_SECONDS = 1.0


def _exit_with_parent(parent: int) -> None:
    """A pool process ends when the process that started it is gone (a serve worker killed by
    uvicorn, or by the OOM killer, runs no shutdown): orphans were found holding pyx12's maps
    after the server had stopped. Once the parent dies the child is re-parented, so its parent
    id changes; a daemon thread looks once a second (portable, unlike Linux's PDEATHSIG, which
    fires when the starting *thread* ends, and the pool is started from a worker thread)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()

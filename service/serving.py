"""How ``ipsbill serve`` runs: uvicorn's own server and worker processes, on uvloop.

``--workers N`` (N > 1) is uvicorn's multiprocess supervisor (``uvicorn.run(..., workers=N)``):
the parent binds the socket and starts N worker processes that accept on it, restarts a worker
that dies or stops answering its health check, and on SIGTERM or SIGINT stops each worker
gracefully (no new connections, requests in flight answered, the app's lifespan shut down:
the pyx12 pool and the job runner stop with it). SIGHUP replaces the workers one by one.
Every worker runs uvloop and httptools (``uvicorn[standard]``; loop "auto" falls back to
asyncio only where uvloop does not install) and builds its own app from the import string
``service.app:create_served_app``, which also tunes its garbage collector
(``tune_garbage_collector``).

Which worker accepts a new connection is the kernel's choice: the first to wake. The two
connections of one client may land on one worker while the other idles. Spreading connections
over processes and machines is the load balancer's job (``docker/haproxy.cfg``: least
connections over the replicas; docs/operations.md, "Serving"), not the event loop's.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import os
from functools import cache
from typing import Any

log = logging.getLogger("ipsbill.serving")

# The ASGI app each worker imports (a factory: each process builds its own, after the fork).
APP = "service.app:create_served_app"


def serve(host: str, port: int, workers: int, log_config: dict[str, Any]) -> None:
    """Serve until SIGTERM or SIGINT; with ``workers`` > 1, under uvicorn's supervisor."""
    import uvicorn

    bound_malloc_arenas()

    uvicorn.run(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="auto",  # uvloop (a dependency through uvicorn[standard]); asyncio without it
        http="auto",  # httptools likewise
        log_level="info",
        log_config=log_config,
        access_log=False,  # access lines carry query strings: keep PHI out of logs
    )


# glibc malloc arenas per process (its default is 8 per core). docs/operations.md, "Memory".
MALLOC_ARENAS = "2"


def bound_malloc_arenas() -> None:
    """Every thread that allocates (``asyncio.to_thread``: the 837P's validation feed, file
    reads) gets a glibc arena of its own, up to 8 per core; memory freed inside an arena other
    than the main one is rarely given back, so a worker's resident size crept up with each
    claim batch and stayed there. Two arenas bound that. glibc reads the variable when a
    process starts: set here, it holds for the worker processes started after it (and their
    pyx12 pools); a single-process ``serve`` or another runner sets it in its environment
    (docker/Dockerfile does). An operator's own value wins."""
    os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)


# Generation-0 collections per this many net allocations (CPython's default is 700).
GC_GENERATION0 = 50_000


def tune_garbage_collector() -> None:
    """A 1,000-event batch allocates about a million short-lived objects (rows, values,
    answers): with the default threshold the collector ran ~140 times per batch, each pass
    walking the rows still in use, for 19% of the batch's time (in-process profile of 7
    batches: 5.6 s, 1.1 s of it collecting). What start-up built (the app, routes, schemas,
    rule tables) lives forever: frozen, it is never scanned again. Reference counting still
    frees almost everything at once; only cycles wait for the rarer passes."""
    gc.freeze()
    gc.set_threshold(GC_GENERATION0, 20, 20)


# Seconds between two returns of the allocator's free pages to the system. docs/operations.md,
# "Memory".
TRIM_SECONDS = 30.0


@cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None where the C library is not glibc (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Give the pages glibc holds free back to the system (``malloc_trim(0)``); False where
    there is no glibc. A claim batch or a 500-event batch allocates MBs of rows and segments
    and frees them at its end; glibc keeps what was freed for later (it gives back only free
    space at the very top of its main heap, past a threshold that rises with the largest
    block freed; the other arena's free pages stay), so a worker stood at the peak of its
    largest requests. bench/memory.py: a trim after each round kept glibc's heap flat and the
    process 3.5-5 MB lower; every 30 s, 3 MB lower after 30 claim rounds. What grows with the
    data (CPython's object arenas) it does not touch, nor memory in use. 10-20 ms on a large
    heap; ctypes lets the GIL go meanwhile."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


async def trim_memory(interval: float = TRIM_SECONDS) -> None:
    """Forever, until cancelled with the app: free pages back to the system every
    ``interval`` seconds, in a thread (a trim of a large heap takes 10-20 ms)."""
    if _malloc_trim() is None:
        return
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(release_free_memory)
        except Exception as exc:  # noqa: BLE001 - never takes the worker down
            log.warning("returning free memory failed: %s", type(exc).__name__)

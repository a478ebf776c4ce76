"""Release validation: pyx12 with the 005010X222A1 map plus the section-2 checks.

``validate_837p`` is what the service runs before releasing a batch and what ``ipsbill validate``
prints. pyx12 takes about 2.5 s per 1,000 claims, so a file with more than ``chunk_claims`` claims
is cut into chunks of whole subscriber loops, each re-enveloped (ISA/GS/ST header, its billing
provider loop, renumbered HLs, recomputed SE/GE/IEA) and validated in a process pool; the file's
own counts and HL tree are checked once by ``structure``. Positions in problems are the original
file's segment positions. pyx12's verdict is its boolean return, never an exit code.

Speed (10,000 claims, 438k segments, 2 cores): the pool is created once per process and kept
(spawn and map loading are paid once, its initializer installs ``pyx12_fast`` and loads the maps);
each chunk first gets pyx12's verdict alone, and only a rejected chunk is validated again with the
JSON error report that locates its problems (pyx12 is deterministic, so the second run reports the
errors behind the first verdict).
"""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from claims.x12.checks import run_checks
from claims.x12.chunks import Chunk, plan_chunks
from claims.x12.model import Problem, ValidationReport
from claims.x12.segments import Interchange, X12SyntaxError, parse
from claims.x12.structure import run_structure_checks

# pyx12 logs every error with the element's value (a birth date, a name): keep it out of logs.
# Its child loggers ("pyx12.error_handler", ...) inherit this level.
logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)

RawProblem = tuple[int, str | None, str]  # (chunk position, segment id, message)


def validate_837p(
    text: str, workers: int | None = None, chunk_claims: int = 500
) -> ValidationReport:
    """pyx12 + the section-2 checks. ``workers``: processes for pyx12 (None/0: os.cpu_count())."""
    try:
        doc = parse(text)
    except X12SyntaxError as exc:
        return ValidationReport(False, (Problem(None, None, 0, str(exc)),), pyx12_ok=False)
    chunks = plan_chunks(doc, chunk_claims)
    running = _submit(workers or os.cpu_count() or 1, chunks) if len(chunks) > 1 else None
    own = run_structure_checks(doc) + run_checks(doc)  # while the workers run pyx12
    pyx12_ok, pyx12_problems = _pyx12_outcome(text, doc, chunks, running)
    unique = sorted(dict.fromkeys(pyx12_problems + own), key=lambda p: (p.position, p.message))
    return ValidationReport(pyx12_ok and not unique, tuple(unique), pyx12_ok=pyx12_ok)


ChunkResult = tuple[bool, list[RawProblem]]


@dataclass(frozen=True, slots=True)
class _Running:
    workers: int
    futures: tuple[Future[ChunkResult], ...]


def _pyx12_outcome(
    text: str, doc: Interchange, chunks: list[Chunk], running: _Running | None
) -> tuple[bool, list[Problem]]:
    if running is None:
        ok, raw = pyx12_validate(text)
        return ok, [_locate(doc, item, None) for item in raw]
    results = _results(running, chunks)
    problems = [
        _locate(doc, item, chunk)
        for chunk, (_, raw) in zip(chunks, results, strict=True)
        for item in raw
    ]
    return all(ok for ok, _ in results), problems


_POOLS: dict[int, ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _submit(workers: int, chunks: list[Chunk]) -> _Running:
    return _Running(workers, tuple(submit_chunk(workers, c.text) for c in chunks))


def submit_chunk(workers: int, text: str) -> Future[ChunkResult]:
    """pyx12 on one chunk in the kept pool; a pool whose worker died earlier is replaced."""
    kept = pool(workers)
    try:
        return kept.submit(validate_in_worker, text)
    except BrokenProcessPool:
        _discard(workers, kept)
        return pool(workers).submit(validate_in_worker, text)


def _results(running: _Running, chunks: list[Chunk]) -> list[ChunkResult]:
    try:
        return [future.result() for future in running.futures]
    except BrokenProcessPool:  # a worker died under this batch: one more try on a new pool
        renew_pool(running.workers)
        return list(pool(running.workers).map(validate_in_worker, [c.text for c in chunks]))


def _discard(workers: int, kept: ProcessPoolExecutor | None) -> None:
    with _POOLS_LOCK:
        if kept is None or _POOLS.get(workers) is kept:
            _POOLS.pop(workers, None)


def renew_pool(workers: int) -> None:
    """Forget a broken pool; the next ``pool(workers)`` starts a new one."""
    _discard(workers, None)


def has_pool(workers: int) -> bool:
    return workers in _POOLS


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


PARENT_CHECK_SECONDS = 1.0


def _init_worker() -> None:
    """Install the result-preserving pyx12 speed-ups and load the maps before the first chunk."""
    from claims.x12 import pyx12_fast

    _exit_with_parent(os.getppid())

    pyx12_fast.apply()
    pyx12_fast.preload_maps()


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


def validate_in_worker(text: str) -> tuple[bool, list[RawProblem]]:
    """Verdict first; only a rejected chunk pays for the JSON report that locates its errors."""
    if _pyx12_verdict(text):
        return True, []
    return pyx12_validate(text)


def _pyx12_verdict(text: str) -> bool:
    import pyx12.params
    import pyx12.x12n_document

    try:
        return bool(
            pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None)
        )
    except Exception:  # the detailed run reports why pyx12 could not read it
        return False


def _locate(doc: Interchange, item: RawProblem, chunk: Chunk | None) -> Problem:
    position, segment_id, message = item
    if chunk is not None:
        position = chunk.positions[position - 1] if 0 < position <= len(chunk.positions) else 0
    claim_id = doc.segments[position - 1].claim_id if 0 < position <= len(doc.segments) else None
    return Problem(claim_id, segment_id, position, f"pyx12: {message}")


def pyx12_validate(text: str) -> tuple[bool, list[RawProblem]]:
    """Run pyx12 on one interchange; its boolean verdict and its errors from the JSON report."""
    import pyx12.params
    import pyx12.x12n_document

    report = io.StringIO()
    try:
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None, fd_json=report
        )
    except Exception as exc:  # pyx12 raises on files it cannot walk at all
        return False, [(0, None, f"pyx12 could not read the file ({type(exc).__name__})")]
    problems = list(_json_problems(json.loads(report.getvalue() or "{}")))
    if not ok and not problems:
        problems.append((0, None, "rejected without a located error"))
    return bool(ok), problems


def _json_problems(doc: dict[str, Any]) -> Iterator[RawProblem]:
    for isa in doc.get("interchanges", []):
        yield from _envelope_errors(isa, "ISA")
        for gs in isa.get("groups", []):
            yield from _envelope_errors(gs, "GS")
            for st in gs.get("transactions", []):
                yield from _envelope_errors(st, "ST")
                for seg in st.get("segments", []):
                    yield from _segment_errors(seg)


def _envelope_errors(node: dict[str, Any], segment_id: str) -> Iterator[RawProblem]:
    for error in node.get("errors", []):
        yield int(node.get("cur_line") or 0), segment_id, _redact(error.get("err_str", ""), None)


def _segment_errors(seg: dict[str, Any]) -> Iterator[RawProblem]:
    position, segment_id = int(seg.get("cur_line") or 0), seg.get("seg_id")
    for error in seg.get("errors", []):
        yield position, segment_id, _redact(error.get("err_str", ""), error.get("err_val"))
    for element in seg.get("elements", []):
        for error in element.get("errors", []):
            yield position, segment_id, _redact(error.get("err_str", ""), error.get("err_val"))


_SEGMENT_TEXT = re.compile(r"Segment (\w{2,3})\S.*? not found")


def _redact(message: str, value: object) -> str:
    """pyx12 quotes values (a birth date, a subscriber id); problems name the field only."""
    if isinstance(value, str) and value:
        message = message.replace(value, "<value>")
    return _SEGMENT_TEXT.sub(r"Segment \1 not found", message)

"""Release validation: pyx12 with the 005010X222A1 map plus the section-2 checks.

``validate_837p`` is what the service runs before releasing a batch and what ``ipsbill validate``
prints. pyx12 takes about 2.5 s per 1,000 claims, so a file with more than ``chunk_claims`` claims
is cut into chunks of whole subscriber loops, each re-enveloped (ISA/GS/ST header, its billing
provider loop, renumbered HLs, recomputed SE/GE/IEA) and validated on its own; the file's own
counts and HL tree are checked once by ``structure``. Positions in problems are the original
file's segment positions. pyx12's verdict is its boolean return, never an exit code.

Where the chunks run is the caller's choice, a ``ChunkRunner``: by default here, one after the
other; the service hands them to its process pool (``service/validation.py``). Each chunk first
gets pyx12's verdict alone (``validate_chunk``), and only a rejected chunk is validated again
with the JSON error report that locates its problems (pyx12 is deterministic, so the second run
reports the errors behind the first verdict).

pyx12 logs every error with the element's value (a birth date, a name): whoever runs it keeps
the ``pyx12`` logger quiet (the service does, ``service/validation.py``).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any, Protocol

from claims.x12.checks import run_checks
from claims.x12.chunks import Chunk, plan_chunks
from claims.x12.model import Problem, ValidationReport
from claims.x12.segments import Interchange, X12SyntaxError, parse
from claims.x12.structure import run_structure_checks

RawProblem = tuple[int, str | None, str]  # (chunk position, segment id, message)
ChunkResult = tuple[bool, list[RawProblem]]


class ChunkRun(Protocol):
    """One chunk handed to a runner (a ``concurrent.futures.Future`` is one)."""

    def result(self) -> ChunkResult: ...

    def cancel(self) -> bool: ...


class ChunkRunner(Protocol):
    """Runs pyx12 on chunks: ``workers`` of them at once; ``started`` once its workers run (a
    single-chunk file is then worth sending to them rather than validating here)."""

    @property
    def workers(self) -> int: ...

    @property
    def started(self) -> bool: ...

    def submit(self, text: str) -> ChunkRun: ...


class _Later:
    """A chunk validated here, when its result is asked for."""

    def __init__(self, text: str) -> None:
        self._text: str | None = text

    def result(self) -> ChunkResult:
        assert self._text is not None, "cancelled"
        return validate_chunk(self._text)

    def cancel(self) -> bool:
        self._text = None
        return True


class InProcess:
    """The default runner: each chunk in this process, one after the other."""

    workers = 1
    started = False

    def submit(self, text: str) -> ChunkRun:
        return _Later(text)


def validate_837p(
    text: str, runner: ChunkRunner | None = None, chunk_claims: int = 500
) -> ValidationReport:
    """pyx12 + the section-2 checks; a file of more than one chunk runs them on ``runner``."""
    try:
        doc = parse(text)
    except X12SyntaxError as exc:
        return ValidationReport(False, (Problem(None, None, 0, str(exc)),), pyx12_ok=False)
    chunks = plan_chunks(doc, chunk_claims)
    running = None
    if len(chunks) > 1:
        running = [(runner or InProcess()).submit(chunk.text) for chunk in chunks]
    own = run_structure_checks(doc) + run_checks(doc)  # while the runner's workers run pyx12
    pyx12_ok, pyx12_problems = _pyx12_outcome(text, doc, chunks, running)
    unique = sorted(dict.fromkeys(pyx12_problems + own), key=lambda p: (p.position, p.message))
    return ValidationReport(pyx12_ok and not unique, tuple(unique), pyx12_ok=pyx12_ok)


def _pyx12_outcome(
    text: str, doc: Interchange, chunks: list[Chunk], running: list[ChunkRun] | None
) -> tuple[bool, list[Problem]]:
    if running is None:
        ok, raw = pyx12_validate(text)
        return ok, [_locate(doc, item, None) for item in raw]
    results = [run.result() for run in running]
    problems = [
        _locate(doc, item, chunk)
        for chunk, (_, raw) in zip(chunks, results, strict=True)
        for item in raw
    ]
    return all(ok for ok, _ in results), problems


def validate_chunk(text: str) -> ChunkResult:
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

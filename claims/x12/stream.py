"""Release validation of a file fed in pieces, as it is written: ``validate_837p``'s verdict and
problems without ever holding the whole file.

The service writes a batch in pages and feeds each page here. Segments are read as they arrive;
the original counts and HL tree are checked one segment at a time; the section-2 checks run on
windows cut just before an HL or envelope segment (no claim or 2010AA loop spans a cut, so they
find what they find on the whole file); pyx12 chunks are cut exactly as ``plan_chunks`` cuts
them and go to the ``ChunkRunner`` as soon as they are complete (the service's is its process
pool, ``service/validation.py``), so pyx12 runs while the service loads and writes the next
pages. At most ``2 x workers`` chunks wait for pyx12: a faster producer waits here, which keeps
memory flat whatever the batch size.

One interchange with one functional group (what the writer writes); anything else is refused.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from claims.x12.checks import run_checks
from claims.x12.chunks import Chunk, Unit, UnitSplitter, emit
from claims.x12.model import Problem, ValidationReport
from claims.x12.segments import (
    ISA_LENGTH,
    Interchange,
    Segment,
    SegmentReader,
    X12SyntaxError,
    separators,
)
from claims.x12.structure import EnvelopeCounts, HlTree
from claims.x12.validate import ChunkRun, ChunkRunner, InProcess, RawProblem, pyx12_validate

# Stand-ins for the positions of the trailers a chunk re-creates, known only once they are read.
_SE, _GE, _IEA = -1, -2, -3
_WINDOW = 5_000  # segments per section-2 window (about 110 claims of 10 lines)
_ENVELOPE = ("ISA", "GS", "ST", "SE", "GE", "IEA")


@dataclass(slots=True)
class _Pending:
    chunk: Chunk
    transaction: int  # which ST of the file (its SE position stands for the chunk's SE)
    run: ChunkRun | None


@dataclass(slots=True)
class _Located:
    position: int  # original position, or a trailer stand-in
    transaction: int
    claim_id: str | None
    segment_id: str | None
    message: str


class StreamValidator:
    """``feed`` the file's text in order (any cuts), then ``finish`` for the report."""

    def __init__(self, runner: ChunkRunner | None = None, chunk_claims: int = 500) -> None:
        self._runner = runner or InProcess()
        self._size = chunk_claims
        self._reader: SegmentReader | None = None
        self._start = ""  # text before the ISA is whole
        self._refused = False
        self._structure = (EnvelopeCounts(), HlTree())
        self._own: list[Problem] = []
        self._window: list[Segment] = []
        self._head: list[Segment] = []  # ISA and GS
        self._header: list[Segment] = []  # the open ST and its header (to the first HL)
        self._in_body = False
        self._splitter = UnitSplitter()
        self._units: list[Unit] = []
        self._claims = 0
        self._transactions = 0
        self._trailers: dict[int, int] = {}  # ST number in the file -> SE position; GE, IEA
        self._held: _Pending | None = None  # the first chunk: a file of one is checked in-process
        self._running: deque[_Pending] = deque()
        self._located: list[_Located] = []
        self._pyx12_ok = True
        self._chunks = 0

    def feed(self, text: str) -> None:
        if self._reader is None:
            self._start += text  # until the ISA, which declares the separators, is whole
            if len(self._start.lstrip("\ufeff \r\n\t")) < ISA_LENGTH:
                return
            text, self._start = self._start, ""
            try:
                self._reader = SegmentReader(separators(text))
            except X12SyntaxError as exc:
                self._refuse(Problem(None, None, 0, str(exc)))
                return
            text = text.lstrip("\ufeff")
        elif self._refused:
            return
        for segment in self._reader.read(text):
            self._see(segment)

    def _refuse(self, problem: Problem) -> None:
        self._own.append(problem)
        self._pyx12_ok, self._refused = False, True

    def finish(self) -> ValidationReport:
        if self._reader is None and not self._refused:
            try:  # too short for an ISA
                separators(self._start)
            except X12SyntaxError as exc:
                self._refuse(Problem(None, None, 0, str(exc)))
        if self._reader is not None and not self._refused:
            for segment in self._reader.read_rest():
                self._see(segment)
            self._check_window()
        if self._held is not None:
            self._run_alone(self._held)
        while self._running:
            self._collect(self._running.popleft())
        if not self._refused and self._chunks == 0:
            self._own.append(Problem(None, None, 0, "the file has no HL loop to validate"))
            self._pyx12_ok = False
        located = [self._problem(item) for item in self._located]
        unique = sorted(dict.fromkeys(located + self._own), key=lambda p: (p.position, p.message))
        return ValidationReport(self._pyx12_ok and not unique, tuple(unique), self._pyx12_ok)

    def abort(self) -> None:
        """The batch failed elsewhere: drop the chunks pyx12 has not started."""
        for pending in self._running:
            if pending.run is not None:
                pending.run.cancel()
        self._running.clear()
        self._held = None

    # --- one segment --------------------------------------------------------------------------

    def _see(self, segment: Segment) -> None:
        for check in self._structure:
            self._own.extend(check.see(segment))
        segment_id = segment.id
        if len(self._window) >= _WINDOW and (segment_id == "HL" or segment_id in _ENVELOPE):
            self._check_window()  # a cut where no claim or 2010AA loop is open
        self._window.append(segment)
        if segment_id in ("ISA", "GS"):
            self._open(segment)
        elif segment_id == "ST":
            self._header, self._in_body, self._transactions = (
                [segment],
                False,
                self._transactions + 1,
            )
        elif segment_id == "SE" and self._header:
            self._close_transaction(segment)
        elif segment_id in ("GE", "IEA"):
            self._trailers[_GE if segment_id == "GE" else _IEA] = segment.position
        elif self._header and not self._in_body and segment_id != "HL":
            self._header.append(segment)
        elif self._header:
            self._in_body = True
            for unit in self._splitter.see(segment):
                self._add(unit)

    def _open(self, segment: Segment) -> None:
        if len(self._head) == 2 or self._header or (segment.id == "GS") != bool(self._head):
            self._own.append(
                Problem(None, segment.id, segment.position, "one ISA with one GS is expected")
            )
            self._pyx12_ok = False
        else:
            self._head.append(segment)

    def _close_transaction(self, se: Segment) -> None:
        for unit in self._splitter.flush():
            self._add(unit)
        if self._units:
            self._emit()
        self._trailers[self._transactions * 3] = se.position
        self._header, self._in_body, self._splitter = [], False, UnitSplitter()

    def _check_window(self) -> None:
        """Section-2 checks on the segments since the last cut (GS in front for ST03 = GS08;
        a problem found twice is one problem)."""
        if not self._window or self._reader is None:
            return
        context = tuple(self._head[1:2]) if self._window[0].id != "GS" else ()
        doc = Interchange(self._reader.separators, context + tuple(self._window))
        self._own.extend(run_checks(doc))
        self._window = []

    # --- pyx12 chunks ---------------------------------------------------------------------------

    def _add(self, unit: Unit) -> None:
        self._units.append(unit)
        self._claims += unit.claims
        if self._claims >= self._size:
            self._emit()

    def _emit(self) -> None:
        units, self._units, self._claims = self._units, [], 0
        if self._reader is None or len(self._head) != 2:
            return  # refused already (``_open``)
        head = (*self._head, *self._header)
        st02 = self._header[0].element(2)
        chunk = emit(self._reader.separators, head, units, st02, (_SE, _GE, _IEA))
        pending = _Pending(chunk, self._transactions, None)
        self._chunks += 1
        if self._held is None and self._chunks == 1 and not self._runner.started:
            self._held = pending  # pyx12 in this process unless a second chunk comes
            return
        if self._held is not None:
            self._submit(self._held)
            self._held = None
        self._submit(pending)

    def _submit(self, pending: _Pending) -> None:
        pending.run = self._runner.submit(pending.chunk.text)
        self._running.append(pending)
        while len(self._running) > 2 * self._runner.workers:  # wait for pyx12: memory stays flat
            self._collect(self._running.popleft())

    def _collect(self, pending: _Pending) -> None:
        assert pending.run is not None
        ok, raw = pending.run.result()
        self._record(pending, ok, raw)

    def _run_alone(self, pending: _Pending) -> None:
        self._held = None
        ok, raw = pyx12_validate(pending.chunk.text)
        self._record(pending, ok, raw)

    def _record(self, pending: _Pending, ok: bool, raw: list[RawProblem]) -> None:
        self._pyx12_ok = self._pyx12_ok and ok
        positions, claim_ids = pending.chunk.positions, pending.chunk.claim_ids
        for position, segment_id, message in raw:
            inside = 0 < position <= len(positions)
            self._located.append(
                _Located(
                    positions[position - 1] if inside else 0,
                    pending.transaction,
                    claim_ids[position - 1] if inside else None,
                    segment_id,
                    f"pyx12: {message}",
                )
            )

    def _problem(self, item: _Located) -> Problem:
        position = item.position
        if position == _SE:
            position = self._trailers.get(item.transaction * 3, 0)
        elif position < 0:
            position = self._trailers.get(position, 0)
        return Problem(item.claim_id, item.segment_id, position, item.message)

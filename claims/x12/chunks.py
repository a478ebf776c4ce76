"""Cut a large 837P into self-contained interchanges for parallel pyx12 validation.

A chunk holds whole subscriber loops (a 2000B HL with its 2000C and claims) of one ST, preceded by
the ISA, GS, ST and header (BHT, 1000A, 1000B) and by each billing provider loop (2000A) they sit
under. HL numbers are renumbered from 1 and SE01/GE01/IEA01 recomputed, so each chunk is valid
exactly when its part of the original is; ``positions`` maps each chunk segment back.
"""

from __future__ import annotations

from msgspec import Struct

from claims.x12.segments import Interchange, Segment, Separators


class Chunk(Struct, frozen=True, gc=False):
    text: str
    positions: tuple[int, ...]  # original position of each chunk segment (1-based)
    claim_ids: tuple[str | None, ...] = ()  # CLM01 around each chunk segment (``emit`` only)


class Unit(Struct, frozen=True, gc=False):
    provider: tuple[Segment, ...]  # the 2000A loop the subscriber loop belongs to
    segments: tuple[Segment, ...]
    claims: int


def plan_chunks(doc: Interchange, chunk_claims: int) -> list[Chunk]:
    """Chunks of about ``chunk_claims`` claims; [] when the file is small or not one ISA/GS."""
    segs = doc.segments
    ids = [s.id for s in segs]
    if ids.count("CLM") <= chunk_claims or ids.count("ISA") != 1 or ids.count("GS") != 1:
        return []
    if ids[:2] != ["ISA", "GS"] or ids[-2:] != ["GE", "IEA"]:
        return []
    chunks: list[Chunk] = []
    start = 2
    while start < len(segs) - 2 and ids[start] == "ST":
        try:
            end = ids.index("SE", start)
        except ValueError:
            return []
        chunks.extend(_transaction_chunks(doc, segs[start : end + 1], chunk_claims))
        start = end + 1
    return chunks if start == len(segs) - 2 else []


def _transaction_chunks(doc: Interchange, st: tuple[Segment, ...], size: int) -> list[Chunk]:
    first_hl = next((i for i, s in enumerate(st) if s.id == "HL"), len(st) - 1)
    header = st[:first_hl]
    units = _units(st[first_hl:-1])
    chunks, batch, claims = [], [], 0
    for unit in units:
        batch.append(unit)
        claims += unit.claims
        if claims >= size:
            chunks.append(_emit(doc, header, batch, st[-1]))
            batch, claims = [], 0
    if batch:
        chunks.append(_emit(doc, header, batch, st[-1]))
    return chunks


def _units(body: tuple[Segment, ...]) -> list[Unit]:
    """Split the HL loops into subscriber units, each remembering its billing provider loop."""
    splitter = UnitSplitter()
    units = [unit for segment in body for unit in splitter.see(segment)]
    return units + splitter.flush()


class UnitSplitter:
    """``_units`` one segment at a time: a unit is handed out once the next HL loop begins."""

    def __init__(self) -> None:
        self._loop: list[Segment] = []
        self._claims = 0
        self._provider: tuple[Segment, ...] = ()

    def see(self, segment: Segment) -> list[Unit]:
        segment_id = segment.id  # a property: read once per segment (438k in a 10,000-claim file)
        done: list[Unit] = []
        if segment_id == "HL" and segment.element(3) in ("20", "22") and self._loop:
            done = self.flush()
        self._loop.append(segment)
        if segment_id == "CLM":
            self._claims += 1
        return done

    def flush(self) -> list[Unit]:
        """The loop begun last, as a unit (a provider loop is kept for the units under it)."""
        loop, claims = tuple(self._loop), self._claims
        self._loop, self._claims = [], 0
        if not loop:
            return []
        if loop[0].element(3) == "20":
            self._provider = loop
            return []
        return [Unit(self._provider, loop, claims)]


def _emit(doc: Interchange, header: tuple[Segment, ...], units: list[Unit], se: Segment) -> Chunk:
    isa, gs, iea = doc.segments[0], doc.segments[1], doc.segments[-1]
    trailers = (se.position, doc.segments[-2].position, iea.position)
    chunk = emit(doc.separators, (isa, gs, *header), units, se.element(2), trailers)
    return Chunk(chunk.text, chunk.positions)  # located through the parsed file instead


def emit(
    seps: Separators,
    head: tuple[Segment, ...],
    units: list[Unit],
    st02: str,
    trailers: tuple[int, int, int],
) -> Chunk:
    """One interchange: ``head`` (ISA, GS, the ST and its header), each unit under its provider
    loop with HLs renumbered, and SE/GE/IEA counted anew; ``trailers`` are the positions the
    new SE, GE and IEA stand for."""
    e = seps.element
    isa, gs = head[0], head[1]
    raws = [s.raw for s in head]
    positions = [s.position for s in head]
    claim_ids = [s.claim_id for s in head]
    numbers: dict[str, str] = {}
    last_provider: tuple[Segment, ...] | None = None
    for unit in units:
        loops = (
            (unit.segments,) if unit.provider is last_provider else (unit.provider, unit.segments)
        )
        last_provider = unit.provider
        for segment in (s for loop in loops for s in loop):
            raws.append(_renumbered(segment, numbers, e) if segment.id == "HL" else segment.raw)
            positions.append(segment.position)
            claim_ids.append(segment.claim_id)
    count = len(raws) - 2 + 1  # ST .. SE
    raws += [f"SE{e}{count}{e}{st02}", f"GE{e}1{e}{gs.element(6)}", f"IEA{e}1{e}{isa.element(13)}"]
    positions += trailers
    term = seps.terminator + "\n"
    return Chunk(term.join(raws) + term, tuple(positions), (*claim_ids, None, None, None))


def _renumbered(segment: Segment, numbers: dict[str, str], e: str) -> str:
    new = numbers[segment.element(1)] = str(len(numbers) + 1)
    parent = numbers.get(segment.element(2), "") if segment.element(2) else ""
    return e.join(("HL", new, parent, *segment.elements[3:]))

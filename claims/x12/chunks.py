"""Cut a large 837P into self-contained interchanges for parallel pyx12 validation.

A chunk holds whole subscriber loops (a 2000B HL with its 2000C and claims) of one ST, preceded by
the ISA, GS, ST and header (BHT, 1000A, 1000B) and by each billing provider loop (2000A) they sit
under. HL numbers are renumbered from 1 and SE01/GE01/IEA01 recomputed, so each chunk is valid
exactly when its part of the original is; ``positions`` maps each chunk segment back.
"""

from __future__ import annotations

from dataclasses import dataclass

from claims.x12.segments import Interchange, Segment


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    positions: tuple[int, ...]  # original position of each chunk segment (1-based)


@dataclass(frozen=True, slots=True)
class _Unit:
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


def _units(body: tuple[Segment, ...]) -> list[_Unit]:
    """Split the HL loops into subscriber units, each remembering its billing provider loop."""
    loops: list[list[Segment]] = []
    claims: list[int] = []
    for segment in body:
        segment_id = segment.id  # a property: read once per segment (438k in a 10,000-claim file)
        if segment_id == "HL" and segment.element(3) in ("20", "22") or not loops:
            loops.append([])
            claims.append(0)
        loops[-1].append(segment)
        if segment_id == "CLM":
            claims[-1] += 1
    units: list[_Unit] = []
    provider: tuple[Segment, ...] = ()
    for loop, count in zip(loops, claims, strict=True):
        if loop[0].element(3) == "20":
            provider = tuple(loop)
        else:
            units.append(_Unit(provider, tuple(loop), count))
    return units


def _emit(doc: Interchange, header: tuple[Segment, ...], units: list[_Unit], se: Segment) -> Chunk:
    e = doc.separators.element
    isa, gs, iea = doc.segments[0], doc.segments[1], doc.segments[-1]
    raws = [isa.raw, gs.raw] + [s.raw for s in header]
    positions = [isa.position, gs.position] + [s.position for s in header]
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
    count = len(raws) - 2 + 1  # ST .. SE
    raws += [
        f"SE{e}{count}{e}{se.element(2)}",
        f"GE{e}1{e}{gs.element(6)}",
        f"IEA{e}1{e}{isa.element(13)}",
    ]
    positions += [se.position, doc.segments[-2].position, iea.position]
    term = doc.separators.terminator + "\n"
    return Chunk(term.join(raws) + term, tuple(positions))


def _renumbered(segment: Segment, numbers: dict[str, str], e: str) -> str:
    new = numbers[segment.element(1)] = str(len(numbers) + 1)
    parent = numbers.get(segment.element(2), "") if segment.element(2) else ""
    return e.join(("HL", new, parent, *segment.elements[3:]))

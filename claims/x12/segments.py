"""Read any X12 interchange into segments, by the separators its ISA declares.

Used by the release checks and the chunked pyx12 validation, on our files and on anyone's.
"""

from __future__ import annotations

from msgspec import Struct

ISA_LENGTH = 106  # the ISA segment is fixed width, its terminator included


class X12SyntaxError(ValueError):
    """The text is not an X12 interchange (no ISA, wrong ISA width)."""


class Separators(Struct, frozen=True, gc=False):
    element: str
    component: str
    repetition: str
    terminator: str


class Segment(Struct, frozen=True, gc=False):
    """One segment (a 10,000-claim file has 438,000 of them: ``id`` is a field, not a property)."""

    position: int  # 1-based index in the file, ISA = 1 (pyx12 calls it the line)
    raw: str  # the segment's text without its terminator
    elements: tuple[str, ...]  # elements[0] is the segment id
    claim_id: str | None  # CLM01 of the 2300 loop this segment belongs to
    id: str  # elements[0]

    def element(self, index: int) -> str:
        return self.elements[index] if index < len(self.elements) else ""


class Interchange(Struct, frozen=True, gc=False):
    separators: Separators
    segments: tuple[Segment, ...]


def separators(text: str) -> Separators:
    isa = text.lstrip("\ufeff \r\n\t")[:ISA_LENGTH]
    if not isa.startswith("ISA") or len(isa) < ISA_LENGTH:
        raise X12SyntaxError("the file does not start with a complete ISA segment")
    element = isa[3]
    if isa.count(element) != 16:
        raise X12SyntaxError("the ISA segment is not 106 characters with 16 elements")
    return Separators(element, isa[104], isa[82], isa[105])


def parse(text: str) -> Interchange:
    reader = SegmentReader(separators(text))
    segments = reader.read(text.lstrip("\ufeff"))
    return Interchange(reader.separators, tuple(segments + reader.read_rest()))


class SegmentReader:
    """``parse`` in pieces: text may be fed in any cuts; positions and claim ids carry over."""

    def __init__(self, seps: Separators) -> None:
        self.separators = seps
        self._tail = ""
        self._count = 0
        self._claim: str | None = None

    def read(self, text: str) -> list[Segment]:
        """The segments completed by ``text`` (a segment cut by the piece's end waits)."""
        raws = (self._tail + text).split(self.separators.terminator)
        self._tail = raws.pop()
        return self._segments(raws)

    def read_rest(self) -> list[Segment]:
        """At the end: what follows the last terminator, if anything."""
        rest, self._tail = self._tail, ""
        return self._segments([rest])

    def _segments(self, raws: list[str]) -> list[Segment]:
        segments: list[Segment] = []
        append = segments.append
        element, claim, count = self.separators.element, self._claim, self._count
        for raw_text in raws:
            raw = raw_text.strip("\r\n\t ")
            if not raw:
                continue
            elements = tuple(raw.split(element))
            head = elements[0]
            if head in _CLAIM_ENDS:
                claim = None
            elif head == "CLM":
                claim = elements[1] if len(elements) > 1 else ""
            count += 1
            append(Segment(count, raw, elements, claim, head))
        self._claim, self._count = claim, count
        return segments


_CLAIM_ENDS = frozenset(("HL", "SE", "ST", "GE", "IEA", "GS", "ISA"))  # segments no claim spans

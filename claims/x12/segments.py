"""Read any X12 interchange into segments, by the separators its ISA declares.

Used by the release checks and the chunked pyx12 validation, on our files and on anyone's.
"""

from __future__ import annotations

from dataclasses import dataclass

ISA_LENGTH = 106  # the ISA segment is fixed width, its terminator included


class X12SyntaxError(ValueError):
    """The text is not an X12 interchange (no ISA, wrong ISA width)."""


@dataclass(frozen=True, slots=True)
class Separators:
    element: str
    component: str
    repetition: str
    terminator: str


@dataclass(frozen=True, slots=True)
class Segment:
    position: int  # 1-based index in the file, ISA = 1 (pyx12 calls it the line)
    raw: str  # the segment's text without its terminator
    elements: tuple[str, ...]  # elements[0] is the segment id
    claim_id: str | None  # CLM01 of the 2300 loop this segment belongs to

    @property
    def id(self) -> str:
        return self.elements[0]

    def element(self, index: int) -> str:
        return self.elements[index] if index < len(self.elements) else ""


@dataclass(frozen=True, slots=True)
class Interchange:
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
    seps = separators(text)
    segments: list[Segment] = []
    claim: str | None = None
    for raw_text in text.lstrip("\ufeff").split(seps.terminator):
        raw = raw_text.strip("\r\n\t ")
        if not raw:
            continue
        elements = tuple(raw.split(seps.element))
        if elements[0] in ("HL", "SE", "ST", "GE", "IEA", "GS", "ISA"):
            claim = None
        elif elements[0] == "CLM":
            claim = elements[1] if len(elements) > 1 else ""
        segments.append(Segment(len(segments) + 1, raw, elements, claim))
    return Interchange(seps, tuple(segments))

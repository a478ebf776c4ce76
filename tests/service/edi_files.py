"""Outside X12 files (tests/fixtures/inbound, SOURCES.md) altered to name our own interchange,
batch and claims: each helper changes only the elements it names, in plain sight."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inbound"


def outside(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Sent:
    """What our 837P said about itself: the ids a payer's answer must name."""

    sender: str  # ISA06
    receiver: str  # ISA08
    isa13: str
    gs06: str
    st02: str

    @property
    def bht03(self) -> str:
        return f"{int(self.isa13):09d}{self.st02}"


def sent(text: str) -> Sent:
    element, terminator = text[3], text[105]
    segments = [seg.strip().split(element) for seg in text.split(terminator) if seg.strip()]
    by_id = {seg[0]: seg for seg in reversed(segments)}  # the first of each id
    isa, gs, st = by_id["ISA"], by_id["GS"], by_id["ST"]
    return Sent(isa[6].strip(), isa[8].strip(), isa[13], gs[6], st[2])


def segments(text: str) -> tuple[str, str, list[str]]:
    """(element separator, segment terminator, segments without line breaks)."""
    body = text.lstrip("\ufeff")
    element, terminator = body[3], body[105]
    return element, terminator, [s.strip("\r\n") for s in body.split(terminator) if s.strip()]


def join(element: str, terminator: str, segs: list[str], bom: bool = False) -> str:
    return ("\ufeff" if bom else "") + terminator.join(segs) + terminator + "\n"


def replace_elements(seg: str, element: str, **positions: str) -> str:
    """``e6="X"`` sets element 6; ISA elements keep their fixed width."""
    parts = seg.split(element)
    for key, value in positions.items():
        pos = int(key[1:])
        while len(parts) <= pos:
            parts.append("")
        width = len(parts[pos]) if parts[0] == "ISA" else 0
        parts[pos] = value.ljust(width)
    return element.join(parts)


def answering(segs: list[str], element: str, ours: Sent) -> list[str]:
    """ISA06/ISA08 swapped to come from where our 837P went, to us."""
    return [
        replace_elements(s, element, e6=ours.receiver, e8=ours.sender) if s.startswith("ISA") else s
        for s in segs
    ]


def reseal(segs: list[str], element: str) -> list[str]:
    """SE01 recounted for every set after segments were added or dropped."""
    out: list[str] = []
    start = 0
    for seg in segs:
        if seg.startswith("ST" + element):
            start = len(out)
        if seg.startswith("SE" + element):
            seg = replace_elements(seg, element, e1=str(len(out) - start + 1))
        out.append(seg)
    return out

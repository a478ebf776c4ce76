"""Envelope and HL checks over the whole file.

pyx12 checks these too, but the release validation runs pyx12 on re-enveloped chunks (see
``validate``), whose counts and HL numbers are recomputed; so the original file's SE01/GE01/IEA01
counts, control-number pairs and HL tree are checked here, once, on the file as written.
"""

from __future__ import annotations

from claims.x12.model import Problem
from claims.x12.segments import Interchange, Segment


def _problem(segment: Segment, message: str) -> Problem:
    return Problem(segment.claim_id, segment.id, segment.position, message)


def envelope_counts(doc: Interchange) -> list[Problem]:
    """SE01 = segments ST..SE, GE01 = STs in the group, IEA01 = groups; trailer ids match."""
    check = EnvelopeCounts()
    return [problem for segment in doc.segments for problem in check.see(segment)]


class EnvelopeCounts:
    """``envelope_counts`` one segment at a time (the release check of a file written in pieces)."""

    def __init__(self) -> None:
        self._opened: dict[str, Segment] = {}
        self._counts = {"ISA": 0, "GS": 0, "ST": 0}

    def see(self, segment: Segment) -> list[Problem]:
        counts = self._counts
        if segment.id in ("ISA", "GS", "ST"):
            self._opened[segment.id], counts[segment.id] = segment, 0
            parent = {"GS": "ISA", "ST": "GS"}.get(segment.id)
            if parent:
                counts[parent] += 1
        counts["ST"] += 1
        return _trailer(segment, self._opened, counts)


_TRAILERS = {"SE": ("ST", 2, "ST"), "GE": ("GS", 6, "GS"), "IEA": ("ISA", 13, "ISA")}


def _trailer(segment: Segment, opened: dict[str, Segment], counts: dict[str, int]) -> list[Problem]:
    if segment.id not in _TRAILERS:
        return []
    header_id, id_index, counted = _TRAILERS[segment.id]
    header = opened.get(header_id)
    if header is None:
        return [_problem(segment, f"{segment.id} without {header_id}")]
    expected = counts["ST"] if segment.id == "SE" else counts[counted]
    problems = []
    if segment.element(1) != str(expected):
        problems.append(_problem(segment, f"{segment.id}01 count is not {expected}"))
    if segment.element(2) != header.element(id_index):
        problems.append(_problem(segment, f"{segment.id}02 does not match {header_id}"))
    return problems


def hl_tree(doc: Interchange) -> list[Problem]:
    """Within each ST, HL01 counts 1, 2, 3 ... and HL02 names an earlier HL (none for level 20)."""
    check = HlTree()
    return [problem for segment in doc.segments for problem in check.see(segment)]


class HlTree:
    """``hl_tree`` one segment at a time; it remembers the current ST's HL levels only."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}  # HL01 -> HL03 level, for the current ST

    def see(self, segment: Segment) -> list[Problem]:
        if segment.id == "ST":
            self._seen = {}
        elif segment.id == "HL":
            problems = _hl_problems(segment, self._seen)
            self._seen[segment.element(1)] = segment.element(3)
            return problems
        return []


_PARENT_LEVEL = {"20": "", "22": "20", "23": "22"}


def _hl_problems(segment: Segment, seen: dict[str, str]) -> list[Problem]:
    number, parent, level = segment.element(1), segment.element(2), segment.element(3)
    problems = []
    if number != str(len(seen) + 1):
        problems.append(_problem(segment, f"HL01 should be {len(seen) + 1}"))
    expected = _PARENT_LEVEL.get(level)
    if expected is None:
        problems.append(_problem(segment, "HL03 is not 20, 22 or 23"))
    elif (seen.get(parent, "?") if parent else "") != expected:
        problems.append(_problem(segment, "HL02 does not name a parent HL of the right level"))
    return problems


def run_structure_checks(doc: Interchange) -> list[Problem]:
    return envelope_counts(doc) + hl_tree(doc)

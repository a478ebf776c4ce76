"""999 implementation acknowledgment (005010X231A1): did the payer's translator take our 837P?

One 999 transaction set acknowledges one functional group we sent (AK1 .. AK9); inside it each
AK2 loop acknowledges one transaction set (ST02) with its IK5 status, and the IK3/IK4/CTX
segments that say what was wrong are kept as raw text for a person to read.
"""

from __future__ import annotations

from collections.abc import Iterator

from claims.errors import InvalidInput
from claims.inbound.model import Ack999, AckGroup, AckTransaction
from claims.inbound.reader import Interchange, Segment

ERROR_SEGMENTS = frozenset({"IK3", "IK4", "CTX"})


def parse_999(interchange: Interchange) -> Ack999:
    groups = tuple(_group(chunk) for chunk in _chunks(interchange.segments, "AK1", "AK9"))
    if not groups:
        raise InvalidInput("the 999 acknowledges no functional group (no AK1)")
    return Ack999(interchange.envelope, groups, interchange.warnings)


def _chunks(segments: tuple[Segment, ...], head: str, tail: str) -> Iterator[list[Segment]]:
    """head .. tail inclusive, in file order (AK1..AK9, AK2..IK5)."""
    current: list[Segment] | None = None
    for seg in segments:
        if seg.seg_id == head:
            current = [seg]
        elif current is not None:
            current.append(seg)
            if seg.seg_id == tail:
                yield current
                current = None
    if current is not None:
        raise InvalidInput(f"the 999 has an {head} without its {tail}")


def _group(chunk: list[Segment]) -> AckGroup:
    ak1, ak9 = chunk[0], chunk[-1]
    return AckGroup(
        functional_id=ak1.get(1),
        group_control_number=ak1.get(2),
        version=ak1.get(3),
        status=ak9.get(1),
        sets_included=_count(ak9, 2),
        sets_received=_count(ak9, 3),
        sets_accepted=_count(ak9, 4),
        error_codes=_codes(ak9, range(5, 10)),
        transactions=tuple(_transaction(part) for part in _chunks(tuple(chunk), "AK2", "IK5")),
    )


def _transaction(chunk: list[Segment]) -> AckTransaction:
    ak2, ik5 = chunk[0], chunk[-1]
    return AckTransaction(
        set_id=ak2.get(1),
        control_number=ak2.get(2),
        version=ak2.get(3),
        status=ik5.get(1),
        error_codes=_codes(ik5, range(2, 7)),
        errors=tuple(seg.raw() for seg in chunk if seg.seg_id in ERROR_SEGMENTS),
    )


def _codes(seg: Segment, positions: range) -> tuple[str, ...]:
    return tuple(code for code in (seg.get(pos) for pos in positions) if code)


def _count(seg: Segment, pos: int) -> int:
    raw = seg.get(pos)
    if not raw.isdigit():
        raise InvalidInput(f"{seg.seg_id}{pos:02d} at segment {seg.line} is not a count")
    return int(raw)

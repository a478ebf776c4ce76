"""Reading an inbound X12 interchange: envelope checks, kind, and every segment, in one pass.

The file is split by the separators its own ISA declares (any element, component, repetition
and segment separators; CR/LF between segments; a UTF-8 byte-order mark in front), the envelope
is checked (ISA/IEA, GS/GE, ST/SE present and matching; TA1 segments at interchange level, where
X12 puts them) and the kind told, so a truncated or foreign file is refused with a clear message.
Reading is linear in the file's size: the 999, 277CA and 835 readers place segments in loops
from the segment order alone (docs/edi.md). pyx12's opinion of the file is advice, asked for
small files only (``claims.inbound.advice``): it costs about a millisecond per segment.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from msgspec import Struct

from claims.errors import InvalidInput
from claims.inbound.advice import ADVICE_LIMIT, pyx12_advice
from claims.inbound.model import (
    Envelope,
    FunctionalGroup,
    InboundKind,
    InterchangeAck,
    ParseWarning,
)
from claims.money import to_money

ISA_LENGTH = 106  # the ISA is fixed width; its last character is the segment terminator
X214 = "005010X214"  # 277CA; other 277 guides (X212 status response) are not acknowledgments
BYTE_ORDER_MARK = "\ufeff"


class Delimiters(Struct, frozen=True, gc=False):
    element: str  # ISA 4th character
    component: str  # ISA16
    segment: str  # the character after ISA16
    repetition: str  # ISA11 in 00501


class Segment(Struct, frozen=True, gc=False):
    """One segment: its elements as sent, split into components only when asked (most have
    none, and a 10 MB 835 has 400,000 segments)."""

    seg_id: str
    values: tuple[str, ...]  # values[0] is element 01, components still joined
    component: str  # the file's component separator
    line: int  # segment position in the file, 1-based

    def get(self, pos: int, comp: int = 1) -> str:
        """Element ``pos`` (1-based), component ``comp``; "" when absent."""
        if pos > len(self.values):
            return ""
        value = self.values[pos - 1]
        if self.component not in value:
            return value if comp == 1 else ""
        parts = value.split(self.component)
        return parts[comp - 1] if comp <= len(parts) else ""

    def composite(self, pos: int) -> tuple[str, ...]:
        return tuple(self.values[pos - 1].split(self.component)) if pos <= len(self.values) else ()

    def raw(self) -> str:
        """The segment re-joined with the usual separators (the file's own may differ)."""
        return "*".join([self.seg_id, *(v.replace(self.component, ":") for v in self.values)])


class Interchange(Struct, frozen=True, gc=False):
    kind: InboundKind
    envelope: Envelope
    segments: tuple[Segment, ...]
    warnings: tuple[ParseWarning, ...]


def read_interchange(text: str) -> Interchange:
    """Check the envelope, tell the kind and split every segment; linear in the file's size."""
    body = strip_text(text)
    delims = delimiters(body)
    tokens = split_segments(body, delims)
    envelope, sets = check_envelope(tokens)
    kind = detect_kind(sets) if sets else InboundKind.INTERCHANGE_ACK
    segments = tuple(_segment(token, number, delims) for number, token in enumerate(tokens, 1))
    advice = pyx12_findings(body, delims) if len(body) <= ADVICE_LIMIT and sets else ()
    return Interchange(kind, envelope, segments, advice)


def without_ta1(body: str, delims: Delimiters) -> tuple[str, tuple[int, ...]]:
    """The body without TA1 segments, and their positions (1-based): pyx12's maps expect a GS
    right after the ISA; a TA1 there is X12's business, not the guide's."""
    head = "TA1" + delims.element
    kept, removed = [], []
    for number, raw in enumerate((r for r in body.split(delims.segment) if r.strip()), 1):
        if raw.strip().startswith(head):
            removed.append(number)
        else:
            kept.append(raw)
    return delims.segment.join(kept) + delims.segment, tuple(removed)


def pyx12_findings(body: str, delims: Delimiters) -> tuple[ParseWarning, ...]:
    """pyx12's findings, numbered as the segments of the file itself (TA1 included)."""
    kept, removed = without_ta1(body, delims)
    return tuple(
        ParseWarning(_original(w.line, removed), w.code, w.message) for w in pyx12_advice(kept)
    )


def _original(line: int, removed: tuple[int, ...]) -> int:
    for position in removed:
        if position <= line:
            line += 1
    return line


def strip_text(text: str) -> str:
    """Without a byte-order mark and the blanks around the interchange."""
    return text.lstrip(BYTE_ORDER_MARK + " \t\r\n").rstrip(" \t\r\n")


def delimiters(body: str) -> Delimiters:
    if not body:
        raise InvalidInput("the inbound file is empty")
    if not body.startswith("ISA"):
        raise InvalidInput("not an X12 interchange: the file does not begin with an ISA segment")
    if len(body) < ISA_LENGTH:
        raise InvalidInput("the X12 interchange is truncated inside its ISA segment")
    delims = Delimiters(body[3], body[104], body[105], body[82])
    if len({delims.element, delims.component, delims.segment}) != 3:
        raise InvalidInput("the ISA segment does not declare three distinct separators")
    if any(char.isalnum() or char == " " for char in (delims.element, delims.component)):
        raise InvalidInput("the ISA declares a letter, digit or blank as a separator")
    return delims


def split_segments(body: str, delims: Delimiters) -> list[list[str]]:
    """Elements of each segment, split on the file's own separators; blank lines dropped."""
    parts = (raw.strip("\r\n") for raw in body.split(delims.segment))
    return [raw.split(delims.element) for raw in parts if raw.strip()]


def _segment(token: list[str], number: int, delims: Delimiters) -> Segment:
    return Segment(token[0].strip(), tuple(token[1:]), delims.component, number)


# ---------------------------------------------------------------------------------------------
# Envelope


def check_envelope(tokens: list[list[str]]) -> tuple[Envelope, list[tuple[str, str]]]:
    """The interchange's ids, and (ST01, GS08) of every set; refuses a broken envelope."""
    isa, iea = tokens[0], tokens[-1]
    if len(isa) < 17:
        raise InvalidInput("the ISA segment has fewer than 16 elements")
    if iea[0] != "IEA":
        raise InvalidInput("the X12 interchange is truncated: it does not end with an IEA segment")
    if sum(1 for seg in tokens if seg[0] == "ISA") != 1:
        raise InvalidInput("one interchange (ISA..IEA) per inbound file, please")
    if _el(iea, 2) != _el(isa, 13):
        raise InvalidInput("IEA02 does not match ISA13: the interchange is not whole")
    acks, inner = _interchange_acks(tokens[1:-1])
    groups, sets = _check_groups(inner)
    if not sets and not acks:
        raise InvalidInput("the interchange holds no transaction set")
    if _el(iea, 1) != str(len(groups)):
        raise InvalidInput("IEA01 does not count the functional groups")
    envelope = Envelope(
        interchange_control_number=_el(isa, 13),
        sender_id=_el(isa, 6).strip(),
        receiver_id=_el(isa, 8).strip(),
        usage_indicator=_el(isa, 15),
        groups=tuple(groups),
        interchange_acks=tuple(acks),
    )
    return envelope, sets


def _interchange_acks(
    tokens: list[list[str]],
) -> tuple[list[InterchangeAck], list[list[str]]]:
    """TA1 segments outside any GS..GE (X12 puts them after the ISA), and everything else."""
    acks: list[InterchangeAck] = []
    rest: list[list[str]] = []
    in_group = False
    for seg in tokens:
        in_group = in_group or seg[0] == "GS"
        if seg[0] == "TA1" and not in_group:
            acks.append(_ta1(seg))
        else:
            rest.append(seg)
        in_group = in_group and seg[0] != "GE"
    return acks, rest


def _ta1(seg: list[str]) -> InterchangeAck:
    if len(seg) < 5 or not _el(seg, 1) or _el(seg, 4) not in ("A", "E", "R"):
        raise InvalidInput("a TA1 segment lacks its control number or its A/E/R code (TA104)")
    return InterchangeAck(_el(seg, 1), _el(seg, 2), _el(seg, 3), _el(seg, 4), _el(seg, 5))


def _check_groups(
    tokens: list[list[str]],
) -> tuple[list[FunctionalGroup], list[tuple[str, str]]]:
    groups: list[FunctionalGroup] = []
    sets: list[tuple[str, str]] = []
    for gs, body, ge in _spans(tokens, "GS", "GE"):
        if _el(ge, 2) != _el(gs, 6):
            raise InvalidInput(f"GE02 does not match GS06 of group {_el(gs, 6)}")
        controls = [_check_set(st, inner, se) for st, inner, se in _spans(body, "ST", "SE")]
        if _el(ge, 1) != str(len(controls)):
            raise InvalidInput(f"GE01 does not count the sets of group {_el(gs, 6)}")
        sets.extend((st_id, _el(gs, 8)) for st_id, _ in controls)
        groups.append(
            FunctionalGroup(
                control_number=_el(gs, 6),
                functional_id=_el(gs, 1),
                version=_el(gs, 8),
                sender_code=_el(gs, 2),
                receiver_code=_el(gs, 3),
                transaction_control_numbers=tuple(control for _, control in controls),
            )
        )
    return groups, sets


def _check_set(st: list[str], body: list[list[str]], se: list[str]) -> tuple[str, str]:
    if _el(se, 2) != _el(st, 2):
        raise InvalidInput(f"SE02 does not match ST02 of set {_el(st, 2)}")
    if _el(se, 1) != str(len(body) + 2):
        raise InvalidInput(f"SE01 does not count the segments of set {_el(st, 2)}")
    return _el(st, 1), _el(st, 2)


def _spans(
    tokens: list[list[str]], head: str, tail: str
) -> Iterator[tuple[list[str], list[list[str]], list[str]]]:
    """Each head..tail span at this level; anything outside a span, or an open span, is refused."""
    start: int | None = None
    for index, seg in enumerate(tokens):
        if seg[0] == head:
            if start is not None:
                raise InvalidInput(f"a {head} segment opens before the previous {tail} closed it")
            start = index
        elif seg[0] == tail:
            if start is None:
                raise InvalidInput(f"a {tail} segment closes a {head} that was never opened")
            yield tokens[start], tokens[start + 1 : index], seg
            start = None
        elif start is None:
            raise InvalidInput(f"a {seg[0][:3]} segment sits outside any {head}..{tail} envelope")
    if start is not None:
        raise InvalidInput(f"the X12 interchange is truncated: a {head} has no {tail}")


def _el(seg: Sequence[str], pos: int) -> str:
    return seg[pos] if pos < len(seg) else ""


def detect_kind(sets: list[tuple[str, str]]) -> InboundKind:
    kinds = {_kind_of(st_id, version) for st_id, version in sets}
    if len(kinds) != 1:
        raise InvalidInput("the interchange mixes transaction set kinds; send one kind per file")
    return kinds.pop()


def _kind_of(st_id: str, version: str) -> InboundKind:
    if st_id == "999":
        return InboundKind.ACK_999
    if st_id == "277" and version == X214:
        return InboundKind.CLAIM_ACK_277CA
    if st_id == "835":
        return InboundKind.REMITTANCE_835
    if st_id == "837":
        raise InvalidInput("this is an 837 claim file, not a payer response (999, 277CA or 835)")
    if st_id == "277":
        raise InvalidInput(f"a 277 of guide {version[:12]} is not a 277CA claim acknowledgment")
    raise InvalidInput(f"unsupported transaction set {st_id[:3]}: expected 999, 277CA or 835")


# ---------------------------------------------------------------------------------------------
# Element values


def money_at(seg: Segment, pos: int, comp: int = 1) -> Decimal | None:
    raw = seg.get(pos, comp)
    if not raw:
        return None
    try:
        return to_money(raw)
    except ValueError as exc:
        raise InvalidInput(f"{seg.seg_id}{pos:02d} at segment {seg.line} is not an amount") from exc


def quantity_at(seg: Segment, pos: int, comp: int = 1) -> Decimal | None:
    raw = seg.get(pos, comp)
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise InvalidInput(f"{seg.seg_id}{pos:02d} at segment {seg.line} is not a number") from exc


def date_at(seg: Segment, pos: int, comp: int = 1) -> date | None:
    """CCYYMMDD, or the start of a CCYYMMDD-CCYYMMDD range; None when absent."""
    raw = seg.get(pos, comp)
    return _date(raw[:8], seg, pos) if raw else None


def range_end_at(seg: Segment, pos: int) -> date | None:
    raw = seg.get(pos)
    return _date(raw[9:17], seg, pos) if len(raw) == 17 else date_at(seg, pos)


def _date(raw: str, seg: Segment, pos: int) -> date:
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError as exc:
        raise InvalidInput(f"{seg.seg_id}{pos:02d} at segment {seg.line} is not a date") from exc

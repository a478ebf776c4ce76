"""Reading an inbound X12 interchange: envelope checks, then pyx12's context reader for the loops.

Two passes on purpose. A cheap split by the ISA's own separators checks the envelope (ISA/IEA,
GS/GE, ST/SE all present and matching) and tells the kind, so a truncated or foreign file is
refused with a clear message before pyx12 sees it. pyx12's ``X12ContextReader`` then places every
segment in its loop of the implementation guide's map; its findings become warnings rather than
failures, because payers send files their own guide would flag (the 277CA sample lacks the 2200C
STC the map requires) and losing a payment over that would be worse.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import pyx12.error_handler
import pyx12.errors
import pyx12.params
import pyx12.x12context

from claims.errors import InvalidInput
from claims.inbound.model import Envelope, FunctionalGroup, InboundKind, ParseWarning
from claims.money import to_money

ISA_LENGTH = 106  # the ISA is fixed width; its last character is the segment terminator
X214 = "005010X214"  # 277CA; other 277 guides (X212 status response) are not acknowledgments


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str  # ISA 4th character
    component: str  # ISA16
    segment: str  # the character after ISA16
    repetition: str  # ISA11 in 00501


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment with its elements split into components, and the guide loop pyx12 put it in."""

    seg_id: str
    elements: tuple[tuple[str, ...], ...]  # elements[0] is element 01
    loop: str  # innermost loop id of the map, e.g. "2110", "2200D", "HEADER"
    line: int  # segment position in the file, 1-based

    def get(self, pos: int, comp: int = 1) -> str:
        """Element ``pos`` (1-based), component ``comp``; "" when absent."""
        if pos > len(self.elements) or comp > len(self.elements[pos - 1]):
            return ""
        return self.elements[pos - 1][comp - 1]

    def composite(self, pos: int) -> tuple[str, ...]:
        return self.elements[pos - 1] if pos <= len(self.elements) else ()

    def raw(self) -> str:
        """The segment re-joined with the usual separators (the file's own may differ)."""
        return "*".join([self.seg_id, *(":".join(parts) for parts in self.elements)])


@dataclass(frozen=True, slots=True)
class Interchange:
    kind: InboundKind
    envelope: Envelope
    segments: tuple[Segment, ...]
    warnings: tuple[ParseWarning, ...]


def read_interchange(text: str) -> Interchange:
    """Check the envelope, tell the kind and read every segment with its loop."""
    body = _strip(text)
    delims = delimiters(body)
    tokens = split_segments(body, delims)
    envelope, sets = check_envelope(tokens)
    kind = detect_kind(sets)
    segments, warnings = _walk(body, delims)
    return Interchange(kind, envelope, segments, warnings)


def _strip(text: str) -> str:
    return text.lstrip("\ufeff \t\r\n").rstrip(" \t\r\n")


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
    return delims


def split_segments(body: str, delims: Delimiters) -> list[list[str]]:
    """Elements of each segment, split on the file's own separators; blank lines dropped."""
    parts = (raw.strip("\r\n") for raw in body.split(delims.segment))
    return [raw.split(delims.element) for raw in parts if raw.strip()]


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
    groups, sets = _check_groups(tokens[1:-1])
    envelope = Envelope(
        interchange_control_number=_el(isa, 13),
        sender_id=_el(isa, 6).strip(),
        receiver_id=_el(isa, 8).strip(),
        usage_indicator=_el(isa, 15),
        groups=tuple(groups),
    )
    return envelope, sets


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
    if not sets:
        raise InvalidInput("the interchange holds no transaction set")
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
# pyx12 pass


class _Findings(pyx12.error_handler.errh_null):  # type: ignore[misc]
    """Keeps pyx12's validation findings as warnings instead of dropping them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[ParseWarning] = []

    def add_seg(
        self, map_node: object, seg: object, seg_count: int, cur_line: int, ls_id: str | None
    ) -> None:
        self.cur_line = cur_line  # so element findings carry the line of their segment

    def isa_error(self, err_cde: str, err_str: str) -> None:
        self.found.append(ParseWarning(self.cur_line, err_cde, err_str))

    def gs_error(self, err_cde: str, err_str: str) -> None:
        self.found.append(ParseWarning(self.cur_line, err_cde, err_str))

    def st_error(self, err_cde: str, err_str: str) -> None:
        self.found.append(ParseWarning(self.cur_line, err_cde, err_str))

    def seg_error(
        self, err_cde: str, err_str: str, err_value: str | None = None, src_line: int | None = None
    ) -> None:
        line = src_line or self.cur_line
        self.found.append(ParseWarning(line, err_cde, _withhold(err_str, err_value)))

    def ele_error(
        self, err_cde: str, err_str: str, bad_value: str | None, refdes: str | None = None
    ) -> None:
        self.found.append(ParseWarning(self.cur_line, err_cde, _withhold(err_str, bad_value)))


def _withhold(message: str, value: str | None) -> str:
    # pyx12 quotes the offending value; it may be a name or a birth date, so it is cut out.
    if not value:
        return message
    return message.replace(f" ({value})", "").replace(value, "...")


def _walk(body: str, delims: Delimiters) -> tuple[tuple[Segment, ...], tuple[ParseWarning, ...]]:
    findings = _Findings()
    reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), findings, io.StringIO(body))
    segments: list[Segment] = []
    try:
        for number, node in enumerate(reader.iter_segments(), start=1):
            segments.append(_segment(node, number, delims))
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as exc:
        # pyx12's messages quote the data; only the exception's kind is passed on.
        raise InvalidInput(f"pyx12 could not read the interchange ({type(exc).__name__})") from exc
    finally:
        reader.close()
    return tuple(segments), tuple(findings.found)


def _segment(node: pyx12.x12context.X12DataNode, number: int, delims: Delimiters) -> Segment:
    seg = node.seg_data
    text = seg.format(seg_term="", ele_term=delims.element, subele_term=delims.component)
    head, *rest = text.split(delims.element)
    # The map path ends ".../2100/2110/CAS[...]": the loop is the part before the segment.
    path = [part for part in node.x12_map_node.get_path().split("/") if part]
    loop = path[-2].split("[")[0] if len(path) >= 2 else ""
    elements = tuple(tuple(value.split(delims.component)) for value in rest)
    return Segment(head, elements, loop, number)


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

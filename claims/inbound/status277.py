"""277CA claim acknowledgment (005010X214): which claims entered adjudication, under what number.

The hierarchy is payer (2000A) > information receiver (2000B) > billing provider (2000C) >
patient with one claim (2000D) > service lines (2220D). Each HL's level code (HL03) says the
level; inside a 2000D, the first SVC opens the service lines. A claim's TRN02 is the CLM01 we
sent, REF*1K the payer's claim control number, and its STC category codes, with those of every
level above it, decide accepted or rejected (categories.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from claims.inbound.categories import outcome_of
from claims.inbound.model import (
    ClaimAck,
    ClaimStatus277,
    LineAck,
    StatusCode,
    StatusInfo,
    StatusSummary,
)
from claims.inbound.reader import (
    Interchange,
    Segment,
    date_at,
    money_at,
    quantity_at,
    range_end_at,
)

HL_LEVELS = {"20": "A", "21": "B", "19": "C", "PT": "D"}  # HL03 -> loop letter
ACCEPTED_QTY = frozenset({"90", "QA"})  # 2200B QTY*90, 2200C QTY*QA
REJECTED_QTY = frozenset({"AA", "QC"})


@dataclass
class _Summary:
    level: str
    identifier: str = ""
    trace: str = ""
    receiver_trace: str = ""
    claims_below: int = 0
    statuses: list[StatusInfo] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class _Line:
    svc: Segment
    control: str = ""
    statuses: list[StatusInfo] = field(default_factory=list)
    service_date: Segment | None = None


@dataclass
class _Claim:
    provider_id: str
    levels: list[_Summary] = field(default_factory=list)  # enclosing A, B, C summaries
    control: str = ""
    payer_number: str = ""
    trace: str = ""
    statuses: list[StatusInfo] = field(default_factory=list)
    dates: Segment | None = None
    lines: list[_Line] = field(default_factory=list)


@dataclass
class _State:
    level: str = "A"
    payer_name: str = ""
    payer_id: str = ""
    batch_reference: str = ""
    created: Segment | None = None
    summaries: list[_Summary] = field(default_factory=list)
    claims: list[_Claim] = field(default_factory=list)
    provider_id: str = ""
    open_levels: dict[str, _Summary] = field(default_factory=dict)  # "A", "B", "C" -> summary


def parse_277ca(interchange: Interchange) -> ClaimStatus277:
    state = _State()
    for seg in interchange.segments:
        _take(state, seg)
    return ClaimStatus277(
        envelope=interchange.envelope,
        payer_name=state.payer_name,
        payer_id=state.payer_id,
        batch_reference=state.batch_reference,
        created=date_at(state.created, 4) if state.created else None,
        summaries=tuple(_freeze_summary(summary) for summary in state.summaries),
        claims=tuple(_freeze_claim(claim) for claim in state.claims),
        warnings=interchange.warnings,
    )


def _take(state: _State, seg: Segment) -> None:
    if seg.seg_id == "BHT":
        state.batch_reference, state.created = seg.get(3), seg
    elif seg.seg_id == "HL":
        _open_level(state, seg)
    elif state.level == "A":
        _take_payer(state, seg)
    elif state.level in ("B", "C"):
        _take_summary(state, state.summaries[-1], seg)
    elif seg.seg_id == "SVC" or state.claims[-1].lines:
        _take_line(state.claims[-1], seg)  # 2220D: from the first SVC to the next HL
    else:
        _take_claim(state.claims[-1], seg)


LEVEL_NAMES = {"A": "payer", "B": "receiver", "C": "provider"}


def _open_level(state: _State, seg: Segment) -> None:
    state.level = HL_LEVELS.get(seg.get(3), state.level)
    opened = state.open_levels
    for deeper in "ABC"[("ABCD".index(state.level)) :]:
        opened.pop(deeper, None)  # a new HL closes its own level and every level below
    if state.level in ("B", "C"):
        receiver = opened.get("B")
        summary = _Summary(
            LEVEL_NAMES[state.level], receiver_trace=receiver.trace if receiver else ""
        )
        state.summaries.append(summary)
        opened[state.level] = summary
    elif state.level == "D":
        levels = [opened[key] for key in "ABC" if key in opened]
        for level in levels:
            level.claims_below += 1
        state.claims.append(_Claim(provider_id=state.provider_id, levels=levels))


def _take_payer(state: _State, seg: Segment) -> None:
    if seg.seg_id == "NM1" and seg.get(1) == "PR":
        state.payer_name, state.payer_id = seg.get(3), seg.get(9)
    elif seg.seg_id == "STC":  # not in the guide at 2200A, but a payer-level status is clear
        if "A" not in state.open_levels:
            state.open_levels["A"] = _Summary("payer")
            state.summaries.insert(0, state.open_levels["A"])
        state.open_levels["A"].statuses.append(status_info(seg))


def _take_summary(state: _State, summary: _Summary, seg: Segment) -> None:
    if seg.seg_id == "NM1":
        summary.identifier = seg.get(9)
        if summary.level == "provider":
            state.provider_id = summary.identifier
    elif seg.seg_id == "TRN":
        summary.trace = seg.get(2)
        if summary.level == "receiver":
            summary.receiver_trace = summary.trace
    elif seg.seg_id == "STC":
        summary.statuses.append(status_info(seg))
    elif seg.seg_id == "QTY":
        summary.counts[seg.get(1)] = int(quantity_at(seg, 2) or 0)
    elif seg.seg_id == "AMT":
        summary.amounts[seg.get(1)] = money_at(seg, 2) or Decimal("0.00")


def _take_claim(claim: _Claim, seg: Segment) -> None:
    if seg.seg_id == "TRN":
        claim.control = seg.get(2)
    elif seg.seg_id == "STC":
        claim.statuses.append(status_info(seg))
    elif seg.seg_id == "REF" and seg.get(1) == "1K":
        claim.payer_number = seg.get(2)
    elif seg.seg_id == "REF" and seg.get(1) == "D9":
        claim.trace = seg.get(2)
    elif seg.seg_id == "DTP" and seg.get(1) == "472":
        claim.dates = seg


def _take_line(claim: _Claim, seg: Segment) -> None:
    if seg.seg_id == "SVC":
        claim.lines.append(_Line(seg))
    elif not claim.lines:
        _take_claim(claim, seg)
    elif seg.seg_id == "STC":
        claim.lines[-1].statuses.append(status_info(seg))
    elif seg.seg_id == "REF" and seg.get(1) == "FJ":
        claim.lines[-1].control = seg.get(2)
    elif seg.seg_id == "DTP" and seg.get(1) == "472":
        claim.lines[-1].service_date = seg


def status_info(seg: Segment) -> StatusInfo:
    """STC01, STC10 and STC11 are each a category:status:entity composite."""
    composites = (seg.composite(pos) for pos in (1, 10, 11))
    codes = tuple(
        StatusCode(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")
        for parts in composites
        if parts and parts[0]
    )
    return StatusInfo(codes, date_at(seg, 2), seg.get(3), money_at(seg, 4), seg.get(12))


def _freeze_summary(summary: _Summary) -> StatusSummary:
    return StatusSummary(
        level=summary.level,
        identifier=summary.identifier,
        trace_number=summary.trace,
        statuses=tuple(summary.statuses),
        accepted_count=_first(summary.counts, ACCEPTED_QTY),
        rejected_count=_first(summary.counts, REJECTED_QTY),
        accepted_amount=summary.amounts.get("YU"),
        rejected_amount=summary.amounts.get("YY"),
        receiver_trace=summary.receiver_trace,
        claims_below=summary.claims_below,
        outcome=outcome_of(code for info in summary.statuses for code in info.codes),
    )


def _first(counts: dict[str, int], keys: frozenset[str]) -> int | None:
    return next((value for key, value in counts.items() if key in keys), None)


def _freeze_claim(claim: _Claim) -> ClaimAck:
    inherited = tuple(info for level in claim.levels for info in level.statuses)
    return ClaimAck(
        patient_control_number=claim.control,
        payer_claim_control_number=claim.payer_number,
        clearinghouse_trace_number=claim.trace,
        billing_provider_id=claim.provider_id,
        statuses=tuple(claim.statuses),
        service_start=date_at(claim.dates, 3) if claim.dates else None,
        service_end=range_end_at(claim.dates, 3) if claim.dates else None,
        lines=tuple(_freeze_line(line) for line in claim.lines),
        outcome=outcome_of(
            code for info in inherited + tuple(claim.statuses) for code in info.codes
        ),
        inherited=inherited,
    )


def _freeze_line(line: _Line) -> LineAck:
    procedure = line.svc.composite(1)
    return LineAck(
        line_item_control_number=line.control,
        procedure=procedure[1] if len(procedure) > 1 else "",
        modifiers=tuple(mod for mod in procedure[2:6] if mod),
        charge=money_at(line.svc, 2),
        units=quantity_at(line.svc, 7),
        statuses=tuple(line.statuses),
        service_date=date_at(line.service_date, 3) if line.service_date else None,
        outcome=outcome_of(code for info in line.statuses for code in info.codes),
    )

"""From one member's events to adjudications and unit lines (billing-rules.md section 1).

Pure and order-independent: events are sorted by date, start and id before anything is decided.
The first-64-units allowance and authorizations are counted in date-of-service order, starting
from ``context.counters`` (what was counted before the first date given), so a caller can
re-adjudicate from any date onward without the history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from claims.adjudication.day import (
    UNIT_MINUTES,
    Ledger,
    Line,
    apply_cap,
    apply_rounding,
    build_lines,
    remove_overlap,
    take,
)
from claims.adjudication.dvr import DvrOverlapTable, load_dvr_overlap
from claims.adjudication.eligibility import Lookup, exclusion
from claims.model import (
    HOLD_REASONS,
    PROCEDURE,
    Adjudication,
    EventStatus,
    FeeSchedule,
    LineStatus,
    MemberContext,
    MemberResult,
    Reason,
    ReasonCode,
    ServiceEvent,
    UnitLine,
)
from claims.money import line_charge

ZERO = Decimal("0.00")


@dataclass(slots=True)
class Counters:
    """Units counted so far, per provider (first-64 allowance) and per authorization."""

    by_provider: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_authorization: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def adjudicate_member(events: Sequence[ServiceEvent], context: MemberContext,
                      dvr_overlap: DvrOverlapTable | None = None) -> MemberResult:
    """Every event's adjudication and every unit line, for the events given (any order)."""
    look = Lookup.build(context, dvr_overlap or load_dvr_overlap())
    counters = Counters()
    counters.by_provider.update(dict(context.counters.by_provider))
    counters.by_authorization.update(dict(context.counters.by_authorization))
    fees = sorted(context.fee_schedules, key=lambda f: f.effective_from, reverse=True)
    adjudications: list[Adjudication] = []
    unit_lines: list[UnitLine] = []
    for day, day_events in _by_day(events):
        ledgers, lines = _adjudicate_day(day, day_events, look, counters, fees)
        adjudications.extend(_freeze(ledger) for ledger in ledgers)
        unit_lines.extend(lines)
    return MemberResult(tuple(adjudications), tuple(unit_lines))


def _by_day(events: Sequence[ServiceEvent]) -> list[tuple[date, list[ServiceEvent]]]:
    days: dict[date, list[ServiceEvent]] = defaultdict(list)
    for event in sorted(events, key=lambda e: (e.service_date, e.start_minute, e.event_id)):
        days[event.service_date].append(event)
    return sorted(days.items())


def _adjudicate_day(day: date, events: list[ServiceEvent], look: Lookup, counters: Counters,
                    fees: list[FeeSchedule]) -> tuple[list[Ledger], list[UnitLine]]:
    ledgers = [Ledger(event, event.minutes) for event in events]
    live: list[Ledger] = []
    for ledger in ledgers:
        if ledger.event.voided:
            ledger.lose(ReasonCode.VOIDED, ledger.kept, "event voided")
            continue
        finding = exclusion(ledger.event, look)
        if finding is not None:
            ledger.lose(finding[0], ledger.kept, finding[1])
            continue
        live.append(ledger)
    settings = look.context.settings
    remove_overlap(live)
    lines = build_lines(live, settings.rounding)
    apply_cap(lines, settings.daily_unit_cap, day.isoformat())
    for line in lines:
        apply_rounding(line)
    return ledgers, [_settle(line, day, look, counters, fees) for line in lines]


def _rate(fees: list[FeeSchedule], day: date, key: str) -> Decimal | None:
    # billing-rules 1.4: the rate in effect on the date of service; no rate ships as a default.
    for schedule in fees:
        if schedule.effective_from <= day:
            return schedule.rate(key)
    return None


def _holds(line: Line, look: Lookup, rate: Decimal | None) -> list[tuple[ReasonCode, str]]:
    """Line-wide holds, in the order that decides whose name the held minutes carry."""
    holds: list[tuple[ReasonCode, str]] = []
    undocumented = [x.event.event_id for x in line.ledgers if not x.event.note_id]
    if undocumented:
        # YP630 def., Documentation: "A full service note shall be written per date of service".
        holds.append((ReasonCode.MISSING_SERVICE_NOTE,
                      f"no service note for {', '.join(undocumented)}"))
    member = look.context.member
    if not member.diagnoses or not member.subscriber_id:
        # Attachment A: ICD-10-CM and the payer's record number are required on the 837P.
        missing = [n for n, v in (("diagnosis", member.diagnoses),
                                  ("subscriber_id", member.subscriber_id)) if not v]
        holds.append((ReasonCode.MISSING_MEMBER_DATA, f"member has no {' or '.join(missing)}"))
    if rate is None:
        holds.append((ReasonCode.MISSING_FEE_SCHEDULE,
                      f"no {line.procedure_key} rate in effect for the payer"))
    return holds


def _authorize(line: Line, day: date, look: Lookup,
               counters: Counters) -> tuple[int, tuple[ReasonCode, str], str | None]:
    """YP630 def., Utilization Management: "no prior authorization for the first 64 units ...
    Authorization for continued services must occur after the 64 units". Counts nothing."""
    auth = look.authorization_for(line.provider_id, day)
    if auth is not None:
        used = counters.by_authorization[auth.authorization_id]
        billable = min(line.units, max(0, auth.units - used))
        return billable, (ReasonCode.AUTHORIZATION_EXHAUSTED, f"authorization "
                          f"{auth.authorization_id} has {auth.units} units, all used"), \
            auth.authorization_id
    allowance = look.context.settings.units_without_authorization
    billable = min(line.units, max(0, allowance - counters.by_provider[line.provider_id]))
    return billable, (ReasonCode.NO_AUTHORIZATION,
                      f"the first {allowance} units are used; no authorization covers {day}"), None


def _count(line: Line, billable: int, auth_id: str | None, counters: Counters) -> None:
    counters.by_provider[line.provider_id] += billable
    if auth_id is not None:
        counters.by_authorization[auth_id] += billable


def _settle(line: Line, day: date, look: Lookup, counters: Counters,
            fees: list[FeeSchedule]) -> UnitLine:
    rate = _rate(fees, day, line.procedure_key)
    holds = _holds(line, look, rate)
    auth_id, billable_units = None, 0
    if holds:
        # A held line counts nothing, but an authorization it would also lack is listed (at 0
        # minutes) so the provider sees everything missing at once.
        billable_units, hold, _ = _authorize(line, day, look, counters)
        _hold_all(line, holds + [hold] if billable_units < line.units else holds)
        billable_units = 0
    elif line.units:
        billable_units, hold, auth_id = _authorize(line, day, look, counters)
        _count(line, billable_units, auth_id, counters)
        kept = sum(x.kept for x in line.ledgers)
        if billable_units < line.units:
            take(line.latest_first, kept - billable_units * UNIT_MINUTES, *hold)
            holds = [hold]
    for ledger in line.ledgers:
        ledger.billable += ledger.kept
        ledger.kept = 0
    return _unit_line(line, day, look, rate, billable_units, holds, auth_id)


def _hold_all(line: Line, holds: list[tuple[ReasonCode, str]]) -> None:
    code, detail = holds[0]
    for ledger in line.ledgers:
        own = code is ReasonCode.MISSING_SERVICE_NOTE and not ledger.event.note_id
        ledger.lose(code, ledger.kept, "no service note" if own else detail)
        for other, other_detail in holds[1:]:
            ledger.note(other, other_detail)


def _unit_line(line: Line, day: date, look: Lookup, rate: Decimal | None, billable: int,
               holds: list[tuple[ReasonCode, str]], auth_id: str | None) -> UnitLine:
    held = line.units - billable
    status = (LineStatus.BILLABLE if billable else
              LineStatus.HELD if held else LineStatus.EXCLUDED)
    return UnitLine(
        member_id=look.context.member.member_id, provider_id=line.provider_id,
        payer_id=look.context.member.payer_id, service_date=day, procedure=PROCEDURE,
        modifiers=line.modifiers, minutes=line.minutes, units=billable, held_units=held,
        status=status, event_ids=tuple(x.event.event_id for x in line.ledgers), rate=rate,
        charge=line_charge(billable, rate) if rate is not None else ZERO,
        hold_reason=holds[0][0] if held and holds else None, authorization_id=auth_id,
        auth_units=billable)


def _freeze(ledger: Ledger) -> Adjudication:
    merged: dict[ReasonCode, Reason] = {}
    for reason in ledger.reasons:
        first = merged.get(reason.code)
        merged[reason.code] = reason if first is None else Reason(
            reason.code, first.minutes + reason.minutes, first.detail)
    reasons = tuple(merged.values())
    event = ledger.event
    held = sum(r.minutes for r in reasons if r.code in HOLD_REASONS)
    if ledger.billable == 0:
        status = EventStatus.HELD if held else EventStatus.EXCLUDED
    else:
        status = EventStatus.BILLABLE if ledger.billable == event.minutes else EventStatus.PARTIAL
    modifiers = ("BC",) if event.activity.value == "benefits_counseling" else ()
    return Adjudication(event_id=event.event_id, event_version=event.version, status=status,
                        minutes=event.minutes, billable_minutes=ledger.billable, reasons=reasons,
                        procedure=PROCEDURE, modifiers=modifiers)

"""From one member's events to adjudications and unit lines (billing-rules.md section 1).

Pure and order-independent: events are sorted by date, start and id before anything is decided.
The first-64-units allowance and authorizations are counted in date-of-service order, starting
from ``context.counters`` (what was counted before the first date given), so a caller can
re-adjudicate from any date onward without the history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TypeVar

from claims.adjudication.day import (
    BC_MODIFIER_TUPLE,
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
    Activity,
    Adjudication,
    Authorization,
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
T = TypeVar("T")


@dataclass(slots=True)
class Counters:
    """Units counted so far, per provider (first-64 allowance) and per authorization."""

    by_provider: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_authorization: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def adjudicate_member(
    events: Sequence[ServiceEvent],
    context: MemberContext,
    dvr_overlap: DvrOverlapTable | None = None,
) -> MemberResult:
    """Every event's adjudication and every unit line, for the events given (any order)."""
    look = Lookup.build(context, dvr_overlap or load_dvr_overlap())
    counters = Counters()
    counters.by_provider.update(dict(context.counters.by_provider))
    counters.by_authorization.update(dict(context.counters.by_authorization))
    fees = sorted(context.fee_schedules, key=lambda f: f.effective_from, reverse=True)
    adjudications: list[Adjudication] = []
    unit_lines: list[UnitLine] = []
    for day, ledgers in _by_day(events):
        unit_lines.extend(_adjudicate_day(day, ledgers, look, counters, fees))
        adjudications.extend(map(_freeze, ledgers))
    return MemberResult(tuple(adjudications), tuple(unit_lines))


def _by_day(events: Sequence[ServiceEvent]) -> list[tuple[date, list[Ledger]]]:
    """Each date's ledgers in (start, event_id) order, dates ascending: the one order every
    later step relies on, whatever the order the events came in."""
    ledgers = sorted(
        map(Ledger.of, events), key=lambda x: (x.event.service_date, x.start, x.event.event_id)
    )
    days: dict[date, list[Ledger]] = {}
    for ledger in ledgers:
        day = ledger.event.service_date
        if day in days:
            days[day].append(ledger)
        else:
            days[day] = [ledger]
    return list(days.items())


def _adjudicate_day(
    day: date, ledgers: list[Ledger], look: Lookup, counters: Counters, fees: list[FeeSchedule]
) -> list[UnitLine]:
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
    apply_cap(lines, settings.daily_unit_cap, day)
    for line in lines:
        apply_rounding(line)
    return [_settle(line, day, look, counters, fees) for line in lines]


def _rate(fees: list[FeeSchedule], day: date, key: str) -> Decimal | None:
    # billing-rules 1.4: the rate in effect on the date of service; no rate ships as a default.
    for schedule in fees:
        if schedule.effective_from <= day:
            return schedule.rate(key)
    return None


def _holds(line: Line, look: Lookup, rate: Decimal | None) -> list[tuple[ReasonCode, str]]:
    """Line-wide holds, in the order that decides whose name the held minutes carry."""
    holds: list[tuple[ReasonCode, str]] = []
    member = look.context.member
    complete = rate is not None and member.diagnoses and member.subscriber_id
    if complete and all(x.event.note_id for x in line.ledgers):
        return holds  # the common case, without building any detail
    undocumented = [x.event.event_id for x in line.ledgers if not x.event.note_id]
    if undocumented:
        # YP630 def., Documentation: "A full service note shall be written per date of service".
        holds.append(
            (ReasonCode.MISSING_SERVICE_NOTE, f"no service note for {', '.join(undocumented)}")
        )
    if not member.diagnoses or not member.subscriber_id:
        # Attachment A: ICD-10-CM and the payer's record number are required on the 837P.
        missing = [
            n
            for n, v in (("diagnosis", member.diagnoses), ("subscriber_id", member.subscriber_id))
            if not v
        ]
        holds.append((ReasonCode.MISSING_MEMBER_DATA, f"member has no {' or '.join(missing)}"))
    if rate is None:
        holds.append(
            (
                ReasonCode.MISSING_FEE_SCHEDULE,
                f"no {line.procedure_key} rate in effect for the payer",
            )
        )
    return holds


def _authorize(line: Line, day: date, look: Lookup, counters: Counters) -> Allowance:
    """YP630 def., Utilization Management: "no prior authorization for the first 64 units ...
    Authorization for continued services must occur after the 64 units". Counts nothing."""
    auth = look.authorization_for(line.provider_id, day)
    if auth is not None:
        used = counters.by_authorization[auth.authorization_id]
        return Allowance(min(line.units, max(0, auth.units - used)), auth)
    allowance = look.context.settings.units_without_authorization
    used = counters.by_provider[line.provider_id]
    return Allowance(min(line.units, max(0, allowance - used)), None)


@dataclass(frozen=True, slots=True)
class Allowance:
    """How many of a line's units its provider may bill, and from which authorization."""

    billable: int
    authorization: Authorization | None

    def hold(self, day: date, allowance: int) -> tuple[ReasonCode, str]:
        # Details are only built for lines that are held (most are not).
        auth = self.authorization
        if auth is not None:
            return (
                ReasonCode.AUTHORIZATION_EXHAUSTED,
                f"authorization {auth.authorization_id} has {auth.units} units, all used",
            )
        return (
            ReasonCode.NO_AUTHORIZATION,
            f"the first {allowance} units are used; no authorization covers {day}",
        )


def _settle(
    line: Line, day: date, look: Lookup, counters: Counters, fees: list[FeeSchedule]
) -> UnitLine:
    rate = _rate(fees, day, line.procedure_key)
    holds = _holds(line, look, rate)
    free = look.context.settings.units_without_authorization
    auth_id, billable_units = None, 0
    if holds:
        # A held line counts nothing, but an authorization it would also lack is listed (at 0
        # minutes) so the provider sees everything missing at once.
        allowed = _authorize(line, day, look, counters)
        if allowed.billable < line.units:
            holds.append(allowed.hold(day, free))
        _hold_all(line, holds)
    elif line.units:
        allowed = _authorize(line, day, look, counters)
        billable_units = allowed.billable
        counters.by_provider[line.provider_id] += billable_units
        if allowed.authorization is not None:
            auth_id = allowed.authorization.authorization_id
            counters.by_authorization[auth_id] += billable_units
        if billable_units < line.units:
            hold = allowed.hold(day, free)
            kept = sum(x.kept for x in line.ledgers)
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


def _unit_line(
    line: Line,
    day: date,
    look: Lookup,
    rate: Decimal | None,
    billable: int,
    holds: list[tuple[ReasonCode, str]],
    auth_id: str | None,
) -> UnitLine:
    held = line.units - billable
    status = LineStatus.BILLABLE if billable else LineStatus.HELD if held else LineStatus.EXCLUDED
    member = look.context.member
    return _unit_line_value(
        member.member_id,
        line.provider_id,
        member.payer_id,
        day,
        PROCEDURE,
        line.modifiers,
        line.minutes,
        billable,
        held,
        status,
        tuple([x.event.event_id for x in line.ledgers]),
        rate,
        _charge(billable, rate) if rate is not None else ZERO,
        holds[0][0] if held and holds else None,
        auth_id,
        billable,
    )


def _slot_builder(cls: type[T]) -> Callable[..., T]:
    """Build a frozen slotted model value from its field values in declaration order, setting
    each slot through its descriptor: what the frozen dataclass ``__init__`` does (through
    ``object.__setattr__``) at half the cost, on the engine's two per-event/per-line values.
    Only for classes with no ``__post_init__`` and no defaults left unset."""
    setters = [getattr(cls, name).__set__ for name in cls.__dataclass_fields__]  # type: ignore[attr-defined]

    def build(*values: object) -> T:
        value = object.__new__(cls)
        for setter, item in zip(setters, values, strict=True):
            setter(value, item)
        return value

    return build


_adjudication = _slot_builder(Adjudication)
_unit_line_value = _slot_builder(UnitLine)


@lru_cache(maxsize=4096)
def _charge(units: int, rate: Decimal) -> Decimal:
    # A caseload has few distinct rates and unit counts: the Decimal arithmetic is done once.
    return line_charge(units, rate)


def _freeze(ledger: Ledger) -> Adjudication:
    event = ledger.event
    modifiers = BC_MODIFIER_TUPLE if event.activity is Activity.BENEFITS_COUNSELING else ()
    minutes, billable = ledger.end - ledger.start, ledger.billable
    if not ledger.reasons:  # the common case: every minute billed
        return _adjudication(
            event.event_id,
            event.version,
            EventStatus.BILLABLE,
            minutes,
            billable,
            (),
            PROCEDURE,
            modifiers,
        )
    reasons = _merged(ledger.reasons)
    if billable == 0:
        held = any(r.minutes for r in reasons if r.code in HOLD_REASONS)
        status = EventStatus.HELD if held else EventStatus.EXCLUDED
    else:
        status = EventStatus.BILLABLE if billable == minutes else EventStatus.PARTIAL
    return _adjudication(
        event.event_id, event.version, status, minutes, billable, reasons, PROCEDURE, modifiers
    )


def _merged(reasons: list[Reason]) -> tuple[Reason, ...]:
    """One Reason per code on an event, minutes summed, the first detail kept."""
    if len(reasons) == 1:
        return (reasons[0],)
    merged: dict[ReasonCode, Reason] = {}
    for reason in reasons:
        first = merged.get(reason.code)
        merged[reason.code] = (
            reason
            if first is None
            else Reason(reason.code, first.minutes + reason.minutes, first.detail)
        )
    return tuple(merged.values())

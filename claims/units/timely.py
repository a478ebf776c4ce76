"""Timely filing, applied by the claims stage when a line would first be claimed (billing-rules
1.2: "date of service older than profile.timely_filing_days ... when the line would first be
claimed" -> ``timely_filing_expired`` [excluded]).

The engine itself never reads a clock; the claims stage passes ``today``.
"""

from __future__ import annotations

from datetime import date, timedelta

from msgspec.structs import replace

from claims.model import (
    HOLD_REASONS,
    Adjudication,
    EventStatus,
    LineStatus,
    MemberResult,
    Reason,
    ReasonCode,
    RuleSettings,
    UnitLine,
)
from claims.money import to_money


def filing_deadline_passed(service_date: date, today: date, settings: RuleSettings) -> bool:
    """LME-MCO timely filing: the date of service is older than timely_filing_days."""
    return service_date < today - timedelta(days=settings.timely_filing_days)


def apply_timely_filing(line: UnitLine, today: date, settings: RuleSettings) -> UnitLine:
    """A billable line past the deadline becomes excluded with no units left to bill.

    Held lines are left alone (they are not being claimed); once billable they meet this check.
    ``auth_units`` and ``authorization_id`` stay: the service was delivered and still used the
    allowance, and keeping them leaves the counts of later dates unchanged.
    """
    if line.status is not LineStatus.BILLABLE:
        return line
    if not filing_deadline_passed(line.service_date, today, settings):
        return line
    return replace(
        line,
        units=0,
        held_units=0,
        charge=to_money(0),
        status=LineStatus.EXCLUDED,
        hold_reason=ReasonCode.TIMELY_FILING_EXPIRED,
    )


def expire_adjudication(adjudication: Adjudication, today: date) -> Adjudication:
    """The per-event side of an expired line: its billable and held minutes become
    ``timely_filing_expired``; the hold reasons stay listed with 0 minutes for the record."""
    moved = adjudication.billable_minutes
    reasons: list[Reason] = []
    for reason in adjudication.reasons:
        if reason.code in HOLD_REASONS:
            moved += reason.minutes
            reasons.append(replace(reason, minutes=0))
        else:
            reasons.append(reason)
    if moved == 0:
        return adjudication
    detail = f"timely filing ran out before {today.isoformat()}"
    reasons.append(Reason(ReasonCode.TIMELY_FILING_EXPIRED, moved, detail))
    return replace(
        adjudication, billable_minutes=0, reasons=tuple(reasons), status=EventStatus.EXCLUDED
    )


def apply_timely_filing_to_result(
    result: MemberResult, today: date, settings: RuleSettings
) -> MemberResult:
    """Expire every billable line past the deadline, and the events on those lines."""
    lines = tuple(apply_timely_filing(line, today, settings) for line in result.lines)
    expired = {
        event_id
        for line in lines
        if line.hold_reason is ReasonCode.TIMELY_FILING_EXPIRED
        for event_id in line.event_ids
    }
    adjudications = tuple(
        expire_adjudication(a, today) if a.event_id in expired else a for a in result.adjudications
    )
    return MemberResult(adjudications, lines)

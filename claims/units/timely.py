"""Timely filing (docs/billing-rules.md 1.2): "date of service older than the payer's
timely_filing_days when the line would first be claimed" -> ``timely_filing_expired`` [excluded].

The rule lives here and nowhere else. A claim batch asks ``filing_cutoff`` for its payer's
cut-off on its ``today`` and marks the lines it would first claim whose date of service is
before it (one query, ``service_date < cutoff``) with ``claims.claimed.EXPIRED_LINE``;
re-adjudication keeps that verdict (``claims.claimed.line_state``) and moves the events'
minutes under the reason (``expire_adjudication``). The engine itself never reads a clock.
"""

from __future__ import annotations

from datetime import date, timedelta

from msgspec.structs import replace

from claims.model import HOLD_REASONS, Adjudication, EventStatus, Reason, ReasonCode, RuleSettings


def filing_cutoff(today: date, settings: RuleSettings) -> date:
    """The earliest date of service still in time on ``today``: a date before it is past timely
    filing. The one statement of the rule; the service turns it into its query
    (``service_date < cutoff``) and the console's preview counts with it (docs/billing-rules.md
    1.2)."""
    return today - timedelta(days=settings.timely_filing_days)


def filing_deadline_passed(service_date: date, today: date, settings: RuleSettings) -> bool:
    """LME-MCO timely filing: the date of service is older than timely_filing_days."""
    return service_date < filing_cutoff(today, settings)


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

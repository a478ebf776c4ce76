"""Timely filing, decided by the core alone (docs/billing-rules.md 1.2): the cut-off a batch
queries with, the verdict per date, the payer's own days over its profile's, the line state a
batch writes and the events' minutes it moves."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from claims.claimed import EXPIRED_LINE, ClaimHistory, line_state
from claims.model import (
    Adjudication,
    EventStatus,
    LineStatus,
    Reason,
    ReasonCode,
    RuleSettings,
)
from claims.profile import RulesProfile
from claims.units.timely import expire_adjudication, filing_cutoff, filing_deadline_passed

DAYS = st.integers(1, 3650)
DATES = st.dates(date(2000, 1, 1), date(2090, 12, 31))


@given(DATES, DATES, DAYS)
def test_a_date_is_past_filing_exactly_when_older_than_the_days(
    service_date: date, today: date, days: int
) -> None:
    settings = RuleSettings(timely_filing_days=days)
    passed = filing_deadline_passed(service_date, today, settings)
    assert passed == ((today - service_date).days > days)
    # the query's form says the same: the batch marks service_date < cutoff, nothing else
    assert passed == (service_date < filing_cutoff(today, settings))


@given(DATES, DAYS)
def test_the_cutoff_is_the_oldest_date_still_in_time(today: date, days: int) -> None:
    settings = RuleSettings(timely_filing_days=days)
    cutoff = filing_cutoff(today, settings)
    assert (today - cutoff).days == days
    assert not filing_deadline_passed(cutoff, today, settings)
    assert filing_deadline_passed(cutoff - timedelta(days=1), today, settings)


@given(DATES, DAYS, DAYS)
def test_a_later_today_or_fewer_days_never_revives_a_date(
    today: date, days: int, fewer: int
) -> None:
    fewer = min(days, fewer)
    settings = RuleSettings(timely_filing_days=days)
    assert filing_cutoff(today + timedelta(days=1), settings) > filing_cutoff(today, settings)
    assert filing_cutoff(today, RuleSettings(timely_filing_days=fewer)) >= filing_cutoff(
        today, settings
    )


def test_the_default_is_90_days() -> None:
    assert RuleSettings().timely_filing_days == 90
    assert filing_cutoff(date(2026, 3, 31), RuleSettings()) == date(2025, 12, 31)


@given(st.integers(1, 3650), st.one_of(st.none(), DAYS))
def test_the_payers_own_days_win_over_its_profiles(profile_days: int, payer: int | None) -> None:
    settings = RulesProfile(timely_filing_days=profile_days).settings(payer)
    assert settings.timely_filing_days == (payer if payer is not None else profile_days)


def test_an_expired_line_is_excluded_at_no_charge_and_stays_so() -> None:
    assert (EXPIRED_LINE.status, EXPIRED_LINE.hold_reason, EXPIRED_LINE.charge) == (
        LineStatus.EXCLUDED, ReasonCode.TIMELY_FILING_EXPIRED, Decimal("0.00"),
    )  # fmt: skip
    history = ClaimHistory(None, None, None, False, filing_expired=True)
    again = line_state(LineStatus.BILLABLE, None, 3, Decimal("19.50"), history)
    assert again == EXPIRED_LINE  # a later correction of the day does not bring it back


def _adjudication(billable: int, *reasons: Reason) -> Adjudication:
    minutes = billable + sum(r.minutes for r in reasons)
    status = EventStatus.BILLABLE if billable else EventStatus.HELD
    return Adjudication("E1", 1, status, minutes, billable, reasons)


def test_an_expired_events_billable_and_held_minutes_move_under_the_reason() -> None:
    before = _adjudication(
        15,
        Reason(ReasonCode.BELOW_UNIT_THRESHOLD, 7, "7 minutes"),
        Reason(ReasonCode.MISSING_SERVICE_NOTE, 30, "no note"),
    )
    after = expire_adjudication(before, date(2026, 6, 1))
    assert after.status is EventStatus.EXCLUDED and after.billable_minutes == 0
    assert [(r.code, r.minutes) for r in after.reasons] == [
        (ReasonCode.BELOW_UNIT_THRESHOLD, 7),
        (ReasonCode.MISSING_SERVICE_NOTE, 0),  # kept for the record, at 0 minutes
        (ReasonCode.TIMELY_FILING_EXPIRED, 45),
    ]
    assert after.minutes == before.minutes
    # the reason says when filing ran out, for the explanation a reviewer reads
    assert after.reasons[-1].detail == "timely filing ran out before 2026-06-01"


def test_an_event_with_nothing_to_bill_or_hold_is_left_as_it_was() -> None:
    before = _adjudication(0, Reason(ReasonCode.BELOW_UNIT_THRESHOLD, 7, "7 minutes"))
    before = Adjudication("E1", 1, EventStatus.EXCLUDED, 7, 0, before.reasons)
    assert expire_adjudication(before, date(2026, 6, 1)) is before


@given(st.integers(0, 600), st.integers(0, 600), st.integers(0, 600))
def test_expiry_keeps_every_minute_accounted_for(billable: int, below: int, held: int) -> None:
    before = _adjudication(
        billable,
        Reason(ReasonCode.BELOW_UNIT_THRESHOLD, below, ""),
        Reason(ReasonCode.NO_AUTHORIZATION, held, ""),
    )
    after = expire_adjudication(before, date(2026, 6, 1))
    assert after.billable_minutes + sum(r.minutes for r in after.reasons) == after.minutes
    expired = sum(r.minutes for r in after.reasons if r.code is ReasonCode.TIMELY_FILING_EXPIRED)
    assert expired == billable + held

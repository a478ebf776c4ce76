"""The DVR overlap table as data, units_for_minutes, and timely filing (billing-rules 1.1.5,
1.2, 1.3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from units_builders import DAY, MEMBER, context, ev, run

from claims.model import (
    Activity,
    EipdAuthorization,
    EventStatus,
    LineStatus,
    ReasonCode,
    Rounding,
    RuleSettings,
    StaffRole,
)
from claims.units import (
    adjudicate_member,
    apply_timely_filing,
    apply_timely_filing_to_result,
    load_dvr_overlap,
    parse_dvr_overlap,
    units_for_minutes,
)

# billing-rules.md table 1.3, transcribed.
TABLE_1_3 = {
    "3-A": {"job_search"},
    "3-B": {"job_development"},
    "3-C": {"job_development", "job_support"},
    "4": {"job_support"},
    "5-A": {"job_support"},
    "5-B": {"job_support"},
    "5-C": {"job_support"},
}


def test_packaged_table_is_table_1_3_with_epm_exempt() -> None:
    table = load_dvr_overlap()
    assert {m: {a.value for a in acts} for m, acts in table.milestones.items()} == TABLE_1_3
    assert table.state_funded_roles == frozenset({StaffRole.EPM})
    assert load_dvr_overlap() is table  # read once


@pytest.mark.parametrize(
    "text",
    [
        'state_funded_roles = ["EPM"]\n[milestones]\n"6" = ["job_support"]',
        'state_funded_roles = ["EPM"]\n[milestones]\n"3-A" = ["juggling"]',
        'state_funded_roles = ["EPM"]\n[milestones]\n"3-A" = ["job_search"]',  # six missing
        'state_funded_roles = ["CEO"]\n[milestones]\n"3-A" = ["job_search"]',
    ],
)
def test_table_rejects_unknown_milestones_activities_and_gaps(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_dvr_overlap(text)


def test_a_table_passed_in_replaces_the_packaged_one() -> None:
    wider = parse_dvr_overlap(
        'state_funded_roles = ["EPM"]\n[milestones]\n'
        + "\n".join(f'"{m}" = ["intake"]' for m in TABLE_1_3)
    )
    eipd = (EipdAuthorization("D-1", MEMBER.member_id, "P-1", "4", DAY, None),)
    ctx = context(member=replace(MEMBER, dvr_shared_case=True), eipd_authorizations=eipd)
    intake = ev("E1", activity=Activity.INTAKE)
    assert adjudicate_member([intake], ctx).adjudications[0].status is EventStatus.BILLABLE
    result = adjudicate_member([intake], ctx, dvr_overlap=wider)
    assert result.adjudications[0].reasons[0].code is ReasonCode.DVR_MILESTONE_OVERLAP


@given(st.integers(0, 24 * 60))
def test_units_for_minutes_follows_the_two_rounding_rules(minutes: int) -> None:
    mid = units_for_minutes(minutes, Rounding.MIDPOINT)
    whole = units_for_minutes(minutes, Rounding.WHOLE)
    # midpoint: the last unit needs 8 minutes; whole: every unit needs 15.
    assert mid * 15 - 7 <= minutes < mid * 15 + 8
    assert whole * 15 <= minutes < whole * 15 + 15
    assert whole <= mid <= whole + 1


TODAY = DAY + timedelta(days=120)


@pytest.mark.parametrize(("age", "expired"), [(90, False), (91, True)])
def test_timely_filing_counts_from_the_date_of_service(age: int, expired: bool) -> None:
    line = run([ev("E1", day=TODAY - timedelta(days=age))]).result.lines[0]
    after = apply_timely_filing(line, TODAY, RuleSettings())
    if not expired:
        assert after is line
        return
    assert (after.status, after.hold_reason, after.units, after.charge) == (
        LineStatus.EXCLUDED, ReasonCode.TIMELY_FILING_EXPIRED, 0, Decimal("0.00"),
    )  # fmt: skip
    assert after.auth_units == line.auth_units  # the delivered units still used the allowance


def test_timely_filing_leaves_held_lines_for_later() -> None:
    line = run([ev("E1", note=None)]).result.lines[0]
    assert apply_timely_filing(line, date(2030, 1, 1), RuleSettings()) is line


def test_timely_filing_moves_the_events_minutes_under_the_reason() -> None:
    result = run([ev("E1", "09:00", "09:22"), ev("E2", "09:00", "09:30", day=TODAY)]).result
    after = apply_timely_filing_to_result(result, TODAY, RuleSettings())
    first, second = after.adjudications
    assert first.status is EventStatus.EXCLUDED and first.billable_minutes == 0
    assert {r.code: r.minutes for r in first.reasons} == {
        ReasonCode.BELOW_UNIT_THRESHOLD: 7,
        ReasonCode.TIMELY_FILING_EXPIRED: 15,
    }
    assert second == result.adjudications[1] and after.lines[1] == result.lines[1]


def test_fast_builders_make_the_same_values_as_the_constructors() -> None:
    from dataclasses import fields

    from claims.model import Adjudication, Reason, UnitLine
    from claims.units import build

    assert tuple(f.name for f in fields(Reason)) == build.REASON_FIELDS
    assert tuple(f.name for f in fields(Adjudication)) == build.ADJUDICATION_FIELDS
    assert tuple(f.name for f in fields(UnitLine)) == build.UNIT_LINE_FIELDS
    result = run([ev("E1", "09:00", "09:22"), ev("E2", "09:10", "09:40", note=None)]).result
    for adj in result.adjudications:
        rebuilt = Adjudication(*(getattr(adj, n) for n in build.ADJUDICATION_FIELDS))
        assert adj == rebuilt and hash(adj) == hash(rebuilt) and type(adj) is Adjudication
        for found in adj.reasons:
            again = Reason(*(getattr(found, n) for n in build.REASON_FIELDS))
            assert found == again and hash(found) == hash(again) and type(found) is Reason
    assert any(adj.reasons for adj in result.adjudications)  # the loop above checked some
    for line in result.lines:
        rebuilt_line = UnitLine(*(getattr(line, n) for n in build.UNIT_LINE_FIELDS))
        assert line == rebuilt_line and hash(line) == hash(rebuilt_line)

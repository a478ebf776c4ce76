"""The DVR overlap table as data and units_for_minutes (billing-rules 1.1.5, 1.3); timely
filing: test_timely.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec.structs import replace
from pydantic import ValidationError
from units_builders import DAY, MEMBER, context, ev, run

from claims.model import (
    Activity,
    EipdAuthorization,
    EventStatus,
    ReasonCode,
    Rounding,
    StaffRole,
)
from claims.units import (
    adjudicate_member,
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
    # a milestone outside the table (not an EIPD one) gives DVR no activity of the state's
    assert table.covered("6") == frozenset()


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


def test_engine_values_are_ordinary_frozen_structs() -> None:
    """What the engine emits equals (and hashes as) the same value built by hand, and cannot be
    changed in place: one kind of value (claims/model.py), nothing special about the engine's."""
    import msgspec

    from claims.model import Adjudication, Reason, UnitLine

    result = run([ev("E1", "09:00", "09:22"), ev("E2", "09:10", "09:40", note=None)]).result
    values = [*result.adjudications, *(r for a in result.adjudications for r in a.reasons),
              *result.lines]  # fmt: skip
    assert {type(v) for v in values} == {Adjudication, Reason, UnitLine}
    for value in values:
        again = type(value)(**msgspec.structs.asdict(value))
        assert value == again and hash(value) == hash(again)
        with pytest.raises(AttributeError):
            value.minutes = 0


def test_exclusions_apply_the_rules_in_the_order_of_rules() -> None:
    """Exclusions.first (day rules memoised) answers what the first applicable rule of RULES
    answers; where two rules apply, the earlier one names the reason."""
    from claims.model import Contact, Setting
    from claims.units.exclusions import RULES, Exclusions
    from claims.units.lookup import MemberLookup

    look = MemberLookup(context(), load_dvr_overlap())
    events = [
        ev("E1", activity=Activity.TRAVEL, setting=Setting.GROUP),
        ev("E2", contact=Contact.NONE, setting=Setting.GROUP),
        ev("E3", setting=Setting.GROUP),
        replace(ev("E4", contact=Contact.NONE), place_of_service="21"),
        ev("E5"),
    ]
    first = Exclusions(look).first
    found = []
    for event in events:
        applying = [f for rule in RULES if (f := rule(event, event.service_date, look)) is not None]
        answer = first(event, event.service_date)
        assert answer == (applying[0] if applying else None)
        found.append(None if answer is None else answer[0])
    assert found == [ReasonCode.NON_BILLABLE_ACTIVITY, ReasonCode.NO_DIRECT_CONTACT,
                     ReasonCode.GROUP_SETTING, ReasonCode.NO_DIRECT_CONTACT, None]  # fmt: skip

"""The YP630 units engine, one rule at a time, at each rule's edges (billing-rules.md 1).

Each test states the reason code, the status and the minutes it expects. Default context: a
member of 36 with full data, rates for YP630 and YP630:BC, midpoint rounding, cap 32, 64 units
without authorization, no fidelity review, no authorizations.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from msgspec.structs import replace
from test_units_builders import DAY, FEES, MEMBER, PAYER, RATE, ev, run

from claims.model import (
    Activity,
    Authorization,
    Contact,
    DateRange,
    EipdAuthorization,
    EventStatus,
    FeeSchedule,
    FidelityReview,
    LineStatus,
    ReasonCode,
    Rounding,
    RuleSettings,
    Setting,
    UnitCounters,
)

R = ReasonCode
BC = Activity.BENEFITS_COUNSELING


def money(units: int, rate: Decimal) -> Decimal:
    return (rate * units).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- 1.1.5 rounding -------------------------------------------------------------------------


def test_seven_minutes_make_no_unit_under_midpoint() -> None:
    out = run([ev("E1", "09:00", "09:07")])
    assert out.codes("E1") == {R.BELOW_UNIT_THRESHOLD: 7}
    assert out.adj("E1").status is EventStatus.EXCLUDED
    line = out.line()
    assert (line.units, line.held_units, line.status) == (0, 0, LineStatus.EXCLUDED)
    assert line.charge == Decimal("0.00")


def test_eight_minutes_make_one_unit_under_midpoint() -> None:
    out = run([ev("E1", "09:00", "09:08")])
    assert out.adj("E1").status is EventStatus.BILLABLE
    assert (out.adj("E1").billable_minutes, out.adj("E1").reasons) == (8, ())
    assert (out.line().units, out.line().status) == (1, LineStatus.BILLABLE)


def test_twenty_two_minutes_are_one_unit_and_seven_dropped() -> None:
    out = run([ev("E1", "09:00", "09:22")])
    assert out.codes("E1") == {R.BELOW_UNIT_THRESHOLD: 7}
    assert (out.adj("E1").billable_minutes, out.adj("E1").status) == (15, EventStatus.PARTIAL)
    assert out.line().units == 1


def test_twenty_three_minutes_round_up_to_two_units_dropping_nothing() -> None:
    out = run([ev("E1", "09:00", "09:23")])
    assert (out.adj("E1").billable_minutes, out.adj("E1").reasons) == (23, ())
    assert out.adj("E1").status is EventStatus.BILLABLE
    assert (out.line().units, out.line().minutes) == (2, 23)


@pytest.mark.parametrize(("end", "units", "dropped"), [("09:14", 0, 14), ("09:29", 1, 14)])
def test_whole_rounding_needs_full_quarter_hours(end: str, units: int, dropped: int) -> None:
    out = run([ev("E1", "09:00", end)], settings=RuleSettings(rounding=Rounding.WHOLE))
    assert out.line().units == units
    assert out.codes("E1") == {R.BELOW_UNIT_THRESHOLD: dropped}


def test_rounding_remainder_is_reported_on_the_days_last_event_of_the_line() -> None:
    out = run([ev("E2", "13:00", "13:10"), ev("E1", "09:00", "09:12")])  # 22 min: 7 dropped
    assert out.codes("E2") == {R.BELOW_UNIT_THRESHOLD: 7}
    assert out.adj("E1").reasons == ()
    assert out.line().event_ids == ("E1", "E2")


def test_rounding_remainder_spills_to_earlier_events_when_the_last_is_short() -> None:
    out = run([ev("E1", "09:00", "09:20"), ev("E2", "10:00", "10:02")])  # 22 min: 7 dropped
    assert out.codes("E2") == {R.BELOW_UNIT_THRESHOLD: 2}
    assert out.codes("E1") == {R.BELOW_UNIT_THRESHOLD: 5}
    assert out.adj("E2").status is EventStatus.EXCLUDED


# --- 1.1.3 the BC modifier ------------------------------------------------------------------


def test_benefits_counseling_is_its_own_line_with_its_own_rate() -> None:
    out = run([ev("E1", "09:00", "09:30"), ev("E2", "10:00", "10:45", activity=BC)])
    plain, bc = out.line(), out.line(modifiers=("BC",))
    assert (plain.units, plain.event_ids, plain.charge) == (2, ("E1",), money(2, RATE))
    assert (bc.units, bc.event_ids, bc.procedure_key) == (3, ("E2",), "YP630:BC")
    assert bc.charge == money(3, FEES[0].rate("YP630:BC") or Decimal(0))
    assert out.adj("E2").modifiers == ("BC",) and out.adj("E1").modifiers == ()


def test_minutes_of_two_lines_are_rounded_separately() -> None:
    out = run([ev("E1", "09:00", "09:07"), ev("E2", "10:00", "10:07", activity=BC)])
    assert out.line().units == 0 and out.line(modifiers=("BC",)).units == 0


# --- 1.1.6 daily cap ------------------------------------------------------------------------


def test_exactly_thirty_two_units_are_all_billable() -> None:
    out = run([ev("E1", "08:00", "16:00")])
    assert (out.line().units, out.adj("E1").reasons) == (32, ())


def test_the_thirty_third_unit_is_capped() -> None:
    out = run([ev("E1", "08:00", "16:15")])
    assert out.line().units == 32 and out.line().held_units == 0
    cap = out.reason("E1", R.DAILY_CAP)
    assert cap.minutes == 15 and "32 units on 2026-03-02" in cap.detail
    assert out.adj("E1").status is EventStatus.PARTIAL


def test_cap_takes_units_from_the_line_whose_minutes_came_last() -> None:
    early = ev("E1", "08:00", "14:00")  # 24 units
    late = ev("E2", "14:00", "16:30", activity=BC)  # 10 units
    out = run([late, early])
    assert out.line().units == 24 and out.line(modifiers=("BC",)).units == 8
    assert out.codes("E2") == {R.DAILY_CAP: 30} and out.adj("E1").reasons == ()


def test_cap_spills_to_earlier_lines_once_the_last_line_is_empty() -> None:
    out = run(
        [ev("E1", "08:00", "16:00"), ev("E2", "16:00", "16:30", provider="P-2", staff="ESP-2")]
    )
    assert out.line("P-2").units == 0 and out.line("P-2").status is LineStatus.EXCLUDED
    assert out.codes("E2") == {R.DAILY_CAP: 30}
    assert out.adj("E2").status is EventStatus.EXCLUDED
    assert out.line("P-1").units == 32


def test_a_capped_line_reports_its_rounding_remainder_as_daily_cap() -> None:
    # 31 units + a 37-minute line (2 units, 7 dropped) -> the late line keeps 1 unit = 15 min.
    out = run([ev("E1", "08:00", "15:45"), ev("E2", "16:00", "16:37", activity=BC)])
    assert out.line(modifiers=("BC",)).units == 1
    assert out.codes("E2") == {R.DAILY_CAP: 22}


# --- 1.1.4 overlap --------------------------------------------------------------------------


def test_overlap_stays_on_the_earlier_starting_event() -> None:
    out = run([ev("E2", "09:15", "10:00"), ev("E1", "09:00", "09:30")])
    overlap = out.reason("E2", R.OVERLAPPING_TIME)
    assert (overlap.minutes, overlap.detail) == (15, "overlaps event E1")
    assert out.adj("E2").status is EventStatus.PARTIAL and out.adj("E1").reasons == ()
    assert out.line().minutes == 60 and out.line().units == 4


def test_overlap_tie_on_start_keeps_the_lower_event_id() -> None:
    out = run([ev("E9", "09:00", "09:30"), ev("E10", "09:00", "09:45")])  # "E10" < "E9"
    assert out.adj("E10").reasons == ()
    assert out.codes("E9") == {R.OVERLAPPING_TIME: 30}
    assert out.adj("E9").status is EventStatus.EXCLUDED
    assert out.line().event_ids == ("E10",)


def test_overlap_chain_loses_only_minutes_not_yet_covered() -> None:
    out = run([ev("E1", "09:00", "10:00"), ev("E2", "09:30", "10:30"), ev("E3", "10:15", "11:00")])
    assert out.codes("E2") == {R.OVERLAPPING_TIME: 30}
    assert out.codes("E3") == {R.OVERLAPPING_TIME: 15}
    assert out.reason("E3", R.OVERLAPPING_TIME).detail == "overlaps event E2"
    assert out.line().minutes == 120


def test_an_event_inside_the_union_of_two_earlier_ones_loses_everything() -> None:
    out = run([ev("E1", "09:00", "10:00"), ev("E2", "09:50", "10:30"), ev("E3", "09:55", "10:20")])
    assert out.codes("E3") == {R.OVERLAPPING_TIME: 25}
    assert out.reason("E3", R.OVERLAPPING_TIME).detail == "overlaps event E1, E2"
    assert out.adj("E3").status is EventStatus.EXCLUDED


def test_overlap_counts_across_providers() -> None:
    other = ev("E2", "09:00", "09:30", provider="P-2", staff="ESP-2")
    out = run([other, ev("E1", "09:00", "09:30")])
    assert out.codes("E2") == {R.OVERLAPPING_TIME: 30}
    assert [line.provider_id for line in out.result.lines] == ["P-1"]


def test_an_excluded_event_takes_no_minutes_from_an_overlapping_one() -> None:
    out = run([ev("E1", "09:00", "09:30", setting=Setting.GROUP), ev("E2", "09:10", "09:40")])
    assert out.codes("E1") == {R.GROUP_SETTING: 30}
    assert out.adj("E2").reasons == () and out.line().event_ids == ("E2",)


# --- 1.1.2 and 1.2 whole-event exclusions ----------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"activity": Activity.TRAVEL}, R.NON_BILLABLE_ACTIVITY),
        ({"activity": Activity.DOCUMENTATION}, R.NON_BILLABLE_ACTIVITY),
        ({"contact": Contact.NONE}, R.NO_DIRECT_CONTACT),
        ({"setting": Setting.GROUP}, R.GROUP_SETTING),
        ({"voided": True}, R.VOIDED),
        # first match wins: one reason for all the minutes
        ({"activity": Activity.TEAM_MEETING, "setting": Setting.GROUP}, R.NON_BILLABLE_ACTIVITY),
        ({"contact": Contact.NONE, "setting": Setting.GROUP}, R.NO_DIRECT_CONTACT),
    ],
)
def test_event_level_exclusions(changes: dict[str, Any], code: ReasonCode) -> None:
    event = replace(ev("E1", "09:00", "09:40"), **changes)
    out = run([event])
    assert out.codes("E1") == {code: 40}
    assert out.adj("E1").status is EventStatus.EXCLUDED
    assert out.result.lines == ()


def test_member_reaches_sixteen_on_the_birthday() -> None:
    young = replace(MEMBER, birth_date=date(2010, 3, 2))
    out = run([ev("E1", day=date(2026, 3, 1)), ev("E2", day=date(2026, 3, 2))], member=young)
    assert out.codes("E1") == {R.MEMBER_UNDER_16: 30}
    assert out.adj("E2").status is EventStatus.BILLABLE


def test_act_enrollment_excludes_the_covered_dates_only() -> None:
    act = replace(MEMBER, act_periods=(DateRange(DAY, DAY),))
    out = run([ev("E1"), ev("E2", day=DAY + timedelta(days=1))], member=act)
    assert out.codes("E1") == {R.ACT_ENROLLMENT: 30}
    assert out.adj("E2").status is EventStatus.BILLABLE


def test_another_providers_authorization_excludes_this_provider() -> None:
    auth = Authorization("A-2", MEMBER.member_id, "P-2", PAYER, DAY, DAY, 100)
    out = run([ev("E1"), ev("E2", "10:00", "10:30", provider="P-2", staff="ESP-2")],
              authorizations=(auth,))  # fmt: skip
    assert out.codes("E1") == {R.OTHER_PROVIDER_AUTHORIZED: 30}
    assert "A-2" in out.reason("E1", R.OTHER_PROVIDER_AUTHORIZED).detail
    assert out.adj("E2").status is EventStatus.BILLABLE
    assert out.line("P-2").authorization_id == "A-2"


@pytest.mark.parametrize(
    ("score", "report", "excluded"),
    [(73, DAY, True), (74, DAY, False), (60, DAY + timedelta(days=1), False)],
)
def test_fidelity_review_in_force_from_its_final_report(
    score: int, report: date, excluded: bool
) -> None:
    review = FidelityReview("P-1", "FR-1", score, report)
    out = run([ev("E1")], fidelity_reviews=(review,))
    if excluded:
        assert out.codes("E1") == {R.FIDELITY_BELOW_MINIMUM: 30}
    else:
        assert out.adj("E1").status is EventStatus.BILLABLE


def test_the_latest_review_replaces_an_earlier_low_one() -> None:
    reviews = (
        FidelityReview("P-1", "FR-2", 90, DAY - timedelta(days=10)),
        FidelityReview("P-1", "FR-1", 60, DAY - timedelta(days=400)),
        FidelityReview("P-2", "FR-9", 50, DAY - timedelta(days=5)),  # another provider's
    )
    out = run([ev("E1"), ev("E0", day=DAY - timedelta(days=30))], fidelity_reviews=reviews)
    assert out.adj("E1").status is EventStatus.BILLABLE
    assert out.codes("E0") == {R.FIDELITY_BELOW_MINIMUM: 30}


DVR_CASE = replace(MEMBER, dvr_shared_case=True)
EIPD_3A = EipdAuthorization("D-1", MEMBER.member_id, "P-1", "3-A", DAY, None)


def test_dvr_milestone_overlap_excludes_esp_time_on_a_covered_activity() -> None:
    out = run([ev("E1", staff="ESP-1")], member=DVR_CASE, eipd_authorizations=(EIPD_3A,))
    assert out.codes("E1") == {R.DVR_MILESTONE_OVERLAP: 30}
    assert out.adj("E1").status is EventStatus.EXCLUDED


def test_dvr_milestone_overlap_leaves_epm_time_state_funded() -> None:
    out = run([ev("E1", staff="EPM-1")], member=DVR_CASE, eipd_authorizations=(EIPD_3A,))
    assert out.adj("E1").status is EventStatus.BILLABLE


@pytest.mark.parametrize("activity", [Activity.INTAKE, Activity.JOB_SUPPORT, BC])
def test_dvr_milestone_overlap_leaves_activities_the_milestone_does_not_cover(
    activity: Activity,
) -> None:
    out = run([ev("E1", activity=activity)], member=DVR_CASE, eipd_authorizations=(EIPD_3A,))
    assert out.adj("E1").status is EventStatus.BILLABLE


def test_dvr_milestone_overlap_needs_a_shared_case_and_an_open_milestone() -> None:
    closed = replace(EIPD_3A, start_date=DAY - timedelta(days=9), end_date=DAY - timedelta(days=1))
    assert run([ev("E1")], eipd_authorizations=(EIPD_3A,)).adj("E1").reasons == ()
    assert run([ev("E1")], member=DVR_CASE, eipd_authorizations=(closed,)).adj("E1").reasons == ()


# --- 1.2 holds ------------------------------------------------------------------------------


def test_missing_note_holds_the_whole_line_and_names_the_undocumented_event() -> None:
    out = run([ev("E1", "09:00", "09:30", note=None), ev("E2", "10:00", "10:30")])
    assert (out.reason("E1", R.MISSING_SERVICE_NOTE).minutes, out.adj("E1").status) == (
        30,
        EventStatus.HELD,
    )
    assert out.reason("E1", R.MISSING_SERVICE_NOTE).detail == "no service note"
    assert out.reason("E2", R.MISSING_SERVICE_NOTE).detail == "no service note on event E1"
    assert out.adj("E2").status is EventStatus.HELD
    line = out.line()
    assert (line.units, line.held_units, line.status) == (0, 4, LineStatus.HELD)
    assert (line.hold_reason, line.charge, line.auth_units) == (
        R.MISSING_SERVICE_NOTE,
        Decimal("0.00"),
        0,
    )


def test_a_note_arriving_later_makes_the_line_billable() -> None:
    held = run([ev("E1", note=None)])
    assert held.line().status is LineStatus.HELD
    now = run([ev("E1", note="N-7")])
    assert now.line().status is LineStatus.BILLABLE and now.line().units == 2
    assert now.adj("E1").reasons == ()


def test_a_missing_note_holds_only_its_own_line() -> None:
    out = run([ev("E1", note=None), ev("E2", "10:00", "10:30", activity=BC)])
    assert out.line().status is LineStatus.HELD
    assert out.line(modifiers=("BC",)).status is LineStatus.BILLABLE


def test_missing_member_data_holds_and_lists_behind_a_missing_note() -> None:
    bare = replace(MEMBER, diagnoses=())
    out = run([ev("E1", note=None)], member=bare)
    assert out.codes("E1") == {R.MISSING_SERVICE_NOTE: 30, R.MISSING_MEMBER_DATA: 0}
    assert out.line().hold_reason is R.MISSING_SERVICE_NOTE
    no_subscriber = run([ev("E1")], member=replace(MEMBER, subscriber_id=None))
    assert no_subscriber.codes("E1") == {R.MISSING_MEMBER_DATA: 30}
    assert no_subscriber.line().hold_reason is R.MISSING_MEMBER_DATA


def test_missing_fee_schedule_holds_the_line_without_a_rate() -> None:
    plain_only = (FeeSchedule(PAYER, date(2020, 1, 1), (("YP630", RATE),)),)
    out = run([ev("E1"), ev("E2", "10:00", "10:30", activity=BC)], fee_schedules=plain_only)
    bc = out.line(modifiers=("BC",))
    assert (bc.status, bc.hold_reason, bc.rate, bc.charge) == (
        LineStatus.HELD, R.MISSING_FEE_SCHEDULE, None, Decimal("0.00"),
    )  # fmt: skip
    assert out.codes("E2") == {R.MISSING_FEE_SCHEDULE: 30}
    assert out.line().status is LineStatus.BILLABLE


def test_the_schedule_in_effect_is_the_latest_started_and_never_falls_back() -> None:
    newer = FeeSchedule(PAYER, DAY, (("YP630:BC", Decimal("40.00")),))
    future = FeeSchedule(PAYER, DAY + timedelta(days=1), (("YP630", Decimal("99.00")),))
    out = run([ev("E1"), ev("E2", "10:00", "10:30", activity=BC)],
              fee_schedules=(future, newer, *FEES))  # fmt: skip
    assert out.line(modifiers=("BC",)).rate == Decimal("40.00")
    assert out.line().hold_reason is R.MISSING_FEE_SCHEDULE


# --- 1.2 the first 64 units and authorizations ----------------------------------------------


def counted(units: int, by_auth: tuple[tuple[str, int], ...] = ()) -> UnitCounters:
    return UnitCounters(by_provider=(("P-1", units),), by_authorization=by_auth)


def test_the_sixty_fourth_unit_needs_no_authorization() -> None:
    out = run([ev("E1", "09:00", "11:00")], counters=counted(56))  # 8 units -> 64
    assert (out.line().units, out.line().auth_units, out.line().status) == (
        8,
        8,
        LineStatus.BILLABLE,
    )


def test_the_sixty_fifth_unit_is_held_without_authorization() -> None:
    out = run([ev("E1", "09:00", "09:15")], counters=counted(64))
    assert out.codes("E1") == {R.NO_AUTHORIZATION: 15}
    line = out.line()
    assert (line.units, line.held_units, line.status, line.hold_reason) == (
        0, 1, LineStatus.HELD, R.NO_AUTHORIZATION,
    )  # fmt: skip


def test_a_line_crossing_sixty_four_is_partly_held_from_its_latest_events() -> None:
    events = [ev("E1", "09:00", "10:00"), ev("E2", "13:00", "13:52")]  # 112 min -> 7 units
    out = run(events, counters=counted(60))
    line = out.line()
    assert (line.units, line.held_units, line.auth_units) == (4, 3, 4)
    assert line.charge == money(4, RATE) and line.status is LineStatus.BILLABLE
    # 7 min dropped by rounding; 4 units = 60 billable minutes; the other 45 wait, from E2 first.
    assert out.codes("E2") == {R.BELOW_UNIT_THRESHOLD: 7, R.NO_AUTHORIZATION: 45}
    assert out.adj("E1").billable_minutes == 60 and out.adj("E2").status is EventStatus.HELD


def test_first_64_units_are_counted_in_date_order_whatever_the_input_order() -> None:
    days = [DAY + timedelta(days=n) for n in range(3)]
    events = [ev(f"E{n}", "08:00", "16:00", day=d) for n, d in enumerate(days)]
    out = run(list(reversed(events)))
    assert [out.line(day=d).units for d in days] == [32, 32, 0]
    assert out.line(day=days[2]).hold_reason is R.NO_AUTHORIZATION


def test_lines_held_for_a_note_do_not_use_the_allowance() -> None:
    days = [DAY + timedelta(days=n) for n in range(3)]
    events = [
        ev(f"E{n}", "08:00", "16:00", day=d, note=None if n == 0 else "N")
        for n, d in enumerate(days)
    ]
    out = run(events)
    assert [out.line(day=d).units for d in days] == [0, 32, 32]


def test_the_allowance_is_per_provider() -> None:
    out = run([ev("E1"), ev("E2", "10:00", "10:30", provider="P-2", staff="ESP-2")],
              counters=counted(64))  # fmt: skip
    assert out.line("P-1").status is LineStatus.HELD
    assert out.line("P-2").status is LineStatus.BILLABLE


def test_an_authorization_arriving_later_releases_held_units() -> None:
    held = run([ev("E1")], counters=counted(70))
    assert held.line().hold_reason is R.NO_AUTHORIZATION
    auth = Authorization("A-1", MEMBER.member_id, "P-1", PAYER, DAY, DAY + timedelta(days=90), 120)
    out = run([ev("E1")], counters=counted(70), authorizations=(auth,))
    line = out.line()
    assert (line.units, line.authorization_id, line.auth_units, line.status) == (
        2, "A-1", 2, LineStatus.BILLABLE,
    )  # fmt: skip


def test_an_exhausted_authorization_holds_the_units_beyond_it() -> None:
    auth = Authorization("A-1", MEMBER.member_id, "P-1", PAYER, DAY, DAY, 5)
    out = run([ev("E1", "09:00", "10:00")], authorizations=(auth,),
              counters=counted(80, (("A-1", 3),)))  # fmt: skip
    line = out.line()
    assert (line.units, line.held_units, line.hold_reason) == (2, 2, R.AUTHORIZATION_EXHAUSTED)
    assert out.codes("E1") == {R.AUTHORIZATION_EXHAUSTED: 30}
    assert "A-1" in out.reason("E1", R.AUTHORIZATION_EXHAUSTED).detail


def test_authorization_holds_are_listed_behind_a_missing_note() -> None:
    out = run([ev("E1", note=None)], counters=counted(64))
    assert out.codes("E1") == {R.MISSING_SERVICE_NOTE: 30, R.NO_AUTHORIZATION: 0}
    assert out.line().held_units == 2 and out.line().hold_reason is R.MISSING_SERVICE_NOTE

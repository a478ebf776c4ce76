"""One test per YP630 rule (billing-rules.md section 1) at its edges, through the public engine.

Each test asserts the reason code, the status and the minutes an event or line ends with. The
values are derived from the rule in the test (e.g. 23 minutes, midpoint: floor(30 / 15) = 2).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from msgspec.structs import replace

from claims.model import (
    NON_BILLABLE_ACTIVITIES,
    Activity,
    Adjudication,
    Authorization,
    Contact,
    DateRange,
    EipdAuthorization,
    EventStatus,
    FeeSchedule,
    FidelityReview,
    LineStatus,
    Member,
    MemberContext,
    MemberResult,
    ReasonCode,
    Rounding,
    RuleSettings,
    ServiceEvent,
    Setting,
    Staff,
    StaffRole,
    UnitCounters,
    UnitLine,
)
from claims.units import adjudicate_member, units_for_minutes

DAY = date(2026, 3, 2)
RATE = Decimal("8.75")
BC_RATE = Decimal("11.40")
MEMBER = Member("M1", "PAYER", date(1990, 5, 17), subscriber_id="SUB1", diagnoses=("F20.9",))
STAFF = (
    Staff("P1", "ESP1", StaffRole.ESP),
    Staff("P1", "EPM1", StaffRole.EPM),
    Staff("P2", "ESP2", StaffRole.ESP),
)
FEES = (FeeSchedule("PAYER", date(2026, 1, 1), (("YP630", RATE), ("YP630:BC", BC_RATE))),)


def hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def ev(
    event_id: str,
    start: str = "09:00",
    end: str = "10:00",
    *,
    day: date = DAY,
    provider: str = "P1",
    staff: str = "ESP1",
    activity: Activity = Activity.JOB_SEARCH,
    contact: Contact = Contact.IN_PERSON,
    setting: Setting = Setting.INDIVIDUAL,
    note: bool = True,
    voided: bool = False,
) -> ServiceEvent:
    return ServiceEvent(
        event_id,
        "M1",
        provider,
        staff,
        day,
        hm(start),
        hm(end),
        activity,
        contact,
        setting,
        note_id=f"N-{event_id}" if note else None,
        voided=voided,
    )


def ctx(**changes: object) -> MemberContext:
    base = MemberContext(member=MEMBER, settings=RuleSettings(), staff=STAFF, fee_schedules=FEES)
    return replace(base, **changes)  # type: ignore[arg-type]


def run(events: list[ServiceEvent], context: MemberContext | None = None) -> MemberResult:
    return adjudicate_member(events, context or ctx())


def adj(result: MemberResult, event_id: str) -> Adjudication:
    (found,) = [a for a in result.adjudications if a.event_id == event_id]
    return found


def minutes_by_code(result: MemberResult, event_id: str) -> dict[ReasonCode, int]:
    return {r.code: r.minutes for r in adj(result, event_id).reasons}


def line(
    result: MemberResult, provider: str = "P1", modifiers: tuple[str, ...] = (), day: date = DAY
) -> UnitLine:
    (found,) = [
        x
        for x in result.lines
        if (x.provider_id, x.modifiers, x.service_date) == (provider, modifiers, day)
    ]
    return found


def assert_excluded(result: MemberResult, event_id: str, code: ReasonCode) -> None:
    found = adj(result, event_id)
    assert found.status is EventStatus.EXCLUDED
    assert found.billable_minutes == 0
    assert [(r.code, r.minutes) for r in found.reasons] == [(code, found.minutes)]


def assert_billable(result: MemberResult, event_id: str) -> None:
    found = adj(result, event_id)
    assert found.status is EventStatus.BILLABLE
    assert found.billable_minutes == found.minutes
    assert found.reasons == ()


# --- 1.1.1 minutes, 1.4 money ------------------------------------------------------------------


def test_minutes_are_end_minus_start_and_charge_is_units_times_rate() -> None:
    result = run([ev("E1", "09:10", "09:55")])
    assert adj(result, "E1").minutes == 45
    assert_billable(result, "E1")
    only = line(result)
    assert (only.units, only.held_units, only.status) == (3, 0, LineStatus.BILLABLE)
    assert only.rate == RATE and only.charge == Decimal("26.25")
    assert only.procedure == "YP630" and only.modifiers == ()


# --- 1.1.2 not direct service ------------------------------------------------------------------


@pytest.mark.parametrize("activity", sorted(NON_BILLABLE_ACTIVITIES))
def test_non_billable_activity_excludes_every_minute(activity: Activity) -> None:
    result = run([ev("E1", activity=activity)])
    assert_excluded(result, "E1", ReasonCode.NON_BILLABLE_ACTIVITY)
    assert result.lines == ()


def test_no_direct_contact_excludes() -> None:
    result = run([ev("E1", contact=Contact.NONE)])
    assert_excluded(result, "E1", ReasonCode.NO_DIRECT_CONTACT)


@pytest.mark.parametrize("contact", [Contact.PHONE, Contact.VIDEO])
def test_remote_contact_is_direct_service(contact: Contact) -> None:
    assert_billable(run([ev("E1", contact=contact)]), "E1")


def test_group_setting_excludes() -> None:
    result = run([ev("E1", setting=Setting.GROUP)])
    assert_excluded(result, "E1", ReasonCode.GROUP_SETTING)


def test_first_matching_exclusion_names_all_the_minutes() -> None:
    # Travel, no contact, in a group, under 16: one reason only, the first in rule order.
    young = ctx(member=replace(MEMBER, birth_date=date(2015, 1, 1)))
    result = run(
        [ev("E1", activity=Activity.TRAVEL, contact=Contact.NONE, setting=Setting.GROUP)], young
    )
    assert_excluded(result, "E1", ReasonCode.NON_BILLABLE_ACTIVITY)
    result = run([ev("E1", contact=Contact.NONE, setting=Setting.GROUP)], young)
    assert_excluded(result, "E1", ReasonCode.NO_DIRECT_CONTACT)


def test_excluded_event_takes_no_minutes_from_an_overlapping_one() -> None:
    result = run(
        [ev("E1", "09:00", "10:00", activity=Activity.TEAM_MEETING), ev("E2", "09:30", "10:00")]
    )
    assert_excluded(result, "E1", ReasonCode.NON_BILLABLE_ACTIVITY)
    assert_billable(result, "E2")
    assert line(result).units == 2


# --- 1.1.3 benefits counseling: modifier BC, its own line --------------------------------------


def test_benefits_counseling_is_a_separate_bc_line() -> None:
    result = run(
        [
            ev("E1", "09:00", "09:23"),
            ev("E2", "10:00", "10:23", activity=Activity.BENEFITS_COUNSELING),
        ]
    )
    plain, bc = line(result), line(result, modifiers=("BC",))
    # 23 minutes each, 2 units each; one 46-minute line would have made floor(53 / 15) = 3.
    assert (plain.units, plain.event_ids, plain.rate) == (2, ("E1",), RATE)
    assert (bc.units, bc.event_ids, bc.rate, bc.charge) == (2, ("E2",), BC_RATE, Decimal("22.80"))
    assert adj(result, "E2").modifiers == ("BC",) and adj(result, "E1").modifiers == ()
    assert_billable(result, "E1")
    assert_billable(result, "E2")


def test_lines_are_per_provider() -> None:
    result = run(
        [ev("E1", "09:00", "09:23"), ev("E2", "10:00", "10:23", provider="P2", staff="ESP2")]
    )
    assert line(result, "P1").units == 2 and line(result, "P2").units == 2


# --- 1.1.4 overlap -----------------------------------------------------------------------------


def test_overlap_is_kept_by_the_earlier_starting_event() -> None:
    result = run([ev("E2", "09:30", "10:30"), ev("E1", "09:00", "10:00")])
    assert_billable(result, "E1")
    later = adj(result, "E2")
    assert later.status is EventStatus.PARTIAL
    assert (later.billable_minutes, minutes_by_code(result, "E2")) == (
        30,
        {ReasonCode.OVERLAPPING_TIME: 30},
    )
    assert "E1" in later.reasons[0].detail
    assert line(result).minutes == 90 and line(result).units == 6


def test_overlap_tie_on_start_goes_to_the_lower_event_id() -> None:
    result = run([ev("E9", "09:00", "09:45"), ev("E10", "09:00", "09:30")])
    # "E10" < "E9" as strings: E10 keeps its 30 minutes, E9 loses them.
    assert_billable(result, "E10")
    assert minutes_by_code(result, "E9") == {ReasonCode.OVERLAPPING_TIME: 30}
    assert adj(result, "E9").billable_minutes == 15


def test_fully_covered_duplicate_loses_all_its_minutes() -> None:
    result = run([ev("E1", "09:00", "10:00"), ev("E2", "09:15", "09:45")])
    dup = adj(result, "E2")
    assert dup.status is EventStatus.EXCLUDED and dup.billable_minutes == 0
    assert minutes_by_code(result, "E2") == {ReasonCode.OVERLAPPING_TIME: 30}
    assert line(result).event_ids == ("E1",)


def test_overlap_chain_loses_the_union_of_covered_minutes() -> None:
    # E1 09:00-10:00, E2 09:30-10:30, E3 09:45-11:00: E3 is covered 09:45-10:30 (45 minutes,
    # once, though both E1 and E2 cover 09:45-10:00).
    result = run(
        [ev("E1", "09:00", "10:00"), ev("E2", "09:30", "10:30"), ev("E3", "09:45", "11:00")]
    )
    assert minutes_by_code(result, "E2") == {ReasonCode.OVERLAPPING_TIME: 30}
    assert minutes_by_code(result, "E3") == {ReasonCode.OVERLAPPING_TIME: 45}
    assert adj(result, "E3").billable_minutes == 30
    assert line(result).minutes == 120 and line(result).units == 8


def test_overlap_with_a_gap_in_the_chain() -> None:
    # E3 spans E1 and E2 with a gap 10:00-10:30 between them: it keeps only the gap and its tail.
    result = run(
        [ev("E1", "09:00", "10:00"), ev("E2", "10:30", "11:00"), ev("E3", "09:30", "11:15")]
    )
    # E3 starts at 09:30, after E1 and before E2: E2 (10:30) starts later, so E2 is the one
    # that loses 10:30-11:00 to E3; E3 loses 09:30-10:00 to E1.
    assert minutes_by_code(result, "E3") == {ReasonCode.OVERLAPPING_TIME: 30}
    assert minutes_by_code(result, "E2") == {ReasonCode.OVERLAPPING_TIME: 30}
    assert adj(result, "E2").status is EventStatus.EXCLUDED


def test_overlap_counts_across_providers() -> None:
    result = run(
        [ev("E1", "09:00", "10:00"), ev("E2", "09:00", "10:00", provider="P2", staff="ESP2")]
    )
    assert_billable(result, "E1")
    assert minutes_by_code(result, "E2") == {ReasonCode.OVERLAPPING_TIME: 60}
    assert [x.provider_id for x in result.lines] == ["P1"]


# --- 1.1.5 rounding ----------------------------------------------------------------------------


def test_seven_minutes_make_no_unit() -> None:
    result = run([ev("E1", "09:00", "09:07")])
    found = adj(result, "E1")
    assert found.status is EventStatus.EXCLUDED
    assert minutes_by_code(result, "E1") == {ReasonCode.BELOW_UNIT_THRESHOLD: 7}
    only = line(result)
    assert (only.units, only.held_units, only.status, only.charge) == (
        0,
        0,
        LineStatus.EXCLUDED,
        Decimal("0.00"),
    )


def test_eight_minutes_make_one_unit() -> None:
    result = run([ev("E1", "09:00", "09:08")])
    assert_billable(result, "E1")
    assert (line(result).units, line(result).status) == (1, LineStatus.BILLABLE)


def test_twenty_two_minutes_make_one_unit_and_drop_seven() -> None:
    result = run([ev("E1", "09:00", "09:22")])
    found = adj(result, "E1")
    assert (found.status, found.billable_minutes) == (EventStatus.PARTIAL, 15)
    assert minutes_by_code(result, "E1") == {ReasonCode.BELOW_UNIT_THRESHOLD: 7}
    assert line(result).units == 1


def test_twenty_three_minutes_round_up_to_two_units_dropping_nothing() -> None:
    result = run([ev("E1", "09:00", "09:23")])
    assert_billable(result, "E1")
    assert line(result).units == 2 and line(result).charge == Decimal("17.50")


@pytest.mark.parametrize(("minutes", "units"), [(7, 0), (8, 0), (14, 0), (15, 1), (29, 1), (30, 2)])
def test_whole_rounding_counts_whole_quarter_hours(minutes: int, units: int) -> None:
    whole = ctx(settings=RuleSettings(rounding=Rounding.WHOLE))
    end = f"{9 + minutes // 60:02d}:{minutes % 60:02d}"
    result = run([ev("E1", "09:00", end)], whole)
    assert line(result).units == units == units_for_minutes(minutes, Rounding.WHOLE)
    dropped = minutes - units * 15
    assert adj(result, "E1").billable_minutes == units * 15
    assert minutes_by_code(result, "E1") == (
        {ReasonCode.BELOW_UNIT_THRESHOLD: dropped} if dropped else {}
    )


def test_units_come_from_the_days_total_and_the_drop_from_the_last_event() -> None:
    # 5 + 5 minutes: no unit each, one unit together (10 -> floor(17 / 15) = 1), 0 dropped.
    result = run([ev("E1", "09:00", "09:05"), ev("E2", "14:00", "14:05")])
    assert line(result).units == 1 and line(result).minutes == 10
    assert_billable(result, "E1")
    assert_billable(result, "E2")
    # 20 + 2 minutes: 1 unit, 7 dropped from the day's last event (E2 has only 2: 5 from E1).
    result = run([ev("E1", "09:00", "09:20"), ev("E2", "14:00", "14:02")])
    assert line(result).units == 1
    assert minutes_by_code(result, "E2") == {ReasonCode.BELOW_UNIT_THRESHOLD: 2}
    assert adj(result, "E2").status is EventStatus.EXCLUDED
    assert minutes_by_code(result, "E1") == {ReasonCode.BELOW_UNIT_THRESHOLD: 5}
    assert adj(result, "E1").billable_minutes == 15


def test_units_for_minutes_edges() -> None:
    assert [units_for_minutes(m, Rounding.MIDPOINT) for m in (0, 7, 8, 22, 23, 37, 38)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
    ]
    assert [units_for_minutes(m, Rounding.WHOLE) for m in (0, 14, 15, 29, 30)] == [0, 0, 1, 1, 2]


# --- 1.1.6 daily cap ---------------------------------------------------------------------------


def test_exactly_thirty_two_units_are_all_billable() -> None:
    result = run([ev("E1", "08:00", "12:00"), ev("E2", "13:00", "17:00")])
    assert line(result).units == 32
    assert_billable(result, "E1")
    assert_billable(result, "E2")


def test_the_thirty_third_unit_comes_off_the_last_event() -> None:
    result = run([ev("E1", "08:00", "12:00"), ev("E2", "13:00", "17:15")])
    assert (line(result).units, line(result).held_units) == (32, 0)
    assert_billable(result, "E1")
    last = adj(result, "E2")
    assert (last.status, last.billable_minutes) == (EventStatus.PARTIAL, 240)
    assert minutes_by_code(result, "E2") == {ReasonCode.DAILY_CAP: 15}
    assert "32 units on 2026-03-02" in last.reasons[0].detail


def test_cap_takes_the_rounding_remainder_too() -> None:
    # 488 minutes = 33 units (midpoint); 32 kept = 480 minutes; 8 are daily_cap, none dropped.
    result = run([ev("E1", "08:00", "16:08")])
    assert line(result).units == 32
    assert minutes_by_code(result, "E1") == {ReasonCode.DAILY_CAP: 8}


def test_cap_comes_off_the_line_whose_minutes_came_last() -> None:
    # P2's line ends last: it loses the excess (4 units), P1 keeps all of its 30.
    result = run(
        [ev("E1", "08:00", "15:30"), ev("E2", "16:00", "17:30", provider="P2", staff="ESP2")]
    )
    assert line(result, "P1").units == 30 and line(result, "P2").units == 2
    assert minutes_by_code(result, "E2") == {ReasonCode.DAILY_CAP: 60}
    assert_billable(result, "E1")


def test_cap_spills_to_the_earlier_line_when_the_last_is_used_up() -> None:
    # BC line (last, 2 units) loses everything; the plain line loses the remaining 1 unit.
    result = run(
        [
            ev("E1", "08:00", "16:15"),
            ev("E2", "17:00", "17:30", activity=Activity.BENEFITS_COUNSELING),
        ]
    )
    bc, plain = line(result, modifiers=("BC",)), line(result)
    assert (bc.units, bc.status, plain.units) == (0, LineStatus.EXCLUDED, 32)
    assert minutes_by_code(result, "E2") == {ReasonCode.DAILY_CAP: 30}
    assert adj(result, "E2").status is EventStatus.EXCLUDED
    assert minutes_by_code(result, "E1") == {ReasonCode.DAILY_CAP: 15}


def test_cap_does_not_call_an_untouched_zero_unit_line_capped() -> None:
    # A 7-minute BC line ends last but has no unit to give: its minutes are a rounding drop,
    # and the 33rd unit comes off the plain line.
    result = run(
        [
            ev("E1", "08:00", "16:15"),
            ev("E2", "17:00", "17:07", activity=Activity.BENEFITS_COUNSELING),
        ]
    )
    assert minutes_by_code(result, "E2") == {ReasonCode.BELOW_UNIT_THRESHOLD: 7}
    assert minutes_by_code(result, "E1") == {ReasonCode.DAILY_CAP: 15}
    assert line(result).units == 32


def test_cap_is_a_profile_setting() -> None:
    result = run([ev("E1", "09:00", "11:00")], ctx(settings=RuleSettings(daily_unit_cap=4)))
    assert line(result).units == 4
    assert minutes_by_code(result, "E1") == {ReasonCode.DAILY_CAP: 60}


# --- 1.2 who and when --------------------------------------------------------------------------


def test_member_turning_16_on_the_date_may_be_billed() -> None:
    teen = ctx(member=replace(MEMBER, birth_date=date(2010, 3, 2)))
    assert_billable(run([ev("E1")], teen), "E1")
    result = run([ev("E1", day=date(2026, 3, 1))], teen)
    assert_excluded(result, "E1", ReasonCode.MEMBER_UNDER_16)
    assert result.lines == ()


def test_act_enrollment_covering_the_date_excludes() -> None:
    act = ctx(member=replace(MEMBER, act_periods=(DateRange(date(2026, 2, 1), DAY),)))
    assert_excluded(run([ev("E1")], act), "E1", ReasonCode.ACT_ENROLLMENT)
    assert_billable(run([ev("E1", day=DAY + timedelta(days=1))], act), "E1")


def auth(
    auth_id: str,
    provider: str,
    units: int = 100,
    start: date = date(2026, 3, 1),
    end: date = date(2026, 5, 31),
) -> Authorization:
    return Authorization(auth_id, "M1", provider, "PAYER", start, end, units)


def test_other_providers_authorization_excludes() -> None:
    result = run([ev("E1")], ctx(authorizations=(auth("A2", "P2"),)))
    assert_excluded(result, "E1", ReasonCode.OTHER_PROVIDER_AUTHORIZED)
    # Outside the other provider's period the event is billable again.
    later = run([ev("E1", day=date(2026, 6, 1))], ctx(authorizations=(auth("A2", "P2"),)))
    assert_billable(later, "E1")


def test_both_providers_authorized_excludes_both() -> None:
    # billing-rules 1.2, literally: "another provider holds a YP630 authorization for the member
    # covering that date" excludes, whatever this provider holds ("only one IPS provider
    # organization during any active authorization period"): overlapping authorizations are
    # the LME-MCO's to resolve, and until then neither provider's time is billable.
    both = ctx(authorizations=(auth("A1", "P1"), auth("A2", "P2")))
    result = run(
        [ev("E1", "09:00", "10:00"), ev("E2", "11:00", "12:00", provider="P2", staff="ESP2")], both
    )
    for event_id in ("E1", "E2"):
        assert adj(result, event_id).status is EventStatus.EXCLUDED
        assert adj(result, event_id).reasons[0].code is ReasonCode.OTHER_PROVIDER_AUTHORIZED


def review(score: int, final: date, review_id: str = "R1") -> FidelityReview:
    return FidelityReview("P1", review_id, score, final)


def test_fidelity_below_74_excludes_from_the_final_report_date() -> None:
    low = ctx(fidelity_reviews=(review(73, DAY),))
    assert_excluded(run([ev("E1")], low), "E1", ReasonCode.FIDELITY_BELOW_MINIMUM)
    assert_billable(run([ev("E1")], ctx(fidelity_reviews=(review(74, DAY),))), "E1")


def test_fidelity_review_dated_after_the_service_does_not_apply() -> None:
    later = ctx(fidelity_reviews=(review(50, DAY + timedelta(days=1)),))
    assert_billable(run([ev("E1")], later), "E1")


def test_latest_review_in_force_decides() -> None:
    reviews = (review(60, date(2025, 1, 10), "R1"), review(90, date(2026, 1, 10), "R2"))
    assert_billable(run([ev("E1")], ctx(fidelity_reviews=reviews)), "E1")
    reviews = (review(90, date(2025, 1, 10), "R1"), review(60, date(2026, 1, 10), "R2"))
    result = run([ev("E1")], ctx(fidelity_reviews=reviews))
    assert_excluded(result, "E1", ReasonCode.FIDELITY_BELOW_MINIMUM)
    # Another provider's low score does not touch P1.
    other = ctx(fidelity_reviews=(FidelityReview("P2", "R3", 40, date(2026, 1, 1)),))
    assert_billable(run([ev("E1")], other), "E1")


def dvr_case(milestone: str = "3-A", end: date | None = None) -> MemberContext:
    return ctx(
        member=replace(MEMBER, dvr_shared_case=True),
        eipd_authorizations=(
            EipdAuthorization("X1", "M1", "P1", milestone, date(2026, 2, 1), end),
        ),
    )


def test_dvr_overlap_excludes_covered_activity_by_esp() -> None:
    result = run([ev("E1", activity=Activity.JOB_SEARCH)], dvr_case("3-A"))
    assert_excluded(result, "E1", ReasonCode.DVR_MILESTONE_OVERLAP)
    result = run([ev("E1", activity=Activity.JOB_SUPPORT)], dvr_case("3-C"))
    assert_excluded(result, "E1", ReasonCode.DVR_MILESTONE_OVERLAP)


def test_dvr_overlap_spares_epm_staff() -> None:
    assert_billable(run([ev("E1", staff="EPM1")], dvr_case("3-A")), "E1")


def test_dvr_overlap_spares_activity_the_milestone_does_not_cover() -> None:
    for activity in (
        Activity.INTAKE,
        Activity.CAREER_PROFILE,
        Activity.BENEFITS_COUNSELING,
        Activity.JOB_DEVELOPMENT,
    ):
        assert_billable(run([ev("E1", activity=activity)], dvr_case("3-A")), "E1")


def test_dvr_overlap_needs_a_shared_case_and_an_open_milestone() -> None:
    not_shared = replace(dvr_case("3-A"), member=MEMBER)
    assert_billable(run([ev("E1")], not_shared), "E1")
    closed = dvr_case("3-A", end=DAY - timedelta(days=1))
    assert_billable(run([ev("E1")], closed), "E1")


# --- 1.2 holds ---------------------------------------------------------------------------------


def test_missing_note_holds_the_whole_line() -> None:
    result = run([ev("E1", "09:00", "09:30"), ev("E2", "10:00", "10:30", note=False)])
    for event_id in ("E1", "E2"):
        found = adj(result, event_id)
        assert (found.status, found.billable_minutes) == (EventStatus.HELD, 0)
        assert minutes_by_code(result, event_id) == {ReasonCode.MISSING_SERVICE_NOTE: 30}
    assert adj(result, "E2").reasons[0].detail == "no service note"
    assert "E2" in adj(result, "E1").reasons[0].detail
    held = line(result)
    assert (held.units, held.held_units, held.status, held.hold_reason, held.charge) == (
        0,
        4,
        LineStatus.HELD,
        ReasonCode.MISSING_SERVICE_NOTE,
        Decimal("0.00"),
    )


def test_note_arriving_after_the_event_releases_the_line() -> None:
    before = run([ev("E1", note=False)])
    assert line(before).status is LineStatus.HELD
    after = run([ev("E1", note=True)])
    assert_billable(after, "E1")
    assert (line(after).units, line(after).status) == (4, LineStatus.BILLABLE)


def test_missing_note_does_not_hold_another_line() -> None:
    result = run(
        [
            ev("E1", "09:00", "09:30", note=False),
            ev("E2", "10:00", "10:30", activity=Activity.BENEFITS_COUNSELING),
        ]
    )
    assert line(result).status is LineStatus.HELD
    assert_billable(result, "E2")


@pytest.mark.parametrize(
    "member", [replace(MEMBER, diagnoses=()), replace(MEMBER, subscriber_id=None)]
)
def test_missing_member_data_holds(member: Member) -> None:
    result = run([ev("E1")], ctx(member=member))
    assert minutes_by_code(result, "E1") == {ReasonCode.MISSING_MEMBER_DATA: 60}
    assert adj(result, "E1").status is EventStatus.HELD
    assert (line(result).held_units, line(result).hold_reason) == (
        4,
        ReasonCode.MISSING_MEMBER_DATA,
    )


def test_several_holds_name_the_first_and_list_the_others_at_zero() -> None:
    context = ctx(member=replace(MEMBER, diagnoses=()), fee_schedules=())
    result = run([ev("E1", note=False)], context)
    assert [(r.code, r.minutes) for r in adj(result, "E1").reasons] == [
        (ReasonCode.MISSING_SERVICE_NOTE, 60),
        (ReasonCode.MISSING_MEMBER_DATA, 0),
        (ReasonCode.MISSING_FEE_SCHEDULE, 0),
    ]
    assert line(result).hold_reason is ReasonCode.MISSING_SERVICE_NOTE


def test_missing_note_with_the_allowance_used_also_lists_no_authorization() -> None:
    used = ctx(counters=UnitCounters(by_provider=(("P1", 64),)))
    result = run([ev("E1", note=False)], used)
    assert [(r.code, r.minutes) for r in adj(result, "E1").reasons] == [
        (ReasonCode.MISSING_SERVICE_NOTE, 60),
        (ReasonCode.NO_AUTHORIZATION, 0),
    ]


def test_missing_fee_schedule_holds_with_no_rate() -> None:
    result = run([ev("E1")], ctx(fee_schedules=()))
    assert minutes_by_code(result, "E1") == {ReasonCode.MISSING_FEE_SCHEDULE: 60}
    held = line(result)
    assert (held.rate, held.charge, held.status, held.held_units) == (
        None,
        Decimal("0.00"),
        LineStatus.HELD,
        4,
    )


def test_missing_bc_rate_holds_only_the_bc_line() -> None:
    plain_only = ctx(fee_schedules=(FeeSchedule("PAYER", date(2026, 1, 1), (("YP630", RATE),)),))
    result = run(
        [
            ev("E1", "09:00", "09:30"),
            ev("E2", "10:00", "10:30", activity=Activity.BENEFITS_COUNSELING),
        ],
        plain_only,
    )
    assert_billable(result, "E1")
    assert minutes_by_code(result, "E2") == {ReasonCode.MISSING_FEE_SCHEDULE: 30}


def test_rate_change_mid_month_applies_by_date_of_service() -> None:
    fees = (
        FeeSchedule("PAYER", date(2026, 3, 16), (("YP630", Decimal("9.10")),)),
        FeeSchedule("PAYER", date(2026, 3, 1), (("YP630", Decimal("8.00")),)),
    )
    result = run(
        [ev("E1", day=date(2026, 3, 15)), ev("E2", day=date(2026, 3, 16))], ctx(fee_schedules=fees)
    )
    assert line(result, day=date(2026, 3, 15)).charge == Decimal("32.00")
    assert line(result, day=date(2026, 3, 16)).charge == Decimal("36.40")
    # Before the first schedule there is no rate at all.
    early = run([ev("E1", day=date(2026, 2, 28))], ctx(fee_schedules=fees))
    assert minutes_by_code(early, "E1") == {ReasonCode.MISSING_FEE_SCHEDULE: 60}


# --- Utilization Management: the first 64 units, authorizations --------------------------------


def test_sixty_four_units_are_free_and_the_sixty_fifth_is_held() -> None:
    # 8 days of 8 units (2 hours) = 64 units; the 9th day's first unit is the 65th.
    days = [DAY + timedelta(days=i) for i in range(9)]
    events = [ev(f"E{i}", "09:00", "11:00", day=d) for i, d in enumerate(days)]
    result = run(events)
    for i, d in enumerate(days[:8]):
        assert_billable(result, f"E{i}")
        assert line(result, day=d).auth_units == 8
    ninth = adj(result, "E8")
    assert (ninth.status, ninth.billable_minutes) == (EventStatus.HELD, 0)
    assert minutes_by_code(result, "E8") == {ReasonCode.NO_AUTHORIZATION: 120}
    last = line(result, day=days[8])
    assert (last.units, last.held_units, last.status, last.hold_reason) == (
        0,
        8,
        LineStatus.HELD,
        ReasonCode.NO_AUTHORIZATION,
    )


def test_line_crossing_the_64_boundary_is_partly_held_from_its_latest_events() -> None:
    counted = ctx(counters=UnitCounters(by_provider=(("P1", 60),)))
    result = run([ev("E1", "09:00", "10:00"), ev("E2", "13:00", "14:00")], counted)
    only = line(result)
    assert (only.units, only.held_units, only.status, only.auth_units) == (
        4,
        4,
        LineStatus.BILLABLE,
        4,
    )
    assert only.hold_reason is ReasonCode.NO_AUTHORIZATION
    assert only.charge == Decimal("35.00")
    assert_billable(result, "E1")
    assert minutes_by_code(result, "E2") == {ReasonCode.NO_AUTHORIZATION: 60}
    assert adj(result, "E2").status is EventStatus.HELD


def test_allowance_is_per_provider() -> None:
    counted = ctx(counters=UnitCounters(by_provider=(("P2", 64),)))
    assert_billable(run([ev("E1")], counted), "E1")


def test_counters_from_before_the_first_date_are_the_starting_point() -> None:
    assert_billable(run([ev("E1")]), "E1")
    counted = ctx(counters=UnitCounters(by_provider=(("P1", 62),)))
    result = run([ev("E1")], counted)
    assert adj(result, "E1").billable_minutes == 30
    assert minutes_by_code(result, "E1") == {ReasonCode.NO_AUTHORIZATION: 30}


def test_authorization_arriving_after_held_units_releases_them() -> None:
    used = UnitCounters(by_provider=(("P1", 64),))
    held = run([ev("E1")], ctx(counters=used))
    assert line(held).status is LineStatus.HELD
    released = run([ev("E1")], ctx(counters=used, authorizations=(auth("A1", "P1", 20),)))
    assert_billable(released, "E1")
    only = line(released)
    assert (only.units, only.authorization_id, only.auth_units) == (4, "A1", 4)


def test_authorization_exhausted_holds_beyond_its_units() -> None:
    context = ctx(
        authorizations=(auth("A1", "P1", units=10),),
        counters=UnitCounters(by_provider=(("P1", 80),), by_authorization=(("A1", 8),)),
    )
    result = run([ev("E1", "09:00", "09:30"), ev("E2", "10:00", "10:30")], context)
    only = line(result)
    assert (only.units, only.held_units, only.authorization_id, only.hold_reason) == (
        2,
        2,
        "A1",
        ReasonCode.AUTHORIZATION_EXHAUSTED,
    )
    assert_billable(result, "E1")
    assert minutes_by_code(result, "E2") == {ReasonCode.AUTHORIZATION_EXHAUSTED: 30}
    # The next day nothing is left of A1.
    nxt = run(
        [ev("E3", day=DAY + timedelta(days=1))],
        replace(context, counters=UnitCounters(by_authorization=(("A1", 10),))),
    )
    assert minutes_by_code(nxt, "E3") == {ReasonCode.AUTHORIZATION_EXHAUSTED: 60}


def test_held_lines_do_not_count_toward_the_allowance() -> None:
    # Day 1 is held for its note; day 2's 8 units still fit in the remaining 8 of 64.
    counted = ctx(counters=UnitCounters(by_provider=(("P1", 56),)))
    result = run(
        [
            ev("E1", "09:00", "11:00", note=False),
            ev("E2", "09:00", "11:00", day=DAY + timedelta(days=1)),
        ],
        counted,
    )
    assert line(result).auth_units == 0
    assert_billable(result, "E2")


# --- voided ------------------------------------------------------------------------------------


def test_voided_event_is_excluded_and_takes_no_part() -> None:
    result = run([ev("E1", "09:00", "10:00", voided=True), ev("E2", "09:30", "10:00")])
    assert_excluded(result, "E1", ReasonCode.VOIDED)
    assert_billable(result, "E2")
    assert line(result).event_ids == ("E2",)
    # A voided event with no other: no line at all.
    assert run([ev("E1", voided=True)]).lines == ()


def test_voided_wins_over_every_other_rule() -> None:
    result = run([ev("E1", activity=Activity.TRAVEL, voided=True, note=False)])
    assert_excluded(result, "E1", ReasonCode.VOIDED)

"""Issue 13, units: who bills, where, from which authorization, and real minutes (seed 000).

docs/billing-rules.md: "Who bills", "Facility settings", "Fidelity", "Overlapping
authorizations", "Real minutes". Each rule at its edges, on the pure core.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from msgspec.structs import replace
from units_builders import DAY, MEMBER, PAYER, STAFF, ev, run

from claims.model import (
    Authorization,
    EventStatus,
    FidelityReview,
    LineStatus,
    ReasonCode,
    RuleSettings,
    Staff,
    StaffRole,
    UnitCounters,
)
from claims.places import facility_places_of_service
from claims.profile import RulesProfile

R = ReasonCode
WITH_PA = (*STAFF, Staff("P-1", "PA-1", StaffRole.PA))


# --- 6: only direct-service staff bill -----------------------------------------------------------


def test_a_program_assistants_event_is_excluded() -> None:
    out = run([ev("E1", staff="PA-1")], staff=WITH_PA)
    assert out.codes("E1") == {R.STAFF_ROLE_NOT_BILLABLE: 30}
    assert out.adj("E1").status is EventStatus.EXCLUDED
    assert R.STAFF_ROLE_NOT_BILLABLE.value == "staff_role_not_billable"


@pytest.mark.parametrize("role", [StaffRole.ESP, StaffRole.EPM, StaffRole.TL, StaffRole.BC])
def test_direct_service_roles_bill(role: StaffRole) -> None:
    out = run([ev("E1", staff="X-1")], staff=(Staff("P-1", "X-1", role),))
    assert out.adj("E1").status is EventStatus.BILLABLE


def test_a_pa_of_another_provider_does_not_exclude_this_providers_staff_id() -> None:
    # The role is the provider's own staff record: the same id elsewhere does not count.
    staff = (*STAFF, Staff("P-2", "ESP-1", StaffRole.PA))
    assert run([ev("E1")], staff=staff).adj("E1").status is EventStatus.BILLABLE


def test_a_pas_minutes_do_not_take_overlap_from_a_billable_event() -> None:
    out = run([ev("E1", "09:00", "09:30", staff="PA-1"), ev("E2", "09:00", "09:30")],
              staff=WITH_PA)  # fmt: skip
    assert out.adj("E2").billable_minutes == 30


# --- 7: no facility or congregate settings -------------------------------------------------------


@pytest.mark.parametrize("place", sorted(facility_places_of_service()))
def test_every_listed_facility_is_excluded(place: str) -> None:
    out = run([replace(ev("E1"), place_of_service=place)])
    assert out.codes("E1") == {R.FACILITY_SETTING: 30}
    assert place in out.reason("E1", R.FACILITY_SETTING).detail


@pytest.mark.parametrize("place", ["99", "11", "12", "53"])
def test_home_office_and_community_places_bill(place: str) -> None:
    assert run([replace(ev("E1"), place_of_service=place)]).adj("E1").status is (
        EventStatus.BILLABLE
    )


def test_the_list_is_the_billing_rules_table() -> None:
    assert facility_places_of_service() == frozenset(
        {"13", "14", "21", "31", "32", "33", "51", "55", "56", "61"}
    )


def test_a_payer_profile_replaces_the_list() -> None:
    settings = RulesProfile(excluded_places_of_service=("99",)).settings()
    assert settings.excluded_places_of_service == frozenset({"99"})
    out = run([replace(ev("E1"), place_of_service="99"), replace(ev("E2", "10:00", "10:30"),
              place_of_service="21")], settings=settings)  # fmt: skip
    assert out.codes("E1") == {R.FACILITY_SETTING: 30}
    assert out.adj("E2").status is EventStatus.BILLABLE
    assert RulesProfile().settings().excluded_places_of_service == facility_places_of_service()


def test_profile_refuses_a_malformed_place_code() -> None:
    with pytest.raises(ValueError, match="two-digit"):
        RulesProfile(excluded_places_of_service=("2",))


# --- 3 (units): the re-evaluation request defers a 65-73 score ---------------------------------


def _review(
    score: int, report: date, asked: date | None = None, rid: str = "FR-1"
) -> FidelityReview:
    return FidelityReview("P-1", rid, score, report, asked)


@pytest.mark.parametrize(
    ("score", "asked_after", "excluded"),
    [(73, 0, False), (65, 180, False), (64, 10, True), (73, 181, True), (73, None, True),
     (74, None, False)],
)  # fmt: skip
def test_reevaluation_request_defers_only_a_65_to_73_score_within_180_days(
    score: int, asked_after: int | None, excluded: bool
) -> None:
    report = DAY - timedelta(days=30)
    asked = None if asked_after is None else report + timedelta(days=asked_after)
    out = run([ev("E1")], fidelity_reviews=(_review(score, report, asked),))
    assert (out.codes("E1") == {R.FIDELITY_BELOW_MINIMUM: 30}) is excluded


def test_a_reevaluation_below_74_gates_from_its_own_date() -> None:
    first = _review(70, DAY - timedelta(days=100), DAY - timedelta(days=90))
    again = _review(72, DAY, DAY + timedelta(days=1), rid="FR-2")  # its own request: no deferral
    events = [ev("E0", day=DAY - timedelta(days=1)), ev("E1")]
    out = run(events, fidelity_reviews=(first, again))
    assert out.adj("E0").status is EventStatus.BILLABLE  # deferred until the re-evaluation
    assert out.codes("E1") == {R.FIDELITY_BELOW_MINIMUM: 30}
    passed = replace(again, score=80)
    assert run(events, fidelity_reviews=(first, passed)).adj("E1").status is EventStatus.BILLABLE


# --- 8: overlapping authorizations ---------------------------------------------------------------


def _auth(aid: str, end_days: int, units: int, start_days: int = -10) -> Authorization:
    return Authorization(aid, MEMBER.member_id, "P-1", PAYER, DAY + timedelta(days=start_days),
                         DAY + timedelta(days=end_days), units)  # fmt: skip


def test_a_line_draws_from_the_earliest_ending_authorization_first() -> None:
    late, early = _auth("A-LATE", 90, 100, start_days=-20), _auth("A-EARLY", 30, 100)
    line = run([ev("E1")], authorizations=(late, early)).line()
    assert (line.authorization_id, line.units, line.authorization_draws) == ("A-EARLY", 2, ())


def test_when_one_runs_out_the_line_goes_on_drawing_from_the_next() -> None:
    # Issue 13's case: 4 units asked, 1 left on the first authorization, plenty on the second.
    first, second = _auth("A-1", 30, 10), _auth("A-2", 60, 50)
    counters = UnitCounters((("P-1", 80),), (("A-1", 9),))
    line = run([ev("E1", "09:00", "10:00")], authorizations=(first, second),
               counters=counters).line()  # fmt: skip
    assert (line.units, line.held_units, line.status) == (4, 0, LineStatus.BILLABLE)
    assert line.authorization_draws == (("A-1", 1), ("A-2", 3))


def test_units_are_held_only_when_every_covering_authorization_is_used_up() -> None:
    first, second = _auth("A-1", 30, 10), _auth("A-2", 60, 5)
    counters = UnitCounters((("P-1", 80),), (("A-1", 9), ("A-2", 4)))
    out = run([ev("E1", "09:00", "10:00")], authorizations=(first, second), counters=counters)
    line = out.line()
    assert (line.units, line.held_units, line.hold_reason) == (2, 2, R.AUTHORIZATION_EXHAUSTED)
    assert "A-1, A-2" in out.reason("E1", R.AUTHORIZATION_EXHAUSTED).detail


def test_draws_over_several_days_never_pass_any_authorization() -> None:
    first, second = _auth("A-1", 30, 3), _auth("A-2", 60, 4)
    days = [DAY + timedelta(days=n) for n in range(4)]
    out = run([ev(f"E{n}", "09:00", "09:30", day=d) for n, d in enumerate(days)],
              authorizations=(first, second), counters=UnitCounters((("P-1", 80),)))  # fmt: skip
    drawn: dict[str, int] = {}
    for line in out.result.lines:
        for aid, units in line.authorization_draws or ((line.authorization_id, line.units),):
            if aid is not None:
                drawn[aid] = drawn.get(aid, 0) + units
    assert drawn == {"A-1": 3, "A-2": 4}
    assert sum(line.held_units for line in out.result.lines) == 1


# --- 9: real minutes -----------------------------------------------------------------------------

SPRING = date(2026, 3, 8)  # America/New_York springs forward at 02:00
FALL = date(2026, 11, 1)  # and falls back at 02:00


@pytest.mark.parametrize(
    ("day", "start", "end", "minutes"),
    [(SPRING, "01:30", "03:30", 60), (SPRING, "00:00", "23:59", 1379),
     (FALL, "00:30", "03:30", 240), (FALL, "01:00", "02:00", 120),
     (DAY, "01:30", "03:30", 120)],
)  # fmt: skip
def test_minutes_are_real_elapsed_minutes(day: date, start: str, end: str, minutes: int) -> None:
    out = run([ev("E1", start, end, day=day)])
    assert out.adj("E1").minutes == minutes


def test_the_payers_zone_decides() -> None:
    # Phoenix keeps standard time all year: two wall-clock hours are two hours.
    settings = RuleSettings(time_zone="America/Phoenix")
    assert run([ev("E1", "01:30", "03:30", day=SPRING)], settings=settings).adj("E1").minutes == 120


def test_only_the_days_whose_offset_changes_are_read_in_real_minutes() -> None:
    # Denver, 2027 (a zone and year no other test asks for: the engine works out each zone's
    # changing days once per year). The day before and the day after each change are plain.
    settings = RuleSettings(time_zone="America/Denver")
    spring, fall = date(2027, 3, 14), date(2027, 11, 7)
    days = [spring - timedelta(days=1), spring, spring + timedelta(days=1),
            fall - timedelta(days=1), fall, fall + timedelta(days=1)]  # fmt: skip
    events = [ev(f"E{n}", "01:30", "03:30", day=day) for n, day in enumerate(days)]
    out = run(events, settings=settings)
    assert [out.adj(e.event_id).minutes for e in events] == [120, 60, 120, 120, 180, 120]


def test_an_event_of_no_real_minutes_makes_no_line() -> None:
    # 02:30 lies in the skipped hour and reads at the old offset, after 03:00: 0 minutes, nothing
    # lost, nothing to bill or hold, and no line of 0 minutes.
    out = run([ev("E1", "02:30", "03:00", day=SPRING)])
    e1 = out.adj("E1")
    assert (e1.minutes, e1.billable_minutes, e1.reasons) == (0, 0, ())
    assert e1.status is EventStatus.EXCLUDED
    assert out.result.lines == ()


def test_overlap_on_the_spring_forward_day_uses_real_minutes() -> None:
    out = run([ev("E1", "01:30", "03:30", day=SPRING), ev("E2", "03:00", "03:45", day=SPRING)])
    assert out.adj("E1").minutes == 60 and out.adj("E2").minutes == 45
    assert out.codes("E2").get(R.OVERLAPPING_TIME) == 30


@pytest.mark.parametrize(
    ("zone", "day"),
    [("America/New_York", SPRING), ("America/New_York", FALL), ("America/Chicago", SPRING),
     ("America/Los_Angeles", FALL), ("Europe/London", date(2026, 3, 29)),
     ("Australia/Lord_Howe", date(2026, 4, 5)), ("America/New_York", DAY)],
)  # fmt: skip
def test_real_minute_is_the_utc_distance_from_midnight_for_every_minute(
    zone: str, day: date
) -> None:
    # The bisected change point agrees with zoneinfo itself, minute by minute (fold=0).
    from datetime import UTC, datetime, time
    from zoneinfo import ZoneInfo

    from claims.units.clock import real_minute

    tz = ZoneInfo(zone)
    midnight = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    for minute in range(24 * 60):
        at = time(*divmod(minute, 60))
        moment = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
        assert real_minute(zone, day, at) == (moment - midnight).total_seconds() // 60, at

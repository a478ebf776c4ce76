"""Holds, the first 64 units and authorizations (billing-rules.md 1.2 and 1.4; docs/units.md,
"Overlapping authorizations"), through the public engine.

A held line bills nothing yet and says why (hold_reason); its events carry the hold's minutes.
Default context (units_builders): full member data, rates for YP630 and YP630:BC, no
authorizations, no units counted yet.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from msgspec.structs import replace
from units_builders import DAY, FEES, MEMBER, PAYER, RATE, ev, money, run

from claims.model import (
    Activity,
    Authorization,
    EventStatus,
    FeeSchedule,
    LineStatus,
    ReasonCode,
    RuleSettings,
    UnitCounters,
)

R = ReasonCode
BC = Activity.BENEFITS_COUNSELING
ALLOWANCE_USED = "provider P-1 used the 64 units allowed without authorization"


def counted(units: int, by_auth: tuple[tuple[str, int], ...] = ()) -> UnitCounters:
    return UnitCounters(by_provider=(("P-1", units),), by_authorization=by_auth)


def auth(auth_id: str, units: int, last: date = DAY, first: date = DAY) -> Authorization:
    return Authorization(auth_id, MEMBER.member_id, "P-1", PAYER, first, last, units)


# --- documentation holds: note, member data, rate ---------------------------------------------


def test_missing_note_holds_the_whole_line_and_names_the_undocumented_event() -> None:
    out = run([ev("E1", "09:00", "09:30", note=None), ev("E2", "10:00", "10:30")])
    assert (out.reason("E1", R.MISSING_SERVICE_NOTE).minutes, out.adj("E1").status) == (
        30,
        EventStatus.HELD,
    )
    assert out.reason("E1", R.MISSING_SERVICE_NOTE).detail == "no service note"
    assert out.reason("E2", R.MISSING_SERVICE_NOTE).detail == "no service note on event E1"
    assert out.adj("E2").status is EventStatus.HELD
    assert out.adj("E2").billable_minutes == 0
    line = out.line()
    assert (line.units, line.held_units, line.status) == (0, 4, LineStatus.HELD)
    assert (line.hold_reason, line.charge, line.auth_units, line.authorization_id) == (
        R.MISSING_SERVICE_NOTE, Decimal("0.00"), 0, None,
    )  # fmt: skip
    assert (line.member_id, line.payer_id, line.provider_id) == ("M-1", "PAYER-1", "P-1")


def test_every_undocumented_event_is_named_once() -> None:
    events = [
        ev("E1", note=None),
        ev("E2", "10:00", "10:30", note=None),
        ev("E3", "11:00", "11:30"),
    ]
    out = run(events)
    assert [out.reason(e, R.MISSING_SERVICE_NOTE).detail for e in ("E1", "E2", "E3")] == [
        "no service note", "no service note", "no service note on event E1, E2",
    ]  # fmt: skip
    assert [out.codes(e) for e in ("E1", "E2", "E3")] == [{R.MISSING_SERVICE_NOTE: 30}] * 3


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
    assert out.adj("E2").reasons == ()


def test_missing_member_data_holds_and_lists_behind_a_missing_note() -> None:
    bare = replace(MEMBER, diagnoses=())
    out = run([ev("E1", note=None)], member=bare)
    assert out.codes("E1") == {R.MISSING_SERVICE_NOTE: 30, R.MISSING_MEMBER_DATA: 0}
    assert out.line().hold_reason is R.MISSING_SERVICE_NOTE
    no_subscriber = run([ev("E1")], member=replace(MEMBER, subscriber_id=None))
    assert no_subscriber.codes("E1") == {R.MISSING_MEMBER_DATA: 30}
    assert no_subscriber.reason("E1", R.MISSING_MEMBER_DATA).detail == (
        "member has no diagnosis or no subscriber id"
    )
    assert no_subscriber.line().hold_reason is R.MISSING_MEMBER_DATA
    assert no_subscriber.adj("E1").status is EventStatus.HELD


def test_several_holds_name_the_first_and_list_the_others_at_zero() -> None:
    bare = replace(MEMBER, diagnoses=())
    out = run([ev("E1", "09:00", "10:00", note=None)], member=bare, fee_schedules=())
    assert [(r.code, r.minutes, r.detail) for r in out.adj("E1").reasons] == [
        (R.MISSING_SERVICE_NOTE, 60, "no service note"),
        (R.MISSING_MEMBER_DATA, 0, "member has no diagnosis or no subscriber id"),
        (R.MISSING_FEE_SCHEDULE, 0, "no YP630 rate in effect on 2026-03-02"),
    ]
    assert out.line().hold_reason is R.MISSING_SERVICE_NOTE


def test_missing_fee_schedule_holds_the_line_without_a_rate() -> None:
    plain_only = (FeeSchedule(PAYER, date(2020, 1, 1), (("YP630", RATE),)),)
    out = run([ev("E1"), ev("E2", "10:00", "10:30", activity=BC)], fee_schedules=plain_only)
    bc = out.line(modifiers=("BC",))
    assert (bc.status, bc.hold_reason, bc.rate, bc.charge, bc.held_units) == (
        LineStatus.HELD, R.MISSING_FEE_SCHEDULE, None, Decimal("0.00"), 2,
    )  # fmt: skip
    assert out.codes("E2") == {R.MISSING_FEE_SCHEDULE: 30}
    assert out.reason("E2", R.MISSING_FEE_SCHEDULE).detail == (
        "no YP630:BC rate in effect on 2026-03-02"
    )
    assert out.line().status is LineStatus.BILLABLE


def test_the_schedule_in_effect_is_the_latest_started_and_never_falls_back() -> None:
    newer = FeeSchedule(PAYER, DAY, (("YP630:BC", Decimal("40.00")),))
    future = FeeSchedule(PAYER, DAY + timedelta(days=1), (("YP630", Decimal("99.00")),))
    out = run([ev("E1"), ev("E2", "10:00", "10:30", activity=BC)],
              fee_schedules=(future, newer, *FEES))  # fmt: skip
    assert out.line(modifiers=("BC",)).rate == Decimal("40.00")
    assert out.line().hold_reason is R.MISSING_FEE_SCHEDULE


def test_the_rate_is_the_one_in_effect_on_the_date_of_service() -> None:
    fees = (
        FeeSchedule(PAYER, date(2026, 3, 16), (("YP630", Decimal("9.10")),)),
        FeeSchedule(PAYER, date(2026, 3, 1), (("YP630", Decimal("8.00")),)),
    )
    days = [date(2026, 3, 15), date(2026, 3, 16), date(2026, 2, 28)]
    out = run([ev(f"E{n}", day=d) for n, d in enumerate(days)], fee_schedules=fees)
    assert out.line(day=days[0]).charge == money(2, Decimal("8.00"))
    assert out.line(day=days[1]).charge == money(2, Decimal("9.10"))
    # before the first schedule there is no rate at all
    assert out.codes("E2") == {R.MISSING_FEE_SCHEDULE: 30}


def test_a_line_names_the_rate_in_effect_whether_it_bills_holds_or_has_no_unit() -> None:
    # billing-rules 1.4: the rate is the schedule's on the date of service; only the charge
    # depends on the units billed.
    billed = run([ev("E1")]).line()
    no_unit = run([ev("E1", "09:00", "09:07")]).line()
    held = run([ev("E1", note=None)]).line()
    assert [line.status for line in (billed, no_unit, held)] == [
        LineStatus.BILLABLE, LineStatus.EXCLUDED, LineStatus.HELD,
    ]  # fmt: skip
    assert billed.rate == no_unit.rate == held.rate == RATE
    assert (no_unit.charge, held.charge) == (Decimal("0.00"), Decimal("0.00"))


def test_an_event_whose_minutes_rounding_dropped_is_excluded_not_held() -> None:
    # 20 + 2 minutes: 1 unit, 7 dropped from the latest events first (E2's 2, then 5 of E1's).
    # The line is held; E2 has no minute left to hold: it is excluded, and a whole-line hold
    # lists its reason at 0 minutes ("held while a hold reason has minutes").
    events = [ev("E1", "09:00", "09:20"), ev("E2", "10:00", "10:02")]
    whole = run(events, member=replace(MEMBER, diagnoses=()))
    assert whole.codes("E2") == {R.BELOW_UNIT_THRESHOLD: 2, R.MISSING_MEMBER_DATA: 0}
    assert whole.adj("E2").status is EventStatus.EXCLUDED
    assert whole.codes("E1") == {R.BELOW_UNIT_THRESHOLD: 5, R.MISSING_MEMBER_DATA: 15}
    assert whole.adj("E1").status is EventStatus.HELD
    # A partial hold (the allowance used up) takes its minutes from the events that have them:
    # E2, with none left, gets no reason of it.
    part = run(events, counters=counted(64))
    assert (part.line().units, part.line().held_units) == (0, 1)
    assert part.codes("E2") == {R.BELOW_UNIT_THRESHOLD: 2}
    assert part.adj("E2").status is EventStatus.EXCLUDED
    assert part.codes("E1") == {R.BELOW_UNIT_THRESHOLD: 5, R.NO_AUTHORIZATION: 15}
    assert part.adj("E1").status is EventStatus.HELD


def test_an_event_holding_a_single_minute_is_held() -> None:
    # 22 + 1 minutes make 2 units, nothing dropped; the whole line waits for member data.
    out = run([ev("E1", "09:00", "09:22"), ev("E2", "10:00", "10:01")],
              member=replace(MEMBER, subscriber_id=None))  # fmt: skip
    assert out.codes("E2") == {R.MISSING_MEMBER_DATA: 1}
    assert out.adj("E2").status is EventStatus.HELD
    assert (out.line().units, out.line().held_units) == (0, 2)


# --- Utilization Management: the first 64 units -----------------------------------------------


def test_the_sixty_fourth_unit_needs_no_authorization() -> None:
    out = run([ev("E1", "09:00", "11:00")], counters=counted(56))  # 8 units -> 64
    line = out.line()
    assert (line.units, line.auth_units, line.status, line.hold_reason) == (
        8, 8, LineStatus.BILLABLE, None,
    )  # fmt: skip


def test_a_provider_with_nothing_counted_has_all_64_units() -> None:
    # One 16-hour day (cap raised to 96 for the test) is exactly the 64 free units.
    out = run([ev("E1", "06:00", "22:00")], settings=RuleSettings(daily_unit_cap=96))
    assert (out.line().units, out.line().held_units, out.line().hold_reason) == (64, 0, None)
    more = run([ev("E1", "06:00", "22:15")], settings=RuleSettings(daily_unit_cap=96))
    assert (more.line().units, more.line().held_units) == (64, 1)


def test_the_allowance_is_a_profile_setting() -> None:
    out = run([ev("E1", "09:00", "12:00")], settings=RuleSettings(units_without_authorization=10))
    assert (out.line().units, out.line().held_units) == (10, 2)
    assert out.reason("E1", R.NO_AUTHORIZATION).detail == (
        "provider P-1 used the 10 units allowed without authorization"
    )


def test_the_sixty_fifth_unit_is_held_without_authorization() -> None:
    out = run([ev("E1", "09:00", "09:15")], counters=counted(64))
    assert out.codes("E1") == {R.NO_AUTHORIZATION: 15}
    assert out.reason("E1", R.NO_AUTHORIZATION).detail == ALLOWANCE_USED
    line = out.line()
    assert (line.units, line.held_units, line.status, line.hold_reason) == (
        0, 1, LineStatus.HELD, R.NO_AUTHORIZATION,
    )  # fmt: skip


def test_counters_past_the_allowance_hold_the_whole_line() -> None:
    out = run([ev("E1")], counters=counted(70))
    assert (out.line().units, out.line().held_units) == (0, 2)


def test_a_line_crossing_sixty_four_is_partly_held_from_its_latest_events() -> None:
    events = [ev("E1", "09:00", "10:00"), ev("E2", "13:00", "13:52")]  # 112 min -> 7 units
    out = run(events, counters=counted(60))
    line = out.line()
    assert (line.units, line.held_units, line.auth_units) == (4, 3, 4)
    assert (line.hold_reason, line.authorization_id) == (R.NO_AUTHORIZATION, None)
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
    assert [out.line(day=d).auth_units for d in days] == [0, 32, 32]


def test_the_allowance_is_per_provider() -> None:
    out = run([ev("E1"), ev("E2", "10:00", "10:30", provider="P-2", staff="ESP-2")],
              counters=counted(64))  # fmt: skip
    assert out.line("P-1").status is LineStatus.HELD
    assert out.line("P-2").status is LineStatus.BILLABLE


def test_authorization_holds_are_listed_behind_a_missing_note() -> None:
    out = run([ev("E1", note=None)], counters=counted(64))
    assert out.codes("E1") == {R.MISSING_SERVICE_NOTE: 30, R.NO_AUTHORIZATION: 0}
    assert out.reason("E1", R.NO_AUTHORIZATION).detail == ALLOWANCE_USED
    assert out.line().held_units == 2 and out.line().hold_reason is R.MISSING_SERVICE_NOTE


# --- authorizations ---------------------------------------------------------------------------


def test_an_authorization_arriving_later_releases_held_units() -> None:
    held = run([ev("E1")], counters=counted(70))
    assert held.line().hold_reason is R.NO_AUTHORIZATION
    a1 = auth("A-1", 120, last=DAY + timedelta(days=90))
    out = run([ev("E1")], counters=counted(70), authorizations=(a1,))
    line = out.line()
    assert (line.units, line.authorization_id, line.auth_units, line.status) == (
        2, "A-1", 2, LineStatus.BILLABLE,
    )  # fmt: skip


def test_an_authorization_covers_its_dates_only() -> None:
    later = auth("A-1", 100, first=DAY + timedelta(days=1), last=DAY + timedelta(days=9))
    out = run([ev("E1")], counters=counted(70), authorizations=(later,))
    assert (out.line().hold_reason, out.line().authorization_id) == (R.NO_AUTHORIZATION, None)


def test_an_unused_authorization_bills_exactly_its_units() -> None:
    out = run([ev("E1", "09:00", "11:00")], authorizations=(auth("A-1", 8),), counters=counted(80))
    line = out.line()
    assert (line.units, line.held_units, line.hold_reason, line.status) == (
        8, 0, None, LineStatus.BILLABLE,
    )  # fmt: skip
    assert (line.authorization_id, line.auth_units, line.authorization_draws) == ("A-1", 8, ())
    assert out.adj("E1").reasons == ()


def test_a_line_using_the_last_authorized_units_is_not_exhausted() -> None:
    out = run([ev("E1")], authorizations=(auth("A-1", 10),), counters=counted(80, (("A-1", 8),)))
    line = out.line()
    assert (line.units, line.held_units, line.hold_reason, line.status) == (
        2, 0, None, LineStatus.BILLABLE,
    )  # fmt: skip
    assert (line.authorization_id, line.auth_units) == ("A-1", 2)
    assert out.adj("E1").reasons == ()


def test_an_exhausted_authorization_holds_the_units_beyond_it() -> None:
    out = run([ev("E1", "09:00", "10:00")], authorizations=(auth("A-1", 5),),
              counters=counted(80, (("A-1", 3),)))  # fmt: skip
    line = out.line()
    assert (line.units, line.held_units, line.hold_reason) == (2, 2, R.AUTHORIZATION_EXHAUSTED)
    assert (line.authorization_id, line.auth_units) == ("A-1", 2)
    assert out.codes("E1") == {R.AUTHORIZATION_EXHAUSTED: 30}
    assert out.reason("E1", R.AUTHORIZATION_EXHAUSTED).detail == (
        "authorization A-1 has no units left"
    )


def test_a_used_up_authorization_holds_the_whole_line() -> None:
    out = run([ev("E1")], authorizations=(auth("A-1", 10),), counters=counted(80, (("A-1", 10),)))
    line = out.line()
    assert (line.units, line.held_units, line.status) == (0, 2, LineStatus.HELD)
    assert (line.hold_reason, line.authorization_id, line.auth_units) == (
        R.AUTHORIZATION_EXHAUSTED, None, 0,
    )  # fmt: skip
    assert out.codes("E1") == {R.AUTHORIZATION_EXHAUSTED: 30}


def test_a_used_up_authorization_is_passed_over_for_one_with_units() -> None:
    # Both cover the date; A-1 ends first but has nothing left: the line draws from A-2 alone.
    used, fresh = auth("A-1", 10), auth("A-2", 10, last=DAY + timedelta(days=30))
    out = run([ev("E1")], authorizations=(fresh, used), counters=counted(80, (("A-1", 10),)))
    line = out.line()
    assert (line.units, line.held_units, line.hold_reason) == (2, 0, None)
    assert (line.authorization_id, line.authorization_draws) == ("A-2", ())
    # the next day's line counts A-2's two units: 8 left
    day2 = DAY + timedelta(days=1)
    counters = counted(82, (("A-1", 10), ("A-2", 2)))
    nxt = run(
        [ev("E2", "09:00", "11:30", day=day2)], authorizations=(fresh, used), counters=counters
    )
    assert (nxt.line(day=day2).units, nxt.line(day=day2).held_units) == (8, 2)


def test_authorization_units_are_drawn_down_day_by_day() -> None:
    # 10 authorized: day 1 takes 8, day 2 the last 2 (and holds 6), day 3 holds everything.
    a1 = auth("A-1", 10, last=DAY + timedelta(days=30))
    days = [DAY + timedelta(days=n) for n in range(3)]
    out = run([ev(f"E{n}", "09:00", "11:00", day=d) for n, d in enumerate(days)],
              authorizations=(a1,), counters=counted(80))  # fmt: skip
    assert [(out.line(day=d).units, out.line(day=d).held_units) for d in days] == [
        (8, 0), (2, 6), (0, 8),
    ]  # fmt: skip


# --- overlapping authorizations (docs/units.md, "Overlapping authorizations") -----------------


def covering(*units: int) -> tuple[Authorization, ...]:
    """Authorizations A-1, A-2, ... of P-1 covering DAY, ending in that order."""
    return tuple(
        auth(f"A-{n}", count, last=DAY + timedelta(days=n)) for n, count in enumerate(units, 1)
    )


def test_an_unused_next_authorization_gives_every_one_of_its_units() -> None:
    # A-1 used up, A-2 never drawn from (no counter yet): its 2 units are all there.
    out = run([ev("E1")], authorizations=covering(10, 2), counters=counted(80, (("A-1", 10),)))
    line = out.line()
    assert (line.units, line.held_units, line.hold_reason, line.authorization_id) == (
        2, 0, None, "A-2",
    )  # fmt: skip
    assert line.authorization_draws == ()


def test_a_line_draws_the_last_unit_from_the_next_authorization() -> None:
    # 4 units: 3 left on A-1, the 4th from A-2; A-3 covers too but is not needed.
    out = run([ev("E1", "09:00", "10:00")], authorizations=covering(10, 5, 5),
              counters=counted(80, (("A-1", 7),)))  # fmt: skip
    line = out.line()
    assert (line.units, line.held_units, line.hold_reason) == (4, 0, None)
    assert (line.authorization_id, line.authorization_draws) == ("A-1", (("A-1", 3), ("A-2", 1)))
    assert out.adj("E1").reasons == ()


def test_several_used_up_authorizations_are_named_together() -> None:
    # 4 units: 1 left on A-1, 1 on A-2; 2 held, and the detail names both.
    out = run([ev("E1", "09:00", "10:00")], authorizations=covering(10, 5),
              counters=counted(80, (("A-1", 9), ("A-2", 4))))  # fmt: skip
    line = out.line()
    assert (line.units, line.held_units, line.hold_reason) == (2, 2, R.AUTHORIZATION_EXHAUSTED)
    assert (line.authorization_id, line.authorization_draws) == ("A-1", (("A-1", 1), ("A-2", 1)))
    assert out.reason("E1", R.AUTHORIZATION_EXHAUSTED).detail == (
        "authorizations A-1, A-2 have no units left"
    )
    assert out.codes("E1") == {R.AUTHORIZATION_EXHAUSTED: 30}

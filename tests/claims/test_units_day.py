"""One member-day's arithmetic (billing-rules.md 1.1): minutes, lines, overlap, rounding and the
daily cap, each rule at its edges through the public engine.

Each test states the reason code, the status and the minutes it expects. Default context
(units_builders): a member of 36 with full data, rates for YP630 and YP630:BC, midpoint
rounding, cap 32, 64 units without authorization, no fidelity review, no authorizations.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from msgspec.structs import replace
from units_builders import BC_RATE, FEES, RATE, ev, money, run

from claims.model import (
    Activity,
    EventStatus,
    LineStatus,
    ReasonCode,
    Rounding,
    RuleSettings,
)
from claims.units import units_for_minutes
from claims.units.rounding import procedure_key

R = ReasonCode
BC = Activity.BENEFITS_COUNSELING
WHOLE = RuleSettings(rounding=Rounding.WHOLE)


# --- 1.1.1 minutes, 1.1.3 lines, 1.4 money ----------------------------------------------------


def test_minutes_are_end_minus_start_and_charge_is_units_times_rate() -> None:
    out = run([ev("E1", "09:10", "09:55")])
    assert (out.adj("E1").minutes, out.adj("E1").billable_minutes) == (45, 45)
    line = out.line()
    assert (line.units, line.held_units, line.status) == (3, 0, LineStatus.BILLABLE)
    assert (line.rate, line.charge) == (RATE, money(3, RATE))
    assert (line.procedure, line.modifiers, line.member_id, line.payer_id) == (
        "YP630", (), "M-1", "PAYER-1",
    )  # fmt: skip


def test_benefits_counseling_is_its_own_line_with_its_own_rate() -> None:
    out = run([ev("E1", "09:00", "09:30"), ev("E2", "10:00", "10:45", activity=BC)])
    plain, bc = out.line(), out.line(modifiers=("BC",))
    assert (plain.units, plain.event_ids, plain.charge) == (2, ("E1",), money(2, RATE))
    assert (bc.units, bc.event_ids, bc.procedure_key) == (3, ("E2",), "YP630:BC")
    assert bc.charge == money(3, FEES[0].rate("YP630:BC") or Decimal(0)) == money(3, BC_RATE)
    assert out.adj("E2").modifiers == ("BC",) and out.adj("E1").modifiers == ()


def test_an_adjudication_names_its_events_version_procedure_and_modifiers() -> None:
    # With and without reasons: E1 loses nothing, E2 (BC, version 3) drops 7 minutes.
    events = [
        ev("E1", "09:00", "09:30"),
        replace(ev("E2", "10:00", "10:22", activity=BC), version=3),
    ]
    out = run(events)
    assert out.adj("E1").reasons == () and out.adj("E2").reasons != ()
    plain, bc = out.adj("E1"), out.adj("E2")
    assert (plain.event_version, plain.procedure, plain.modifiers) == (1, "YP630", ())
    assert (bc.event_version, bc.procedure, bc.modifiers) == (3, "YP630", ("BC",))


def test_an_event_of_one_minute_that_loses_nothing_is_billable() -> None:
    # 22 + 1 minutes on one line make 2 units under midpoint rounding: nothing is dropped, and
    # E2's one minute is billed like any other (billing-rules 1.1.5).
    out = run([ev("E1", "09:00", "09:22"), ev("E2", "10:00", "10:01")])
    assert (out.line().minutes, out.line().units) == (23, 2)
    e2 = out.adj("E2")
    assert (e2.minutes, e2.billable_minutes, e2.reasons, e2.status) == (
        1, 1, (), EventStatus.BILLABLE,
    )  # fmt: skip


def test_minutes_of_two_lines_are_rounded_separately() -> None:
    # 7 + 7 minutes: one 14-minute line would make a unit; two 7-minute lines make none.
    out = run([ev("E1", "09:00", "09:07"), ev("E2", "10:00", "10:07", activity=BC)])
    assert out.line().units == 0 and out.line(modifiers=("BC",)).units == 0


def test_lines_are_per_provider() -> None:
    out = run(
        [ev("E1", "09:00", "09:23"), ev("E2", "10:00", "10:23", provider="P-2", staff="ESP-2")]
    )
    assert out.line("P-1").units == 2 and out.line("P-2").units == 2
    assert [line.provider_id for line in out.result.lines] == ["P-1", "P-2"]


def test_one_line_adds_the_minutes_of_all_its_events() -> None:
    # 5 + 5 minutes: no unit each, one unit together (floor(17 / 15) = 1), nothing dropped.
    out = run([ev("E1", "09:00", "09:05"), ev("E2", "14:00", "14:05")])
    assert (out.line().units, out.line().minutes, out.line().event_ids) == (1, 10, ("E1", "E2"))
    assert out.adj("E1").reasons == () and out.adj("E2").reasons == ()


# --- 1.1.4 overlap ----------------------------------------------------------------------------


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


def test_a_one_minute_overlap_is_removed() -> None:
    out = run([ev("E1", "09:00", "09:30"), ev("E2", "09:29", "10:00")])
    assert out.reason("E2", R.OVERLAPPING_TIME).minutes == 1
    assert (out.adj("E2").billable_minutes, out.line().minutes) == (30, 60)


def test_the_days_first_event_loses_nothing_to_overlap_even_at_midnight() -> None:
    out = run([ev("E1", "00:00", "00:30"), ev("E2", "00:30", "01:00")])
    assert out.adj("E1").reasons == () and out.adj("E2").reasons == ()
    assert (out.line().minutes, out.line().units) == (60, 4)


def test_back_to_back_events_do_not_overlap() -> None:
    out = run([ev("E1", "09:00", "09:30"), ev("E2", "09:30", "10:00")])
    assert out.adj("E2").reasons == () and out.line().minutes == 60


def test_an_event_wholly_overlapped_leaves_the_days_later_events_billed() -> None:
    # E2 lies inside E1 and adds nothing to any line; E3 and E4 after it are still billed,
    # on this line and on another provider's.
    out = run([
        ev("E1", "09:00", "10:00"), ev("E2", "09:15", "09:45"), ev("E3", "11:00", "11:30"),
        ev("E4", "12:00", "12:30", provider="P-2", staff="ESP-2"),
    ])  # fmt: skip
    assert out.codes("E2") == {R.OVERLAPPING_TIME: 30}
    assert out.adj("E2").status is EventStatus.EXCLUDED
    assert (out.line().event_ids, out.line().minutes, out.line().units) == (("E1", "E3"), 90, 6)
    assert (out.line("P-2").event_ids, out.line("P-2").units) == (("E4",), 2)
    assert out.adj("E3").reasons == () and out.adj("E4").reasons == ()


def test_an_event_left_with_one_minute_stays_on_its_line() -> None:
    # "E1" < "E2": E2 keeps its 38th minute, and the line's 38 minutes make 3 units (37 make 2).
    out = run([ev("E1", "09:00", "09:37"), ev("E2", "09:00", "09:38")])
    assert out.codes("E2") == {R.OVERLAPPING_TIME: 37}
    assert out.adj("E2").billable_minutes == 1 and out.adj("E2").status is EventStatus.PARTIAL
    assert (out.line().event_ids, out.line().minutes, out.line().units) == (("E1", "E2"), 38, 3)


def test_overlap_chain_loses_only_minutes_not_yet_covered() -> None:
    out = run([ev("E1", "09:00", "10:00"), ev("E2", "09:30", "10:30"), ev("E3", "10:15", "11:00")])
    assert out.codes("E2") == {R.OVERLAPPING_TIME: 30}
    assert out.codes("E3") == {R.OVERLAPPING_TIME: 15}
    # E1 ended at 10:00, before E3 started: only E2 is named.
    assert out.reason("E3", R.OVERLAPPING_TIME).detail == "overlaps event E2"
    assert out.line().minutes == 120


def test_overlap_names_only_the_events_still_running_at_its_start() -> None:
    # E1 ends at 10:00, exactly when E3 starts: only E2 overlaps E3.
    out = run([ev("E1", "09:00", "10:00"), ev("E2", "09:30", "10:30"), ev("E3", "10:00", "10:45")])
    assert out.reason("E3", R.OVERLAPPING_TIME).detail == "overlaps event E2"
    assert out.codes("E3") == {R.OVERLAPPING_TIME: 30}


def test_overlap_chain_loses_the_union_of_covered_minutes_once() -> None:
    # E3 09:45-11:00 is covered 09:45-10:30 (45 minutes, once, though E1 and E2 both cover
    # 09:45-10:00).
    out = run([ev("E1", "09:00", "10:00"), ev("E2", "09:30", "10:30"), ev("E3", "09:45", "11:00")])
    assert out.codes("E3") == {R.OVERLAPPING_TIME: 45}
    assert out.adj("E3").billable_minutes == 30
    assert (out.line().minutes, out.line().units) == (120, 8)


def test_an_event_inside_the_union_of_two_earlier_ones_loses_everything() -> None:
    out = run([ev("E1", "09:00", "10:00"), ev("E2", "09:50", "10:30"), ev("E3", "09:55", "10:20")])
    assert out.codes("E3") == {R.OVERLAPPING_TIME: 25}
    assert out.reason("E3", R.OVERLAPPING_TIME).detail == "overlaps event E1, E2"
    assert out.adj("E3").status is EventStatus.EXCLUDED


def test_overlap_with_a_gap_in_the_chain() -> None:
    # E3 starts at 09:30, after E1 and before E2: it loses 09:30-10:00 to E1, and E2 (10:30,
    # starting later) loses 10:30-11:00 to E3.
    out = run([ev("E1", "09:00", "10:00"), ev("E2", "10:30", "11:00"), ev("E3", "09:30", "11:15")])
    assert out.codes("E3") == {R.OVERLAPPING_TIME: 30}
    assert out.codes("E2") == {R.OVERLAPPING_TIME: 30}
    assert out.adj("E2").status is EventStatus.EXCLUDED


def test_overlap_counts_across_providers() -> None:
    other = ev("E2", "09:00", "09:30", provider="P-2", staff="ESP-2")
    out = run([other, ev("E1", "09:00", "09:30")])
    assert out.codes("E2") == {R.OVERLAPPING_TIME: 30}
    assert [line.provider_id for line in out.result.lines] == ["P-1"]


# --- 1.1.5 rounding ---------------------------------------------------------------------------


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
    assert out.reason("E1", R.BELOW_UNIT_THRESHOLD).detail == (
        "7 of the line's 22 min dropped by midpoint rounding"
    )
    assert (out.adj("E1").billable_minutes, out.adj("E1").status) == (15, EventStatus.PARTIAL)
    assert out.line().units == 1


def test_twenty_three_minutes_round_up_to_two_units_dropping_nothing() -> None:
    out = run([ev("E1", "09:00", "09:23")])
    assert (out.adj("E1").billable_minutes, out.adj("E1").reasons) == (23, ())
    assert out.adj("E1").status is EventStatus.BILLABLE
    assert (out.line().units, out.line().minutes, out.line().charge) == (2, 23, money(2, RATE))


def test_one_minute_dropped_by_rounding_is_reported() -> None:
    out = run([ev("E1", "09:00", "09:31")])  # 2 units = 30 minutes
    assert out.codes("E1") == {R.BELOW_UNIT_THRESHOLD: 1}
    assert (out.adj("E1").billable_minutes, out.line().units) == (30, 2)


@pytest.mark.parametrize(("minutes", "units"), [(7, 0), (8, 0), (14, 0), (15, 1), (29, 1), (30, 2)])
def test_whole_rounding_counts_whole_quarter_hours(minutes: int, units: int) -> None:
    out = run([ev("E1", "09:00", f"09:{minutes:02d}")], settings=WHOLE)
    assert out.line().units == units == units_for_minutes(minutes, Rounding.WHOLE)
    dropped = minutes - units * 15
    assert out.adj("E1").billable_minutes == units * 15
    assert out.codes("E1") == ({R.BELOW_UNIT_THRESHOLD: dropped} if dropped else {})


def test_units_for_minutes_edges() -> None:
    midpoint = [units_for_minutes(m, Rounding.MIDPOINT) for m in (0, 7, 8, 22, 23, 37, 38)]
    assert midpoint == [0, 0, 1, 1, 2, 2, 3]
    assert [units_for_minutes(m, Rounding.WHOLE) for m in (0, 14, 15, 29, 30)] == [0, 0, 1, 1, 2]


def test_a_lines_fee_schedule_key_is_the_procedure_and_its_modifiers() -> None:
    # The two keys lines use now are ready-made; any other modifiers join the same way.
    assert procedure_key(()) == "YP630"
    assert procedure_key(("BC",)) == "YP630:BC"
    assert procedure_key(("BC", "HN")) == "YP630:BC:HN"


def test_rounding_remainder_is_reported_on_the_days_last_event_of_the_line() -> None:
    out = run([ev("E2", "13:00", "13:10"), ev("E1", "09:00", "09:12")])  # 22 min: 7 dropped
    assert out.codes("E2") == {R.BELOW_UNIT_THRESHOLD: 7}
    assert out.adj("E1").reasons == ()
    assert out.line().event_ids == ("E1", "E2")


def test_rounding_remainder_spills_to_earlier_events_when_the_last_is_short() -> None:
    out = run([ev("E1", "09:00", "09:20"), ev("E2", "10:00", "10:02")])  # 22 min: 7 dropped
    assert out.codes("E2") == {R.BELOW_UNIT_THRESHOLD: 2}
    assert out.codes("E1") == {R.BELOW_UNIT_THRESHOLD: 5}
    assert out.adj("E1").billable_minutes == 15
    assert out.adj("E2").status is EventStatus.EXCLUDED


# --- 1.1.6 daily cap --------------------------------------------------------------------------


def test_exactly_thirty_two_units_are_all_billable() -> None:
    out = run([ev("E1", "08:00", "12:00"), ev("E2", "13:00", "17:00")])
    assert (out.line().units, out.adj("E1").reasons, out.adj("E2").reasons) == (32, (), ())


def test_the_thirty_third_unit_comes_off_the_last_event() -> None:
    out = run([ev("E1", "08:00", "12:00"), ev("E2", "13:00", "17:15")])
    assert (out.line().units, out.line().held_units) == (32, 0)
    assert out.adj("E1").reasons == ()
    cap = out.reason("E2", R.DAILY_CAP)
    assert (cap.minutes, cap.detail) == (15, "member reached 32 units on 2026-03-02")
    assert (out.adj("E2").status, out.adj("E2").billable_minutes) == (EventStatus.PARTIAL, 240)


def test_cap_takes_units_from_the_line_whose_minutes_came_last() -> None:
    early = ev("E1", "08:00", "14:00")  # 24 units
    late = ev("E2", "14:00", "16:30", activity=BC)  # 10 units
    out = run([late, early])
    assert out.line().units == 24 and out.line(modifiers=("BC",)).units == 8
    assert out.codes("E2") == {R.DAILY_CAP: 30} and out.adj("E1").reasons == ()


def test_cap_spills_to_the_earlier_line_when_the_last_is_used_up() -> None:
    # 33 + 2 units: the BC line (last) loses its 2, the plain line the remaining 1.
    out = run([ev("E1", "08:00", "16:15"), ev("E2", "17:00", "17:30", activity=BC)])
    bc, plain = out.line(modifiers=("BC",)), out.line()
    assert (bc.units, bc.status, plain.units) == (0, LineStatus.EXCLUDED, 32)
    assert out.codes("E2") == {R.DAILY_CAP: 30}
    assert out.adj("E2").status is EventStatus.EXCLUDED
    assert out.codes("E1") == {R.DAILY_CAP: 15}


def test_cap_spills_across_providers_too() -> None:
    out = run(
        [ev("E1", "08:00", "16:00"), ev("E2", "16:00", "16:30", provider="P-2", staff="ESP-2")]
    )
    assert out.line("P-2").units == 0 and out.line("P-2").status is LineStatus.EXCLUDED
    assert out.codes("E2") == {R.DAILY_CAP: 30}
    assert out.line("P-1").units == 32 and out.adj("E1").reasons == ()


def test_cap_does_not_call_an_untouched_zero_unit_line_capped() -> None:
    # A 7-minute BC line ends last but has no unit to give: its minutes are a rounding drop,
    # and the 33rd unit comes off the plain line.
    out = run([ev("E1", "08:00", "16:15"), ev("E2", "17:00", "17:07", activity=BC)])
    assert out.codes("E2") == {R.BELOW_UNIT_THRESHOLD: 7}
    assert out.codes("E1") == {R.DAILY_CAP: 15}
    assert out.line().units == 32


def test_a_capped_line_reports_its_rounding_remainder_as_daily_cap() -> None:
    # 31 units + a 37-minute line (2 units, 7 dropped) -> the late line keeps 1 unit = 15 min.
    out = run([ev("E1", "08:00", "15:45"), ev("E2", "16:00", "16:37", activity=BC)])
    assert out.line(modifiers=("BC",)).units == 1
    assert out.codes("E2") == {R.DAILY_CAP: 22}


def test_cap_is_a_profile_setting() -> None:
    out = run([ev("E1", "09:00", "11:00")], settings=RuleSettings(daily_unit_cap=4))
    assert out.line().units == 4
    assert out.codes("E1") == {R.DAILY_CAP: 60}
    assert out.reason("E1", R.DAILY_CAP).detail == "member reached 4 units on 2026-03-02"

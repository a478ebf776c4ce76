"""How far a change can reach (claims.units.reach; docs/units.md, "What a change can move")."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from units_builders import DAY, MEMBER, PAYER, context, ev

from claims.model import Authorization, RuleSettings, UnitCounters
from claims.units import adjudicate_member
from claims.units.reach import counted, settled, under_allowance, window_end

NOTHING = UnitCounters()
A1 = Authorization("A-1", MEMBER.member_id, "P-1", PAYER, DAY, DAY + timedelta(days=9), 8)


def test_equal_counts_are_settled_whatever_the_limits() -> None:
    counts = {("P-1", ""): 3, ("P-1", "A-1"): 2}
    assert settled(NOTHING, counts, dict(counts), 64, (), DAY)


def test_a_provider_count_settles_only_when_past_the_allowance_both_before_and_after() -> None:
    before = UnitCounters(by_provider=(("P-1", 60),))
    assert not settled(before, {("P-1", ""): 3}, {("P-1", ""): 10}, 64, (), DAY)
    assert settled(before, {("P-1", ""): 4}, {("P-1", ""): 10}, 64, (), DAY)
    assert not settled(before, {("P-1", ""): 10}, {("P-1", ""): 3}, 64, (), DAY)


def test_an_authorization_settles_when_used_up_both_ways_or_ended() -> None:
    before = UnitCounters(by_provider=(("P-1", 100),), by_authorization=(("A-1", 4),))
    used_up, short = {("P-1", "A-1"): 4}, {("P-1", "A-1"): 3}
    assert settled(before, used_up, {("P-1", "A-1"): 6}, 64, (A1,), DAY)
    assert not settled(before, short, used_up, 64, (A1,), DAY)
    assert not settled(before, used_up, short, 64, (A1,), DAY)
    assert settled(before, short, used_up, 64, (A1,), A1.end_date)  # no later day draws
    assert not settled(before, short, used_up, 64, (A1,), A1.end_date - timedelta(days=1))
    assert not settled(before, short, used_up, 64, (), A1.end_date)  # unknown: never assumed


def test_the_window_ends_where_the_stored_counts_run_out() -> None:
    """A change adding 2 units on day 0 (the provider at 10 of 16 before it): stored later
    days of 3 units reach the allowance on day 2 (16 stored; 18 after the change)."""
    before = UnitCounters(by_provider=(("P-1", 10),))
    later = [(DAY + timedelta(days=n), {("P-1", ""): 3}) for n in (1, 2, 3)]
    old, new = {("P-1", ""): 0}, {("P-1", ""): 2}
    assert window_end(before, old, new, DAY, later, 16, ()) == DAY + timedelta(days=2)
    assert window_end(before, old, new, DAY, later[:1], 16, ()) is None
    assert window_end(before, old, new, DAY, later, 10, ()) == DAY  # used up before it
    assert window_end(before, old, new, DAY, [], 64, ()) is None


def test_a_shorter_first_day_moves_the_authorizations_last_units_two_days_on() -> None:
    """8 authorized units, 4 a day: used up on day 1. Day 0 made 2 units shorter, day 2
    draws the 2 units left: counts are settled after day 2 (not after day 1, where only the
    stored count was used up), and the days after it bill as before."""
    days = [DAY + timedelta(days=n) for n in range(4)]
    events = [ev(f"E{n}", "09:00", "10:00", day=d) for n, d in enumerate(days)]
    shorter = [ev("E0", "09:00", "09:30", day=days[0]), *events[1:]]
    rules = context(authorizations=(A1,), settings=RuleSettings(units_without_authorization=0))
    old, new = adjudicate_member(events, rules), adjudicate_member(shorter, rules)

    def window(result: object, through: date) -> dict[tuple[str, str], int]:
        return counted(ln for ln in result.lines if ln.service_date <= through)  # type: ignore[attr-defined]

    for through, expected in ((days[1], False), (days[2], True)):
        was, now = window(old, through), window(new, through)
        assert settled(NOTHING, was, now, 0, (A1,), through) is expected
    assert [ln.units for ln in old.lines] == [4, 4, 0, 0]
    assert [ln.units for ln in new.lines] == [2, 4, 2, 0]


def test_a_kept_total_under_the_allowance_lets_no_later_day_move() -> None:
    """billing-rules 1.2: while a provider's total stays within the 64 units allowed without
    authorization, no line of it is held for want of one, whatever day the units moved on."""
    old, more = {("P-1", ""): 4}, {("P-1", ""): 10}
    assert under_allowance({"P-1": 40}, old, more, 64)
    assert under_allowance({"P-1": 58}, old, more, 64)  # 64 after: still nothing held
    assert not under_allowance({"P-1": 59}, old, more, 64)  # 65 after
    assert not under_allowance({"P-1": 64}, old, old | {("P-1", ""): 3}, 64)  # 64 before
    moved = {("P-1", "A-1"): 5}
    assert not under_allowance({"P-1": 10}, {("P-1", "A-1"): 4}, moved, 64)  # authorized units
    assert under_allowance({"P-1": 64}, old, dict(old), 64)  # nothing moved


# --- a count on one side only (the other side's days counted nothing there) -------------------


def _line(provider: str, auth: str | None, units: int, draws: tuple[tuple[str, int], ...] = ()):  # type: ignore[no-untyped-def]
    return SimpleNamespace(
        provider_id=provider, authorization_id=auth, auth_units=units, authorization_draws=draws
    )


def test_counted_sums_each_provider_and_authorization_and_keys_the_unauthorized_by_blank() -> None:
    lines = [
        _line("P-1", None, 3),
        _line("P-1", None, 2),
        _line("P-1", "A-1", 4),
        _line("P-1", "A-1", 6, draws=(("A-1", 2), ("A-2", 4))),
        _line("P-1", "A-1", 5, draws=(("A-1", 5),)),
        _line("P-2", None, 0),
    ]
    assert counted(lines) == {("P-1", ""): 5, ("P-1", "A-1"): 11, ("P-1", "A-2"): 4}


def test_a_provider_counted_on_one_side_only_has_moved() -> None:
    assert not settled(NOTHING, {("P-1", ""): 1}, {}, 64, (), DAY)
    assert not settled(NOTHING, {}, {("P-1", ""): 1}, 64, (), DAY)
    assert not settled(NOTHING, {("P-1", ""): 64}, {}, 64, (), DAY)  # 64 before, none after
    assert settled(NOTHING, {}, {}, 64, (), DAY)


def test_a_provider_settles_when_it_ends_exactly_at_the_allowance() -> None:
    before = UnitCounters(by_provider=(("P-1", 60),))
    assert settled(before, {("P-1", ""): 10}, {("P-1", ""): 4}, 64, (), DAY)  # 70 and 64
    assert settled(before, {("P-1", ""): 4}, {("P-1", ""): 10}, 64, (), DAY)  # 64 and 70


def test_an_authorization_counted_on_one_side_only_has_moved() -> None:
    past = UnitCounters(by_provider=(("P-1", 100),))  # the provider's count is settled
    assert not settled(past, {("P-1", "A-1"): 1}, {}, 64, (A1,), DAY)
    assert not settled(past, {}, {("P-1", "A-1"): 1}, 64, (A1,), DAY)
    assert not settled(past, {("P-1", "A-1"): 8}, {}, 64, (A1,), DAY)  # used up before only


def test_an_authorization_settles_when_it_ends_exactly_used_up() -> None:
    before = UnitCounters(by_provider=(("P-1", 100),), by_authorization=(("A-1", 4),))
    assert settled(before, {("P-1", "A-1"): 6}, {("P-1", "A-1"): 4}, 64, (A1,), DAY)  # 10 and 8


def test_the_window_can_end_on_the_changed_day_itself_when_its_authorization_is_used_up() -> None:
    used_up = UnitCounters(by_provider=(("P-1", 100),), by_authorization=(("A-1", 8),))
    old, new = {("P-1", "A-1"): 1}, {("P-1", "A-1"): 2}
    assert window_end(used_up, old, new, DAY, [], 64, (A1,)) == DAY


def test_the_window_ends_on_the_day_the_authorization_ends() -> None:
    before = UnitCounters(by_provider=(("P-1", 100),))
    old, new = {("P-1", "A-1"): 2}, {("P-1", "A-1"): 3}
    later = [(DAY + timedelta(days=4), {}), (A1.end_date, {})]
    assert window_end(before, old, new, DAY, later, 64, (A1,)) == A1.end_date


def test_later_days_of_another_provider_count_the_same_on_both_sides() -> None:
    """P-1 reaches the allowance (16) on the next day both ways; P-2, which only the later day
    counts, counts the same before and after the change."""
    before = UnitCounters(by_provider=(("P-1", 15),))
    later = [(DAY + timedelta(days=1), {("P-1", ""): 1, ("P-2", ""): 3})]
    old, new = {("P-1", ""): 0}, {("P-1", ""): 2}
    assert window_end(before, old, new, DAY, later, 16, ()) == DAY + timedelta(days=1)


def test_units_moved_on_one_side_only_are_judged_against_the_allowance() -> None:
    assert not under_allowance({"P-1": 62}, {}, {("P-1", ""): 5}, 64)  # 67 after
    assert under_allowance({"P-1": 60}, {}, {("P-1", ""): 4}, 64)  # 64 after
    assert not under_allowance({"P-1": 61}, {}, {("P-1", ""): 4}, 64)  # 65 after
    assert under_allowance({"P-1": 62}, {("P-1", ""): 4}, {}, 64)  # 58 after
    assert not under_allowance({"P-1": 64}, {("P-1", ""): 1}, {}, 64)  # at the allowance before
    assert not under_allowance({"P-1": 64}, {}, {("P-1", ""): 1}, 64)
    assert not under_allowance({"P-1": 10}, {}, {("P-1", "A-1"): 1}, 64)  # authorized units


def test_a_zero_count_on_one_side_is_no_move() -> None:
    assert under_allowance({"P-1": 64}, {("P-1", ""): 0}, {}, 64)
    assert under_allowance({"P-1": 64}, {}, {("P-1", ""): 0}, 64)


def test_a_provider_with_no_kept_total_starts_from_nothing() -> None:
    assert under_allowance({}, {}, {("P-1", ""): 64}, 64)
    assert not under_allowance({}, {}, {("P-1", ""): 65}, 64)

"""Properties of the units engine over random member histories (hypothesis).

Invariants tested, for every generated history:
* every event: minutes == billable_minutes + sum(reason minutes), no negative minutes, and the
  status follows from those minutes (billable / partial / held / excluded);
* every member-day: sum(units + held_units) over its lines <= daily_unit_cap;
* every line: its events' billable minutes are units*15 (whole rounding, or a partly held line)
  or between units*15 - 7 and units*15 (midpoint rounding up); held_units > 0 exactly when its
  events hold minutes; charge == units x rate (0.00 without a rate);
* the result does not depend on the input order of the events;
* adjudicating the days >= D with counters taken from the earlier days' lines equals the full
  run for those days.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace
from test_units_builders import DAY, FEES, MEMBER, PAYER, RATE

from claims.model import (
    HOLD_REASONS,
    Activity,
    Authorization,
    Contact,
    EipdAuthorization,
    EventStatus,
    FeeSchedule,
    LineStatus,
    MemberContext,
    MemberResult,
    Rounding,
    RuleSettings,
    ServiceEvent,
    Setting,
    Staff,
    StaffRole,
    UnitCounters,
)
from claims.money import line_charge
from claims.units import adjudicate_member

STAFF = {"P-1": ("ESP-1", "EPM-1"), "P-2": ("ESP-2",)}
ROLES = (
    Staff("P-1", "ESP-1", StaffRole.ESP),
    Staff("P-1", "EPM-1", StaffRole.EPM),
    Staff("P-2", "ESP-2", StaffRole.ESP),
)
BILLABLE = [a for a in Activity if a.value not in {"travel", "team_meeting", "documentation"}]


@st.composite
def events(draw: st.DrawFn) -> list[ServiceEvent]:
    count = draw(st.integers(0, 24))
    out = []
    for n in range(count):
        provider = draw(st.sampled_from(sorted(STAFF)))
        start = draw(st.integers(7 * 60, 18 * 60)) if n == 0 or draw(st.booleans()) else 9 * 60
        length = draw(st.integers(1, 5 * 60))
        weird = draw(st.integers(0, 9)) == 0  # now and then an event the rules exclude
        out.append(
            ServiceEvent(
                event_id=f"E{n:03d}",
                member_id=MEMBER.member_id,
                provider_id=provider,
                staff_id=draw(st.sampled_from(STAFF[provider])),
                service_date=DAY + timedelta(days=draw(st.integers(0, 3))),
                start_time=time(*divmod(start, 60)),
                end_time=time(*divmod(min(start + length, 23 * 60 + 59), 60)),
                activity=draw(st.sampled_from(list(Activity) if weird else BILLABLE)),
                contact=Contact.NONE if weird and draw(st.booleans()) else Contact.PHONE,
                setting=Setting.GROUP if weird and draw(st.booleans()) else Setting.INDIVIDUAL,
                note_id=None if draw(st.integers(0, 7)) == 0 else f"N{n}",
                voided=draw(st.integers(0, 15)) == 0,
            )
        )
    return out


@st.composite
def contexts(draw: st.DrawFn) -> MemberContext:
    rules = RuleSettings(
        rounding=draw(st.sampled_from(list(Rounding))),
        daily_unit_cap=draw(st.integers(1, 40)),
        units_without_authorization=draw(st.integers(0, 80)),
    )
    auths: tuple[Authorization, ...] = ()
    if draw(st.booleans()):
        end = DAY + timedelta(days=draw(st.integers(0, 3)))
        units = draw(st.integers(0, 60))
        auths = (Authorization("A-1", MEMBER.member_id, "P-1", PAYER, DAY, end, units),)
    fees = FEES if draw(st.booleans()) else (FeeSchedule(PAYER, DAY, (("YP630", RATE),)),)
    eipd = (
        EipdAuthorization("D-1", MEMBER.member_id, "P-1", "3-C", DAY + timedelta(days=2), None),
    )
    return MemberContext(
        member=replace(MEMBER, dvr_shared_case=draw(st.booleans())),
        settings=rules,
        staff=ROLES,
        authorizations=auths,
        eipd_authorizations=eipd,
        fee_schedules=fees,
        counters=UnitCounters(by_provider=(("P-1", draw(st.integers(0, 70))),)),
    )


@settings(max_examples=300, deadline=None)
@given(events(), contexts())
def test_every_minute_is_accounted_for(history: list[ServiceEvent], ctx: MemberContext) -> None:
    result = adjudicate_member(history, ctx)
    assert sorted(a.event_id for a in result.adjudications) == sorted(e.event_id for e in history)
    for adj in result.adjudications:
        assert adj.minutes == adj.billable_minutes + sum(r.minutes for r in adj.reasons)
        assert adj.billable_minutes >= 0 and all(r.minutes >= 0 for r in adj.reasons)
        held = sum(r.minutes for r in adj.reasons if r.code in HOLD_REASONS)
        assert adj.status is expected_status(adj.minutes, adj.billable_minutes, held)
        assert len({r.code for r in adj.reasons}) == len(adj.reasons)


def expected_status(minutes: int, billable: int, held: int) -> EventStatus:
    if billable == 0:
        return EventStatus.HELD if held else EventStatus.EXCLUDED
    return EventStatus.BILLABLE if billable == minutes else EventStatus.PARTIAL


@settings(max_examples=300, deadline=None)
@given(events(), contexts())
def test_lines_respect_the_cap_and_match_their_events(
    history: list[ServiceEvent], ctx: MemberContext
) -> None:
    result = adjudicate_member(history, ctx)
    per_day: dict[date, int] = defaultdict(int)
    adjudications = {a.event_id: a for a in result.adjudications}
    for line in result.lines:
        per_day[line.service_date] += line.units + line.held_units
        mine = [adjudications[e] for e in line.event_ids]
        billable = sum(a.billable_minutes for a in mine)
        held = sum(r.minutes for a in mine for r in a.reasons if r.code in HOLD_REASONS)
        slack = 7 if ctx.settings.rounding is Rounding.MIDPOINT and not line.held_units else 0
        assert line.units * 15 - slack <= billable <= line.units * 15
        assert (held > 0) == (line.held_units > 0)
        expected_charge = (
            Decimal("0.00") if line.rate is None else line_charge(line.units, line.rate)
        )
        assert line.charge == expected_charge
        assert line.status is (
            LineStatus.BILLABLE if line.units
            else LineStatus.HELD if line.held_units else LineStatus.EXCLUDED
        )  # fmt: skip
    assert all(total <= ctx.settings.daily_unit_cap for total in per_day.values())


@settings(max_examples=200, deadline=None)
@given(events(), contexts(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(
    history: list[ServiceEvent], ctx: MemberContext, rnd: random.Random
) -> None:
    shuffled = list(history)
    rnd.shuffle(shuffled)
    assert adjudicate_member(shuffled, ctx) == adjudicate_member(history, ctx)


@settings(max_examples=200, deadline=None)
@given(events(), contexts(), st.integers(0, 4))
def test_adjudicating_from_a_date_with_counters_equals_the_full_run(
    history: list[ServiceEvent], ctx: MemberContext, offset: int
) -> None:
    split = DAY + timedelta(days=offset)
    full = adjudicate_member(history, ctx)
    later = [e for e in history if e.service_date >= split]
    part = adjudicate_member(later, replace(ctx, counters=counters_before(full, ctx, split)))
    assert part == only_from(full, split, {e.event_id for e in later})


def counters_before(result: MemberResult, ctx: MemberContext, split: date) -> UnitCounters:
    by_provider = defaultdict(int, dict(ctx.counters.by_provider))
    by_auth = defaultdict(int, dict(ctx.counters.by_authorization))
    for line in result.lines:
        if line.service_date < split:
            by_provider[line.provider_id] += line.auth_units
            if line.authorization_id:
                by_auth[line.authorization_id] += line.auth_units
    return UnitCounters(tuple(sorted(by_provider.items())), tuple(sorted(by_auth.items())))


def only_from(result: MemberResult, split: date, event_ids: set[str]) -> MemberResult:
    return MemberResult(
        tuple(a for a in result.adjudications if a.event_id in event_ids),
        tuple(line for line in result.lines if line.service_date >= split),
    )

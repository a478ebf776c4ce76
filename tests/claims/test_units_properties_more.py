"""Properties of the units engine over random caseloads of one member (billing-rules.md 1).

Random days of events (overlaps, both line kinds, two providers, missing notes, voids, excluded
activities) against random context (rounding, cap, counters, authorizations, fee schedules).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from claims.model import (
    HOLD_REASONS,
    Activity,
    Adjudication,
    Authorization,
    Contact,
    EipdAuthorization,
    FeeSchedule,
    FidelityReview,
    Member,
    MemberContext,
    MemberResult,
    Rounding,
    RuleSettings,
    ServiceEvent,
    Setting,
    Staff,
    StaffRole,
    UnitCounters,
    UnitLine,
)
from claims.money import line_charge
from claims.units import adjudicate_member, units_for_minutes

FIRST = date(2026, 3, 2)
PROVIDERS = ("P1", "P2")
STAFF = tuple(
    Staff(p, f"{r.value}-{p}", r) for p in PROVIDERS for r in (StaffRole.ESP, StaffRole.EPM)
)
DIRECT = (
    Activity.JOB_SEARCH,
    Activity.JOB_SUPPORT,
    Activity.BENEFITS_COUNSELING,
    Activity.INTAKE,
    Activity.JOB_DEVELOPMENT,
)


@st.composite
def events(draw: st.DrawFn) -> list[ServiceEvent]:
    count = draw(st.integers(1, 24))
    found = []
    for number in range(count):
        start = draw(st.integers(6 * 60, 20 * 60))
        length = draw(st.integers(1, 240))
        end = min(start + length, 23 * 60 + 59)
        provider = draw(st.sampled_from(PROVIDERS))
        found.append(
            ServiceEvent(
                event_id=f"E{number:03d}",
                member_id="M1",
                provider_id=provider,
                staff_id=draw(
                    st.sampled_from([s.staff_id for s in STAFF if s.provider_id == provider])
                ),
                service_date=FIRST + timedelta(days=draw(st.integers(0, 5))),
                start_time=time(start // 60, start % 60),
                end_time=time(end // 60, end % 60),
                activity=draw(st.sampled_from(DIRECT) | st.sampled_from(list(Activity))),
                contact=draw(st.sampled_from([Contact.IN_PERSON] * 8 + [Contact.NONE])),
                setting=draw(st.sampled_from([Setting.INDIVIDUAL] * 8 + [Setting.GROUP])),
                note_id=draw(st.sampled_from(["N"] * 6 + [None])),
                voided=draw(st.integers(0, 9)) == 0,
            )
        )
    return found


@st.composite
def contexts(draw: st.DrawFn) -> MemberContext:
    day = st.integers(0, 5).map(lambda n: FIRST + timedelta(days=n))
    authorizations = tuple(
        Authorization(
            f"A{i}",
            "M1",
            draw(st.sampled_from(PROVIDERS)),
            "PAY",
            start,
            start + timedelta(days=draw(st.integers(0, 5))),
            draw(st.integers(0, 40)),
        )
        for i, start in enumerate(draw(st.lists(day, max_size=2)))
    )
    fees = (
        FeeSchedule(
            "PAY", date(2026, 1, 1), (("YP630", Decimal("8.75")), ("YP630:BC", Decimal("11.40")))
        ),
        FeeSchedule("PAY", draw(day), (("YP630", Decimal("9.15")),)),
    )
    return MemberContext(
        member=Member(
            "M1",
            "PAY",
            draw(st.sampled_from([date(1990, 1, 1)] * 3 + [date(2010, 3, 4)])),  # 16 on 3-4
            subscriber_id="S",
            diagnoses=draw(st.sampled_from([("F20.9",)] * 5 + [()])),
            dvr_shared_case=draw(st.booleans()),
        ),
        settings=RuleSettings(
            rounding=draw(st.sampled_from(list(Rounding))),
            daily_unit_cap=draw(st.sampled_from([32, 32, 6, 12])),
            units_without_authorization=draw(st.sampled_from([64, 64, 10])),
        ),
        staff=STAFF,
        fidelity_reviews=tuple(
            FidelityReview("P2", "R1", draw(st.integers(60, 90)), d)
            for d in draw(st.lists(day, max_size=1))
        ),
        authorizations=authorizations,
        eipd_authorizations=tuple(
            EipdAuthorization("X1", "M1", "P1", "3-C", d, None)
            for d in draw(st.lists(day, max_size=1))
        ),
        fee_schedules=draw(st.sampled_from([fees, fees, ()])),
        counters=UnitCounters(
            by_provider=(("P1", draw(st.integers(0, 70))),),
            by_authorization=tuple(
                (a.authorization_id, draw(st.integers(0, 10))) for a in authorizations[:1]
            ),
        ),
    )


def sorted_result(result: MemberResult) -> tuple[list[Adjudication], list[UnitLine]]:
    return (
        sorted(result.adjudications, key=lambda a: a.event_id),
        sorted(result.lines, key=lambda x: (x.service_date, x.provider_id, x.modifiers)),
    )


@settings(max_examples=300, deadline=None)
@given(events(), contexts())
def test_every_minute_is_billed_or_explained(
    evs: list[ServiceEvent], context: MemberContext
) -> None:
    result = adjudicate_member(evs, context)
    assert sorted(a.event_id for a in result.adjudications) == sorted(e.event_id for e in evs)
    for event, found in zip(
        sorted(evs, key=lambda e: e.event_id), sorted_result(result)[0], strict=True
    ):
        assert found.minutes == event.minutes
        explained = sum(r.minutes for r in found.reasons)
        assert found.billable_minutes + explained == event.minutes
        assert all(r.minutes >= 0 for r in found.reasons)


@settings(max_examples=300, deadline=None)
@given(events(), contexts())
def test_no_member_day_exceeds_the_cap_and_lines_match_their_minutes(
    evs: list[ServiceEvent], context: MemberContext
) -> None:
    result = adjudicate_member(evs, context)
    by_id = {a.event_id: a for a in result.adjudications}
    per_day: dict[date, int] = defaultdict(int)
    for line in result.lines:
        per_day[line.service_date] += line.units + line.held_units
        billed = sum(by_id[e].billable_minutes for e in line.event_ids)
        held = sum(
            r.minutes for e in line.event_ids for r in by_id[e].reasons if r.code in HOLD_REASONS
        )
        # The billable minutes of a line's events make exactly its billable units, and minutes
        # are held exactly when units are.
        assert units_for_minutes(billed, context.settings.rounding) == line.units
        assert (held > 0) == (line.held_units > 0)
        assert line.auth_units == line.units
        if line.rate is not None:
            assert line.charge == line_charge(line.units, line.rate)
    assert all(units <= context.settings.daily_unit_cap for units in per_day.values())


@settings(max_examples=200, deadline=None)
@given(events(), contexts(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(
    evs: list[ServiceEvent], context: MemberContext, rnd: random.Random
) -> None:
    shuffled = list(evs)
    rnd.shuffle(shuffled)
    assert sorted_result(adjudicate_member(shuffled, context)) == sorted_result(
        adjudicate_member(evs, context)
    )
    assert adjudicate_member(list(reversed(evs)), context) == adjudicate_member(evs, context)


@settings(max_examples=300, deadline=None)
@given(events(), contexts(), st.integers(1, 5))
def test_adjudicating_from_a_date_with_counters_equals_the_full_run(
    evs: list[ServiceEvent], context: MemberContext, offset: int
) -> None:
    split = FIRST + timedelta(days=offset)
    full = adjudicate_member(evs, context)
    by_provider: dict[str, int] = defaultdict(int, dict(context.counters.by_provider))
    by_auth: dict[str, int] = defaultdict(int, dict(context.counters.by_authorization))
    for line in full.lines:
        if line.service_date < split:
            by_provider[line.provider_id] += line.auth_units
            if line.authorization_id is not None:
                by_auth[line.authorization_id] += line.auth_units
    later = [e for e in evs if e.service_date >= split]
    counters = UnitCounters(tuple(sorted(by_provider.items())), tuple(sorted(by_auth.items())))
    part = adjudicate_member(later, replace(context, counters=counters))
    later_ids = {e.event_id for e in later}
    assert part.adjudications == tuple(a for a in full.adjudications if a.event_id in later_ids)
    assert part.lines == tuple(x for x in full.lines if x.service_date >= split)

"""Properties of the units engine over random member histories (billing-rules.md 1; hypothesis).

Two generators, one per kind of history, feed every property:
* ``quiet_histories``: up to 24 events over 4 days of the shared member (units_builders), long
  events, now and then an excluded one, random cap (1-40), allowance (0-80) and counters, one
  authorization of P-1, an EIPD 3-C milestone from the third day;
* ``busy_histories``: 1-24 events over 6 days of another member with both line kinds, two
  providers, missing notes, voids, excluded activities, a 16th birthday, missing diagnoses,
  fidelity reviews, up to two authorizations of either provider, a rate change mid-period or no
  fee schedule at all.

Invariants tested, for every generated history:
* every event: minutes == end - start == billable_minutes + sum(reason minutes), no negative
  minutes, one reason per code, and the status follows from those minutes;
* every member-day: sum(units + held_units) over its lines <= daily_unit_cap;
* every line: its events' billable minutes make exactly its units (units*15 when capped or
  partly held; within units*15 - 7 under midpoint rounding), held_units > 0 exactly when its
  events hold minutes, auth_units == units, charge == units x rate (0.00 without a rate), and
  the status follows from units and held_units;
* the result does not depend on the input order of the events;
* adjudicating the days >= D with counters taken from the earlier days' lines equals the full
  run for those days.

And of the minute account every rule writes to (``claims.units.ledger.Ledger``), for any
sequence of losses: one Reason per code, in the order the codes were first met, with the minutes
summed and each detail listed once (joined by "; "); billable minutes are what is left.
"""

from __future__ import annotations

import os
import random
from collections import defaultdict
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace
from units_builders import DAY, FEES, MEMBER, PAYER, RATE, ev

from claims.model import (
    HOLD_REASONS,
    Activity,
    Authorization,
    Contact,
    EipdAuthorization,
    EventStatus,
    FeeSchedule,
    FidelityReview,
    LineStatus,
    Member,
    MemberContext,
    MemberResult,
    Reason,
    ReasonCode,
    Rounding,
    RuleSettings,
    ServiceEvent,
    Setting,
    Staff,
    StaffRole,
    UnitCounters,
)
from claims.money import line_charge
from claims.units import adjudicate_member, units_for_minutes
from claims.units.ledger import Ledger
from claims.units.reach import counted, settled

History = tuple[list[ServiceEvent], MemberContext]

# make mutation reruns these for each mutant: fewer examples, and the same ones every run
# (derandomized), so a mutant's verdict does not depend on the draw (docs/mutation.md).
MUTATION = os.environ.get("IPSBILL_MUTATION") == "1"


def examples(count: int) -> settings:
    return settings(max_examples=25 if MUTATION else count, deadline=None, derandomize=MUTATION)


# --- quiet histories: the shared member, long events, random limits ----------------------------

QUIET_STAFF = {"P-1": ("ESP-1", "EPM-1"), "P-2": ("ESP-2",)}
QUIET_ROLES = (
    Staff("P-1", "ESP-1", StaffRole.ESP),
    Staff("P-1", "EPM-1", StaffRole.EPM),
    Staff("P-2", "ESP-2", StaffRole.ESP),
)
BILLABLE = [a for a in Activity if a.value not in {"travel", "team_meeting", "documentation"}]


@st.composite
def quiet_events(draw: st.DrawFn) -> list[ServiceEvent]:
    out = []
    for n in range(draw(st.integers(0, 24))):
        provider = draw(st.sampled_from(sorted(QUIET_STAFF)))
        start = draw(st.integers(7 * 60, 18 * 60)) if n == 0 or draw(st.booleans()) else 9 * 60
        length = draw(st.integers(1, 5 * 60))
        weird = draw(st.integers(0, 9)) == 0  # now and then an event the rules exclude
        out.append(
            ServiceEvent(
                event_id=f"E{n:03d}",
                member_id=MEMBER.member_id,
                provider_id=provider,
                staff_id=draw(st.sampled_from(QUIET_STAFF[provider])),
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
def quiet_histories(draw: st.DrawFn) -> History:
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
    context = MemberContext(
        member=replace(MEMBER, dvr_shared_case=draw(st.booleans())),
        settings=rules,
        staff=QUIET_ROLES,
        authorizations=auths,
        eipd_authorizations=eipd,
        fee_schedules=fees,
        counters=UnitCounters(by_provider=(("P-1", draw(st.integers(0, 70))),)),
    )
    return draw(quiet_events()), context


# --- busy histories: another member, every kind of rule in play --------------------------------

FIRST = date(2026, 3, 2)
PROVIDERS = ("P1", "P2")
BUSY_STAFF = tuple(
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
def busy_events(draw: st.DrawFn) -> list[ServiceEvent]:
    found = []
    for number in range(draw(st.integers(1, 24))):
        start = draw(st.integers(6 * 60, 20 * 60))
        end = min(start + draw(st.integers(1, 240)), 23 * 60 + 59)
        provider = draw(st.sampled_from(PROVIDERS))
        staff = [s.staff_id for s in BUSY_STAFF if s.provider_id == provider]
        found.append(
            ServiceEvent(
                event_id=f"E{number:03d}",
                member_id="M1",
                provider_id=provider,
                staff_id=draw(st.sampled_from(staff)),
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
def busy_histories(draw: st.DrawFn) -> History:
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
    context = MemberContext(
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
        staff=BUSY_STAFF,
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
    return draw(busy_events()), context


histories = st.one_of(quiet_histories(), busy_histories())


# --- the properties ---------------------------------------------------------------------------


@examples(400)
@given(histories)
def test_every_minute_is_billed_or_explained(history: History) -> None:
    events, context = history
    result = adjudicate_member(events, context)
    by_id = {e.event_id: e for e in events}
    assert sorted(a.event_id for a in result.adjudications) == sorted(by_id)
    for adj in result.adjudications:
        assert adj.minutes == by_id[adj.event_id].minutes
        assert adj.minutes == adj.billable_minutes + sum(r.minutes for r in adj.reasons)
        assert adj.billable_minutes >= 0 and all(r.minutes >= 0 for r in adj.reasons)
        held = sum(r.minutes for r in adj.reasons if r.code in HOLD_REASONS)
        assert adj.status is expected_status(adj.minutes, adj.billable_minutes, held)
        assert len({r.code for r in adj.reasons}) == len(adj.reasons)


def expected_status(minutes: int, billable: int, held: int) -> EventStatus:
    if billable == 0:
        return EventStatus.HELD if held else EventStatus.EXCLUDED
    return EventStatus.BILLABLE if billable == minutes else EventStatus.PARTIAL


@examples(400)
@given(histories)
def test_lines_respect_the_cap_and_match_their_events(history: History) -> None:
    events, context = history
    result = adjudicate_member(events, context)
    per_day: dict[date, int] = defaultdict(int)
    adjudications = {a.event_id: a for a in result.adjudications}
    rounding = context.settings.rounding
    for line in result.lines:
        per_day[line.service_date] += line.units + line.held_units
        mine = [adjudications[e] for e in line.event_ids]
        billable = sum(a.billable_minutes for a in mine)
        held = sum(r.minutes for a in mine for r in a.reasons if r.code in HOLD_REASONS)
        slack = 7 if rounding is Rounding.MIDPOINT and not line.held_units else 0
        assert line.units * 15 - slack <= billable <= line.units * 15
        assert units_for_minutes(billable, rounding) == line.units
        assert (held > 0) == (line.held_units > 0)
        assert line.auth_units == line.units
        expected_charge = (
            Decimal("0.00") if line.rate is None else line_charge(line.units, line.rate)
        )
        assert line.charge == expected_charge
        assert line.status is (
            LineStatus.BILLABLE if line.units
            else LineStatus.HELD if line.held_units else LineStatus.EXCLUDED
        )  # fmt: skip
    assert all(total <= context.settings.daily_unit_cap for total in per_day.values())


@examples(300)
@given(histories, st.randoms(use_true_random=False))
def test_input_order_does_not_matter(history: History, rnd: random.Random) -> None:
    events, context = history
    shuffled = list(events)
    rnd.shuffle(shuffled)
    expected = adjudicate_member(events, context)
    assert adjudicate_member(shuffled, context) == expected
    assert adjudicate_member(list(reversed(events)), context) == expected


@examples(400)
@given(histories, st.integers(0, 5))
def test_adjudicating_from_a_date_with_counters_equals_the_full_run(
    history: History, offset: int
) -> None:
    events, context = history
    first = min((e.service_date for e in events), default=DAY)
    split = first + timedelta(days=offset)
    full = adjudicate_member(events, context)
    later = [e for e in events if e.service_date >= split]
    part = adjudicate_member(
        later, replace(context, counters=counters_before(full, context, split))
    )
    assert part == only_from(full, split, {e.event_id for e in later})


def counters_before(result: MemberResult, context: MemberContext, split: date) -> UnitCounters:
    by_provider = defaultdict(int, dict(context.counters.by_provider))
    by_auth = defaultdict(int, dict(context.counters.by_authorization))
    for line in result.lines:
        if line.service_date < split:
            by_provider[line.provider_id] += line.auth_units
            for auth_id, units in line.authorization_draws or (
                (line.authorization_id, line.auth_units),
            ):
                if auth_id is not None:
                    by_auth[auth_id] += units
    return UnitCounters(tuple(sorted(by_provider.items())), tuple(sorted(by_auth.items())))


def only_from(result: MemberResult, split: date, event_ids: set[str]) -> MemberResult:
    return MemberResult(
        tuple(a for a in result.adjudications if a.event_id in event_ids),
        tuple(line for line in result.lines if line.service_date >= split),
    )


@st.composite
def near_limits(draw: st.DrawFn) -> History:
    """A member served most days of two weeks against a small allowance and small, short
    authorizations: the counts run out within the history, where a change's reach ends."""
    events = []
    for n in range(draw(st.integers(2, 16))):
        start = draw(st.integers(8 * 60, 12 * 60))
        end = start + draw(st.integers(10, 150))
        provider = draw(st.sampled_from(["P-1", "P-1", "P-2"]))
        day = DAY + timedelta(days=draw(st.integers(0, 13)))
        times = f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"
        events.append(ev(f"B{n:02d}", *times, day=day, provider=provider,
                         staff=QUIET_STAFF[provider][0]))  # fmt: skip
    auths = tuple(
        Authorization(f"A-{i}", MEMBER.member_id, draw(st.sampled_from(["P-1", "P-2"])), PAYER,
                      DAY + timedelta(days=first), DAY + timedelta(days=first + length),
                      draw(st.integers(0, 16)))
        for i, (first, length) in enumerate(
            draw(st.lists(st.tuples(st.integers(0, 10), st.integers(0, 6)), min_size=1, max_size=2))
        )
    )  # fmt: skip
    allowance = draw(st.sampled_from([0, 0, 4, 8, 16, 24]))
    rules = RuleSettings(units_without_authorization=allowance)
    return events, MemberContext(member=MEMBER, settings=rules, staff=QUIET_ROLES,
                                 authorizations=auths, fee_schedules=FEES)  # fmt: skip


@examples(400)
@given(st.one_of(histories, near_limits()), st.data())
def test_days_after_a_settled_change_bill_as_before(history: History, data: st.DataObject) -> None:
    """claims.units.reach: a change of one day (a new event, or an event made longer or
    shorter) whose moved counts are settled by the end of some later day leaves every day
    after it exactly as before, lines and events alike; re-adjudication does not read them."""
    events, context = history
    if not events:
        return
    target = data.draw(st.sampled_from(events))
    length = data.draw(st.integers(1, 6 * 60))
    start = target.start_time.hour * 60 + target.start_time.minute
    end = min(start + length, 23 * 60 + 59)
    moved = replace(target, end_time=time(end // 60, end % 60))
    if data.draw(st.booleans()):  # a second event beside it, else the event itself changed
        changed = [*events, replace(moved, event_id="NEW")]
    else:
        changed = [moved if e is target else e for e in events]
    old, new = adjudicate_member(events, context), adjudicate_member(changed, context)
    day = target.service_date
    before = counters_before(old, context, day)
    allowance = context.settings.units_without_authorization
    for through in sorted({e.service_date for e in events if e.service_date >= day}):
        window_old = counted(ln for ln in old.lines if day <= ln.service_date <= through)
        window_new = counted(ln for ln in new.lines if day <= ln.service_date <= through)
        if settled(before, window_old, window_new, allowance, context.authorizations, through):
            assert after(old, events, through) == after(new, events, through)


def after(result: MemberResult, events: list[ServiceEvent], through: date) -> tuple[Any, ...]:
    """The lines and adjudications of the days after ``through``."""
    later = {e.event_id for e in events if e.service_date > through}
    return (
        [ln for ln in result.lines if ln.service_date > through],
        sorted((a for a in result.adjudications if a.event_id in later), key=lambda a: a.event_id),
    )


# --- the minute account -------------------------------------------------------------------------

LOSS = st.tuples(
    st.sampled_from([ReasonCode.OVERLAPPING_TIME, ReasonCode.DAILY_CAP,
                     ReasonCode.MISSING_SERVICE_NOTE, ReasonCode.NO_AUTHORIZATION]),
    st.integers(0, 20),
    st.sampled_from(["a", "ab", "overlaps event E1", "overlaps event E1, E2"]),
)  # fmt: skip
CAP, NOTE = ReasonCode.DAILY_CAP, ReasonCode.MISSING_SERVICE_NOTE


@examples(200)
@given(st.lists(LOSS, max_size=6))
@example([(CAP, 0, "a")])  # a reason of 0 minutes only: all minutes still billable
@example([(CAP, 5, "a"), (CAP, 3, "a"), (CAP, 2, "ab"), (CAP, 1, "a")])
@example([(NOTE, 4, "overlaps event E1"), (NOTE, 1, "overlaps event E1"), (CAP, 0, "a")])
def test_an_events_losses_make_one_reason_per_code(
    losses: list[tuple[ReasonCode, int, str]],
) -> None:
    ledger = Ledger(ev("E1", "09:00", "11:00"))  # 120 minutes; at most 6 x 20 are lost
    expected: dict[ReasonCode, tuple[int, list[str]]] = {}
    for code, minutes, detail in losses:
        ledger.lose(code, minutes, detail)
        lost, details = expected.get(code, (0, []))
        expected[code] = (lost + minutes, details if detail in details else [*details, detail])
    result = ledger.result()
    reasons = tuple(
        Reason(code, lost, "; ".join(details)) for code, (lost, details) in expected.items()
    )
    assert result.reasons == reasons
    billable = 120 - sum(lost for lost, _ in expected.values())
    assert (result.minutes, result.billable_minutes) == (120, billable)
    held = sum(lost for code, (lost, _) in expected.items() if code in HOLD_REASONS)
    assert result.status is expected_status(120, billable, held)

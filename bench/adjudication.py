"""Units-engine (claims.adjudication) throughput on a synthetic caseload, printed, not a test.

    python bench/adjudication.py [members] [events_per_member] [--profile]

Builds every member's events and context in memory first (seeded, so runs compare), then times
``adjudicate_member`` alone, one process, best of three. The caseload: 1-4 events a day (one in
five starting inside the previous one, about one in eight benefits counseling, some
non-billable, voided or without a note), two providers for some members, authorizations after
the first weeks, DVR shared cases, a fidelity review, and a rate change mid-period.
"""

from __future__ import annotations

import cProfile
import pstats
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal

from claims.adjudication import adjudicate_member, load_dvr_overlap
from claims.model import (
    Activity,
    Authorization,
    Contact,
    EipdAuthorization,
    FeeSchedule,
    FidelityReview,
    Member,
    MemberContext,
    MemberResult,
    RuleSettings,
    ServiceEvent,
    Setting,
    Staff,
    StaffRole,
)

FIRST = date(2026, 1, 5)
ACTIVITIES = (
    [Activity.JOB_SEARCH] * 4
    + [Activity.JOB_DEVELOPMENT] * 3
    + [Activity.JOB_SUPPORT] * 4
    + [Activity.BENEFITS_COUNSELING] * 2
    + [Activity.INTAKE, Activity.CAREER_PROFILE, Activity.TRAVEL, Activity.DOCUMENTATION]
)
FEES = (
    FeeSchedule(
        "PAY", date(2025, 7, 1), (("YP630", Decimal("8.75")), ("YP630:BC", Decimal("11.4")))
    ),
    FeeSchedule(
        "PAY", date(2026, 2, 1), (("YP630", Decimal("9.10")), ("YP630:BC", Decimal("11.8")))
    ),
)
STAFF = tuple(
    Staff(p, f"{p}-{s}", StaffRole.EPM if s == "EPM1" else StaffRole.ESP)
    for p in ("P1", "P2", "P3")
    for s in ("ESP1", "ESP2", "EPM1")
)
Caseload = list[tuple[list[ServiceEvent], MemberContext]]


def caseload(members: int, per_member: int, seed: int = 630) -> Caseload:
    rnd = random.Random(seed)
    return [_member(rnd, f"M{n:05d}", per_member) for n in range(members)]


def _member(
    rnd: random.Random, member_id: str, count: int
) -> tuple[list[ServiceEvent], MemberContext]:
    providers = ["P1", "P2"] if rnd.random() < 0.1 else [rnd.choice(["P1", "P2", "P3"])]
    events: list[ServiceEvent] = []
    day = FIRST
    while len(events) < count:
        events.extend(_day(rnd, member_id, providers, day, len(events), count - len(events)))
        day += timedelta(days=rnd.choice([1, 1, 2, 3]))
    rnd.shuffle(events)  # the engine must sort; callers give any order
    return events, _context(rnd, member_id, providers)


def _day(
    rnd: random.Random, member_id: str, providers: list[str], day: date, first: int, room: int
) -> list[ServiceEvent]:
    found = []
    start = rnd.randrange(8 * 60, 11 * 60, 5)
    for n in range(min(room, rnd.choice([1, 2, 2, 3, 3, 4]))):
        provider = rnd.choice(providers)
        length = rnd.choice([7, 8, 15, 22, 23, 30, 45, 60, 90, 120, 180])
        found.append(
            ServiceEvent(
                event_id=f"{member_id}-{first + n:04d}",
                member_id=member_id,
                provider_id=provider,
                staff_id=f"{provider}-{rnd.choice(['ESP1', 'ESP2', 'EPM1'])}",
                service_date=day,
                start_time=clock(*divmod(start, 60)),
                end_time=clock(*divmod(start + length, 60)),
                activity=rnd.choice(ACTIVITIES),
                contact=Contact.NONE if rnd.random() < 0.03 else Contact.IN_PERSON,
                setting=Setting.GROUP if rnd.random() < 0.02 else Setting.INDIVIDUAL,
                note_id=None if rnd.random() < 0.05 else f"N{first + n}",
                voided=rnd.random() < 0.02,
            )
        )
        # One in five next events starts inside this one (two staff together, or a duplicate).
        start += length - (rnd.randrange(5, 30, 5) if rnd.random() < 0.2 else -30)
    return found


def _context(rnd: random.Random, member_id: str, providers: list[str]) -> MemberContext:
    start = FIRST + timedelta(days=rnd.randrange(14, 60))
    auths = tuple(
        Authorization(f"{member_id}-A{i}", member_id, p, "PAY", start, start + timedelta(180), 400)
        for i, p in enumerate(providers)
        if rnd.random() < 0.7
    )
    eipd = (EipdAuthorization(f"{member_id}-X", member_id, providers[0], "3-A", start, None),)
    member = Member(
        member_id, "PAY", date(1990, 1, 1), "S", ("F20.9",), dvr_shared_case=rnd.random() < 0.2
    )
    return MemberContext(
        member=member,
        settings=RuleSettings(),
        staff=STAFF,
        fidelity_reviews=(FidelityReview("P3", "R1", 70, date(2026, 3, 1)),),
        authorizations=auths,
        eipd_authorizations=eipd if rnd.random() < 0.3 else (),
        fee_schedules=FEES,
    )


def run(load: Caseload, out: list[MemberResult]) -> None:
    table = load_dvr_overlap()  # loaded once, as a running service has it
    out.clear()
    out.extend(adjudicate_member(events, context, table) for events, context in load)


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    members = int(args[0]) if args else 2_000
    per_member = int(args[1]) if len(args) > 1 else 50
    load = caseload(members, per_member)
    total = sum(len(e) for e, _ in load)
    results: list[MemberResult] = []
    if "--profile" in sys.argv:
        cProfile.runctx("run(load, results)", globals(), locals(), "/tmp/engine.prof")
        pstats.Stats("/tmp/engine.prof").sort_stats("tottime").print_stats(25)
        return
    best = min(_timed(lambda: run(load, results)) for _ in range(3))
    print(f"members={members} events={total} lines={sum(len(r.lines) for r in results):,}")
    print(f"engine: {best:.3f} s best of 3, {total / best:,.0f} events/s (target >= 100,000)")
    statuses = Counter(a.status.value for r in results for a in r.adjudications)
    print("event statuses:", dict(sorted(statuses.items())))


if __name__ == "__main__":
    main()

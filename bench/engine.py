"""YP630 units engine (claims.units) throughput, pure core only, printed (not a timed test).

    python bench/engine.py [members] [events_per_member] [seed]

A synthetic caseload: each member has ``events_per_member`` events over a few weeks, 2-4 a day
across two providers and several staff, with overlaps (two staff together), benefits
counseling, non-billable activities, missing notes, voids, authorizations, fidelity reviews and
DVR shared cases. Events and contexts are built first, so the figure is the engine alone.
It is timed under the collector settings serve runs with (bench/collector.py), and in one
process under CPython's defaults as well, for comparison.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal

# Run as `python bench/engine.py`, sys.path[0] is bench/, where bench/claims.py (the claim-batch
# benchmark) would shadow the claims package: the repository root comes first.
BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:1] = [os.path.dirname(BENCH), BENCH]

from collector import as_served  # noqa: E402

from claims.model import (  # noqa: E402
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
    UnitCounters,
)
from claims.units import adjudicate_member, load_dvr_overlap  # noqa: E402

FIRST = date(2026, 3, 2)
PROVIDERS = ("P-1", "P-2")
STAFF = tuple(
    Staff(p, f"{p}-{role.value}", role)
    for p in PROVIDERS
    for role in (StaffRole.ESP, StaffRole.EPM)
)
ACTIVITIES = (
    [Activity.JOB_SEARCH] * 4 + [Activity.JOB_DEVELOPMENT] * 3 + [Activity.JOB_SUPPORT] * 4
    + [Activity.ENGAGEMENT, Activity.INTAKE, Activity.CAREER_PROFILE, Activity.PEER_SUPPORT]
    + [Activity.BENEFITS_COUNSELING] * 2 + [Activity.TRAVEL, Activity.DOCUMENTATION]
)  # fmt: skip
RATES_2026 = (("YP630", Decimal("21.37")), ("YP630:BC", Decimal("30.05")))
FEES = (
    FeeSchedule("PAYER", date(2025, 7, 1), (("YP630", Decimal("20.01")),)),
    FeeSchedule("PAYER", date(2026, 1, 1), RATES_2026),
)
REVIEWS = (
    FidelityReview("P-1", "FR-1", 88, date(2025, 6, 1)),
    FidelityReview("P-2", "FR-2", 79, date(2025, 9, 1)),
)


def member_events(rng: random.Random, member_id: str, count: int) -> list[ServiceEvent]:
    events: list[ServiceEvent] = []
    day = FIRST
    while len(events) < count:
        minute = rng.randrange(8 * 60, 11 * 60)
        for _ in range(min(rng.randint(2, 4), count - len(events))):
            provider = PROVIDERS[0] if rng.random() < 0.85 else PROVIDERS[1]
            role = "EPM" if rng.random() < 0.2 else "ESP"
            # One event in five starts inside the previous one: two staff together.
            start = minute - rng.randrange(5, 30) if events and rng.random() < 0.2 else minute
            length = rng.choice((7, 15, 22, 23, 30, 45, 60, 90, 120))
            events.append(_event(rng, member_id, len(events), provider, role, day, start, length))
            minute = start + length + rng.randrange(0, 60)
        day += timedelta(days=rng.choice((1, 1, 2)))
    rng.shuffle(events)  # the engine must not rely on input order
    return events


def _event(rng: random.Random, member_id: str, n: int, provider: str, role: str, day: date,
           start: int, length: int) -> ServiceEvent:  # fmt: skip
    start = max(start, 0)
    end = min(start + length, 23 * 60 + 59)
    return ServiceEvent(
        f"{member_id}-E{n:03d}", member_id, provider, f"{provider}-{role}", day,
        clock(*divmod(start, 60)), clock(*divmod(end, 60)), rng.choice(ACTIVITIES),
        Contact.PHONE if rng.random() < 0.1 else Contact.IN_PERSON, Setting.INDIVIDUAL,
        note_id=None if rng.random() < 0.03 else f"N-{n}", voided=rng.random() < 0.01,
    )  # fmt: skip


def member_context(rng: random.Random, member_id: str) -> MemberContext:
    shared = rng.random() < 0.2
    birth = date(1980 + rng.randrange(25), 6, 15)
    member = Member(member_id, "PAYER", birth, f"S-{member_id}", ("F20.9",), dvr_shared_case=shared)
    auths: tuple[Authorization, ...] = ()
    if rng.random() < 0.6:
        start, end = FIRST + timedelta(days=7), FIRST + timedelta(days=365)
        units = rng.choice((40, 200, 500))
        auths = (Authorization(f"A-{member_id}", member_id, "P-1", "PAYER", start, end, units),)
    eipd: tuple[EipdAuthorization, ...] = ()
    if shared:
        eipd = (EipdAuthorization(f"D-{member_id}", member_id, "P-1", "3-A", FIRST, None),)
    counters = UnitCounters(by_provider=(("P-1", rng.randrange(0, 60)),))
    return MemberContext(member, RuleSettings(), STAFF, REVIEWS, auths, eipd, FEES, counters)


def main() -> None:
    members = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    per_member = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 630)
    caseload = [(member_events(rng, f"M{m:05d}", per_member), member_context(rng, f"M{m:05d}"))
                for m in range(members)]  # fmt: skip
    load_dvr_overlap()  # read once, as a running service would have
    total = members * per_member
    results: list[MemberResult] = []
    print(f"members={members} events={total}")
    # CPU time as well as wall time: on a shared machine other work stretches the wall clock.
    for label, collector in (("CPython's default collector", nullcontext()),
                             ("the collector as serve sets it", as_served())):  # fmt: skip
        with collector:
            runs = [_timed(lambda: _run(caseload, results)) for _ in range(5)]
        wall, cpu = min(w for w, _ in runs), min(c for _, c in runs)
        print(
            f"claims.units engine, one process, best of 5, {label}: wall {wall:.3f} s = "
            f"{total / wall:,.0f} events/s; CPU {cpu:.3f} s = {total / cpu:,.0f} events/s"
        )
    print(f"lines={sum(len(r.lines) for r in results):,}")
    statuses = Counter(a.status.value for r in results for a in r.adjudications)
    print("event statuses:", dict(sorted(statuses.items())))


def _run(caseload: list[tuple[list[ServiceEvent], MemberContext]], out: list[MemberResult]) -> None:
    out.clear()
    out.extend(adjudicate_member(events, context) for events, context in caseload)


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def _slice(args: tuple[int, int, int, int]) -> tuple[int, float]:
    """One worker's members, built in the worker (records do not cross processes), timed alone.
    Member m's data come from the seed + m, so the slices together are one caseload."""
    start, stop, per_member, seed = args
    caseload = []
    for m in range(start, stop):
        rng = random.Random(seed * 1_000_003 + m)
        caseload.append((member_events(rng, f"M{m:05d}", per_member),
                         member_context(rng, f"M{m:05d}")))  # fmt: skip
    load_dvr_overlap()
    out: list[MemberResult] = []
    with as_served():
        best = min(_timed(lambda: _run(caseload, out))[0] for _ in range(3))
    return (stop - start) * per_member, best


def both_cores(members: int, per_member: int, seed: int) -> None:
    """Members are independent: the service adjudicates them in one worker per core."""
    workers = os.cpu_count() or 2
    step = -(-members // workers)
    jobs = [(a, min(members, a + step), per_member, seed) for a in range(0, members, step)]
    with ProcessPoolExecutor(workers) as pool:
        done = list(pool.map(_slice, jobs))
    events, wall = sum(n for n, _ in done), max(w for _, w in done)
    print(
        f"claims.units engine, {workers} processes (one per core): {events:,} events in "
        f"{wall:.3f} s = {events / wall:,.0f} events/s (slowest worker, best of 3, the collector "
        "as serve sets it; target >= 100,000)"
    )


if __name__ == "__main__":
    main()
    both_cores(
        int(sys.argv[1]) if len(sys.argv) > 1 else 2_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 50,
        int(sys.argv[3]) if len(sys.argv) > 3 else 630,
    )

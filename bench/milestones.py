"""Milestone status for a whole caseload: 20,000 members, a year of evidence and events each.

Run:  python -m bench.milestones [members]
Target: the whole caseload evaluated in 10 s or less. Only evaluate_member is timed; building the
synthetic records is not. Each member gets about 150 service events and 40 evidence items in a
realistic mix (career profile, job search, employer networking, a job with weekly supports, a
vocational-recovery date, monthly follow-along, and some optional milestones).
"""

from __future__ import annotations

import os
import random
import sys
import time as clock
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import date, time, timedelta

from claims.milestones import EvidenceKind, MilestoneEvidence, evaluate_member, load_catalog
from claims.model import Activity, Contact, ServiceEvent, Setting

YEAR_START = date(2025, 1, 1)
TODAY = date(2025, 12, 31)
SECTIONS = load_catalog().get("2").thresholds.sections or ()
DIRECT = (Activity.CAREER_PROFILE, Activity.BENEFITS_COUNSELING, Activity.PEER_SUPPORT,
          Activity.ENGAGEMENT, Activity.EDUCATION_SUPPORT)  # fmt: skip


class Member:
    """Builds one member's records with a seeded random source."""

    def __init__(self, member_id: str, rng: random.Random) -> None:
        self.member_id, self.rng, self.n = member_id, rng, 0
        self.evidence: list[MilestoneEvidence] = []
        self.events: list[ServiceEvent] = []

    def day(self, first: int, last: int) -> date:
        return YEAR_START + timedelta(days=self.rng.randint(first, last))

    def proof(self, kind: EvidenceKind, day: date, **fields: str | bool | int) -> None:
        self.n += 1
        self.evidence.append(MilestoneEvidence(f"{self.member_id}-E{self.n}", self.member_id,
                                               "P-01", kind, day, fields))  # fmt: skip

    def event(self, day: date, activity: Activity, contact: Contact = Contact.IN_PERSON) -> None:
        self.n += 1
        hour = 8 + self.n % 8
        self.events.append(ServiceEvent(
            f"{self.member_id}-V{self.n}", self.member_id, "P-01", "S-1", day, time(hour),
            time(hour, 45), activity, contact, Setting.INDIVIDUAL, note_id="N",
            voided=self.rng.random() < 0.02,
        ))  # fmt: skip


def profile_and_search(m: Member) -> None:
    for i, section in enumerate(SECTIONS):
        day = m.day(5 + i * 3, 7 + i * 3)
        m.proof(EvidenceKind.CAREER_PROFILE_SECTION, day, section=section)
        m.event(day, Activity.CAREER_PROFILE)
    m.proof(EvidenceKind.CAREER_PROFILE_SIGNED, m.day(62, 70))
    for _ in range(m.rng.randint(8, 20)):
        m.proof(EvidenceKind.JOB_APPLICATION, m.day(60, 120), employer="X", position="Y",
                method="online")  # fmt: skip
    for _ in range(m.rng.randint(3, 6)):
        m.proof(EvidenceKind.EMPLOYER_CONTACT, m.day(60, 120), employer="X", contact_name="HR",
                face_to_face=m.rng.random() < 0.8)  # fmt: skip
    for _ in range(12):
        m.event(m.day(60, 120), Activity.EMPLOYER_CONTACT)
        m.event(m.day(60, 120), Activity.JOB_SEARCH, Contact.PHONE)


def employment(m: Member) -> None:
    start = m.day(121, 130)
    m.proof(EvidenceKind.JOB_START, start, employer="Acme", position="Clerk", hours_per_week=20,
            hourly_wage="15.00")  # fmt: skip
    day = start
    while day < TODAY:  # job support most weeks, follow-along after
        if m.rng.random() < 0.97:
            m.event(day + timedelta(days=m.rng.randint(0, 1)), Activity.JOB_SUPPORT)
        m.event(day + timedelta(days=3), m.rng.choice(DIRECT))
        day += timedelta(days=7 if day < start + timedelta(days=120) else 10)
    m.proof(
        EvidenceKind.VOCATIONAL_RECOVERY_APPROVED, start + timedelta(days=m.rng.randint(56, 90))
    )
    if m.rng.random() < 0.15:
        m.proof(EvidenceKind.JOB_END, m.day(200, 360))


def extras(m: Member) -> None:
    if m.rng.random() < 0.4:
        day = m.day(220, 330)
        m.proof(EvidenceKind.CAREER_ADVANCEMENT, day, type="pay_increase")
        m.proof(EvidenceKind.CAREER_PROFILE_SECTION, day + timedelta(days=5),
                section="employment_goal")  # fmt: skip
    if m.rng.random() < 0.3:
        m.proof(EvidenceKind.EDUCATION_REPORT, m.day(150, 360), document="grade_report")
    if m.rng.random() < 0.05:
        m.proof(EvidenceKind.INDEPENDENCE_PLAN, m.day(330, 360), goals_met=True)
    while len(m.events) < 150:
        m.event(m.day(0, 364), m.rng.choice(DIRECT), m.rng.choice(list(Contact)))


def build(member_id: str, seed: int) -> Member:
    m = Member(member_id, random.Random(seed))
    profile_and_search(m)
    employment(m)
    extras(m)
    m.rng.shuffle(m.evidence)  # any order: the engine must not depend on it
    m.rng.shuffle(m.events)
    return m


def main(members: int) -> None:
    catalog = load_catalog()
    elapsed, cpu, evidence, events = 0.0, 0.0, 0, 0
    earned: Counter[str] = Counter()
    for i in range(members):
        m = build(f"M-{i:06d}", i)
        evidence, events = evidence + len(m.evidence), events + len(m.events)
        started, started_cpu = clock.perf_counter(), clock.process_time()
        result = evaluate_member(m.evidence, m.events, catalog, TODAY)
        elapsed += clock.perf_counter() - started
        cpu += clock.process_time() - started_cpu
        earned.update(e.milestone for e in result.earned)
    print(f"members: {members}  events: {events}  evidence: {evidence}")
    print(f"per member: {events / members:.0f} events, {evidence / members:.0f} evidence items")
    print(f"evaluate_member total: {elapsed:.2f} s  ({members / elapsed:,.0f} members/s)")
    # CPU seconds of this process: what the figure would be on an idle core of this machine.
    print(f"evaluate_member CPU:   {cpu:.2f} s  ({members / cpu:,.0f} members/s)")
    print("earned occurrences: " + ", ".join(f"{k}={earned[k]}" for k in
                                             (m.id for m in catalog.milestones)))  # fmt: skip


def evaluate_slice(bounds: tuple[int, int]) -> tuple[float, float, Counter[str]]:
    """One worker's share: its members built here (records do not cross processes), and only
    the evaluation timed."""
    catalog = load_catalog()
    elapsed, cpu, earned = 0.0, 0.0, Counter[str]()
    for i in range(*bounds):
        m = build(f"M-{i:06d}", i)
        started, started_cpu = clock.perf_counter(), clock.process_time()
        result = evaluate_member(m.evidence, m.events, catalog, TODAY)
        elapsed += clock.perf_counter() - started
        cpu += clock.process_time() - started_cpu
        earned.update(e.milestone for e in result.earned)
    return elapsed, cpu, earned


def parallel(members: int, workers: int) -> None:
    """The caseload split over ``workers`` processes, as the service can evaluate members
    independently: the caseload's time is the slowest worker's evaluation time."""
    step = -(-members // workers)
    bounds = [(start, min(members, start + step)) for start in range(0, members, step)]
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(evaluate_slice, bounds))
    wall = max(elapsed for elapsed, _, _ in results)
    print(
        f"{workers} workers: caseload of {members:,} evaluated in {wall:.2f} s "
        f"({members / wall:,.0f} members/s; slowest worker's evaluation time)"
    )


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    main(count)
    parallel(count, os.cpu_count() or 2)

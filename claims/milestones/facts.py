"""One member's evidence and service events, reduced to the dated facts the milestone rules read.

Everything is sorted by a total key (date, then source and id), so the order in which evidence
and events arrive never changes a result. Voided records never count, and neither does anything
dated after ``today`` (a milestone cannot be earned in the future).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TypeVar

from claims.milestones.evidence import EvidenceKind, MilestoneEvidence
from claims.model import NON_BILLABLE_ACTIVITIES, Activity, Contact, ServiceEvent, Setting


@dataclass(frozen=True, slots=True, order=True)
class Mark:
    """A dated fact: an event or a piece of evidence. Sorts by day, then source, then id."""

    day: date
    from_event: bool
    ref: str
    provider_id: str = field(compare=False)


@dataclass(frozen=True, slots=True)
class Job:
    """One job start; ``key`` is the job_start evidence id. ``last_day`` is None while employed."""

    key: str
    start: date
    employer: str | None
    provider_id: str
    last_day: date | None = None
    end_ref: str | None = None

    def employed_through(self, day: date) -> bool:
        return self.start <= day and (self.last_day is None or day <= self.last_day)


class MarkSeries:
    """Marks in day order, with day ranges answered by bisection."""

    __slots__ = ("marks", "days")

    def __init__(self, marks: Iterable[Mark]) -> None:
        self.marks: list[Mark] = sorted(marks)
        self.days: list[date] = [m.day for m in self.marks]

    def between(self, first: date, last: date) -> list[Mark]:
        """Marks dated first..last, both inclusive."""
        return self.marks[bisect_left(self.days, first) : bisect_right(self.days, last)]

    def first_per_day(self, first: date, last: date) -> list[Mark]:
        """The first mark of each distinct day in first..last."""
        out: list[Mark] = []
        for mark in self.between(first, last):
            if not out or out[-1].day != mark.day:
                out.append(mark)
        return out


@dataclass(slots=True)
class Facts:
    member_id: str
    today: date
    evidence: dict[EvidenceKind, list[MilestoneEvidence]]
    # In-person contacts with the individual (any direct-service activity, individual setting).
    contacts: MarkSeries
    employer_f2f: MarkSeries  # face-to-face employer contacts (events and evidence)
    job_search: MarkSeries  # job-search activities: job_search events and job applications
    job_support_f2f: MarkSeries  # face-to-face job-support contacts
    jobs: list[Job]

    def of(self, kind: EvidenceKind) -> list[MilestoneEvidence]:
        return self.evidence.get(kind, [])


Record = TypeVar("Record", MilestoneEvidence, ServiceEvent)


def _latest_versions(items: Iterable[Record], key: Callable[[Record], str]) -> list[Record]:
    # The same record may arrive in several versions: only the newest speaks.
    newest: dict[str, Record] = {}
    for item in items:
        ident = key(item)
        if ident not in newest or item.version > newest[ident].version:
            newest[ident] = item
    return list(newest.values())


def _is_individual_contact(event: ServiceEvent) -> bool:
    # 004 line 14: "Appointments and interactions with the individual must be in-person"; line 54:
    # "3 individual face-to-face contacts". Employer contacts, meetings, paperwork and travel are
    # not with the individual (YP630 def., exclusions k and l), nor is a group.
    return (
        event.contact is Contact.IN_PERSON
        and event.setting is Setting.INDIVIDUAL
        and event.activity not in NON_BILLABLE_ACTIVITIES
    )


def _event_marks(events: list[ServiceEvent]) -> dict[str, list[Mark]]:
    marks: dict[str, list[Mark]] = {"contact": [], "employer": [], "search": [], "support": []}
    for e in events:
        mark = Mark(e.service_date, True, e.event_id, e.provider_id)
        in_person = e.contact is Contact.IN_PERSON
        if _is_individual_contact(e):
            marks["contact"].append(mark)
        if in_person and e.activity is Activity.EMPLOYER_CONTACT:
            marks["employer"].append(mark)
        if in_person and e.activity is Activity.JOB_SUPPORT:
            marks["support"].append(mark)
        if e.activity is Activity.JOB_SEARCH:
            marks["search"].append(mark)
    return marks


def _evidence_mark(ev: MilestoneEvidence) -> Mark:
    return Mark(ev.date, False, ev.evidence_id, ev.provider_id)


def _jobs(starts: list[MilestoneEvidence], ends: list[MilestoneEvidence]) -> list[Job]:
    jobs = [Job(s.evidence_id, s.date, s.text("employer"), s.provider_id) for s in starts]
    for end in ends:
        # A job_end's date is the last day employed. It closes the named employer's job, else the
        # latest job started on or before it that is still open.
        employer = end.text("employer")
        open_jobs = [
            i
            for i, j in enumerate(jobs)
            if j.last_day is None and j.start <= end.date and employer in (None, j.employer)
        ]
        if open_jobs:
            i = open_jobs[-1]
            jobs[i] = replace(jobs[i], last_day=end.date, end_ref=end.evidence_id)
    return jobs


def build_facts(
    evidence: Iterable[MilestoneEvidence], events: Iterable[ServiceEvent], today: date
) -> Facts:
    live_evidence = [
        ev
        for ev in _latest_versions(evidence, lambda ev: ev.evidence_id)
        if not ev.voided and ev.date <= today
    ]
    live_evidence.sort(key=lambda ev: (ev.date, ev.evidence_id))
    by_kind: dict[EvidenceKind, list[MilestoneEvidence]] = {}
    for ev in live_evidence:
        by_kind.setdefault(ev.kind, []).append(ev)
    live_events = [
        e
        for e in _latest_versions(events, lambda e: e.event_id)
        if not e.voided and e.service_date <= today
    ]
    marks = _event_marks(live_events)
    applications = [_evidence_mark(ev) for ev in by_kind.get(EvidenceKind.JOB_APPLICATION, [])]
    employer_evidence = [
        _evidence_mark(ev)
        for ev in by_kind.get(EvidenceKind.EMPLOYER_CONTACT, [])
        if ev.flag("face_to_face")
    ]
    member_ids = {ev.member_id for ev in live_evidence} | {e.member_id for e in live_events}
    return Facts(
        member_id=min(member_ids, default=""),
        today=today,
        evidence=by_kind,
        contacts=MarkSeries(marks["contact"]),
        employer_f2f=MarkSeries(marks["employer"] + employer_evidence),
        job_search=MarkSeries(marks["search"] + applications),
        job_support_f2f=MarkSeries(marks["support"]),
        jobs=_jobs(by_kind.get(EvidenceKind.JOB_START, []), by_kind.get(EvidenceKind.JOB_END, [])),
    )

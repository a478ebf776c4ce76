"""One member's evidence and service events, reduced to the dated facts the milestone rules read.

Everything is sorted by a total key (date, then source and id), so the order in which evidence
and events arrive never changes a result. Voided records never count, and neither does anything
dated after ``today`` (a milestone cannot be earned in the future).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from operator import attrgetter
from typing import TypeVar

from msgspec import Struct
from msgspec.structs import replace

from claims.milestones.evidence import EvidenceKind, MilestoneEvidence
from claims.model import NON_BILLABLE_ACTIVITIES, Activity, Contact, ServiceEvent, Setting


class Mark(Struct, frozen=True, gc=False, order=True):
    """A dated fact: an event or a piece of evidence. Sorts by day, then source, then id
    (field order; a caseload makes millions of these, compared and sorted in C)."""

    day: date
    from_event: bool
    ref: str
    provider_id: str


class Job(Struct, frozen=True, gc=False):
    """One job start; ``key`` is the job_start evidence id. ``last_day`` is None while employed."""

    key: str
    start: date
    employer: str | None
    provider_id: str
    last_day: date | None = None

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
    # The employer contact log (evidence, face to face), each employer once a day: what 3-B
    # counts; service events do not add to it (docs/milestones.md, "No double counting").
    employer_log: MarkSeries
    job_search: MarkSeries  # job-search activities: job_search events and job applications
    # Face-to-face job-support contacts with the individual, and face-to-face contacts with an
    # employer (events and the log): what milestone 4's weeks need.
    job_support_f2f: MarkSeries
    jobs: list[Job]
    _holders: dict[date, Job | None] = field(default_factory=dict)

    def of(self, kind: EvidenceKind) -> list[MilestoneEvidence]:
        return self.evidence.get(kind, [])

    def holder(self, day: date) -> Job | None:
        """The job a contact on ``day`` counts for: the latest started of the jobs held that day
        (docs/milestones.md, "No double counting"), so one contact never pays two jobs."""
        if day in self._holders:
            return self._holders[day]
        held = [j for j in self.jobs if j.employed_through(day)]
        found = self._holders[day] = max(held, key=_job_order) if held else None
        return found

    def for_job(self, job: Job, marks: list[Mark]) -> list[Mark]:
        """The marks whose day counts for ``job``."""
        if len(self.jobs) == 1:  # the usual case: the one job holds every day it is held
            return [m for m in marks if job.employed_through(m.day)]
        return [m for m in marks if self.holder(m.day) is job]


def _job_order(job: Job) -> tuple[date, str]:
    return (job.start, job.key)


Record = TypeVar("Record", MilestoneEvidence, ServiceEvent)


def _latest_versions(items: Sequence[Record], key: Callable[[Record], str]) -> list[Record]:
    # The same record may arrive in several versions: only the newest speaks.
    ids = {key(item) for item in items}
    if len(ids) == len(items):  # the usual case: one version each
        return list(items)
    newest: dict[str, Record] = {}
    for item in items:
        ident = key(item)
        prior = newest.get(ident)
        if prior is None or item.version > prior.version:
            newest[ident] = item
    return list(newest.values())


CONTACT, EMPLOYER, SEARCH, SUPPORT = range(4)  # the series an event can feed


def _categories(activity: Activity, contact: Contact, setting: Setting) -> tuple[int, ...]:
    in_person = contact is Contact.IN_PERSON
    found = []
    # 004 line 14: "Appointments and interactions with the individual must be in-person"; line
    # 54: "3 individual face-to-face contacts". Employer contacts, meetings, paperwork and travel
    # are not with the individual (YP630 def., exclusions k and l), nor is a group.
    if in_person and setting is Setting.INDIVIDUAL and activity not in NON_BILLABLE_ACTIVITIES:
        found.append(CONTACT)
    if in_person and activity is Activity.EMPLOYER_CONTACT:  # 004 line 48, "face to face"
        found.append(EMPLOYER)
    if activity is Activity.JOB_SEARCH:  # 004 line 36, "evidence of job search activities"
        found.append(SEARCH)
    if in_person and activity is Activity.JOB_SUPPORT:  # 004 line 63, "face-to-face contact"
        found.append(SUPPORT)
    return tuple(found)


# Every (activity, contact, setting) worked out once: a caseload has millions of events. Keyed by
# the members' string values, whose hashes Python caches (an Enum's __hash__ is Python code).
# Built on first use, not at import: what runs at import is fixed before a test can change it, so
# mutation testing (docs/mutation.md) could not see a changed _categories through the table.
@cache
def _series_table() -> dict[tuple[str, str, str], tuple[int, ...]]:
    return {
        (a.value, c.value, s.value): _categories(a, c, s)
        for a in Activity
        for c in Contact
        for s in Setting
    }


def _event_marks(events: Iterable[ServiceEvent], today: date) -> list[list[Mark]]:
    series: list[list[Mark]] = [[], [], [], []]
    table = _series_table()  # once per member, not per event
    for e in events:
        feeds = table[(e.activity._value_, e.contact._value_, e.setting._value_)]
        if feeds and not e.voided and e.service_date <= today:
            mark = Mark(e.service_date, True, e.event_id, e.provider_id)
            for i in feeds:
                series[i].append(mark)
    return series


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
            jobs[i] = replace(jobs[i], last_day=end.date)
    return jobs


def _employer_log(entries: list[MilestoneEvidence]) -> list[Mark]:
    # 004 line 49, "employer contact log that includes date of contact, employer": face-to-face
    # entries, one per employer and day (entries arrive in (date, evidence_id) order).
    seen: set[tuple[date, str]] = set()
    marks: list[Mark] = []
    for ev in entries:
        key = (ev.date, (ev.text("employer") or "").strip().casefold())
        if ev.flag("face_to_face") and key not in seen:
            seen.add(key)
            marks.append(_evidence_mark(ev))
    return marks


_event_id: Callable[[ServiceEvent], str] = attrgetter("event_id")
_evidence_id: Callable[[MilestoneEvidence], str] = attrgetter("evidence_id")


def build_facts(
    evidence: Sequence[MilestoneEvidence],
    events: Sequence[ServiceEvent],
    today: date,
    member_id: str = "",
) -> Facts:
    live_evidence = [
        ev for ev in _latest_versions(evidence, _evidence_id) if not ev.voided and ev.date <= today
    ]
    live_evidence.sort(key=lambda ev: (ev.date, ev.evidence_id))
    by_kind: dict[EvidenceKind, list[MilestoneEvidence]] = {}
    for ev in live_evidence:
        by_kind.setdefault(ev.kind, []).append(ev)
    series = _event_marks(_latest_versions(events, _event_id), today)
    applications = [_evidence_mark(ev) for ev in by_kind.get(EvidenceKind.JOB_APPLICATION, [])]
    employer_log = _employer_log(by_kind.get(EvidenceKind.EMPLOYER_CONTACT, []))
    return Facts(
        member_id=member_id,
        today=today,
        evidence=by_kind,
        contacts=MarkSeries(series[CONTACT]),
        employer_log=MarkSeries(employer_log),
        job_search=MarkSeries(series[SEARCH] + applications),
        job_support_f2f=MarkSeries(series[SUPPORT] + series[EMPLOYER] + employer_log),
        jobs=_jobs(by_kind.get(EvidenceKind.JOB_START, []), by_kind.get(EvidenceKind.JOB_END, [])),
    )

"""Builders shared by the milestone-engine tests (no tests of its own): one member and provider,
a job starting on a Wednesday, its vocational-recovery date six weeks later."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, time, timedelta

from claims.milestones import (
    EvidenceKind,
    MemberMilestones,
    MilestoneEvidence,
    MilestoneProgress,
    evaluate_member,
    load_catalog,
)
from claims.model import Activity, Contact, ServiceEvent, Setting

CATALOG = load_catalog()
TODAY = date(2026, 12, 31)
MEMBER = "M-1001"
PROVIDER = "P-01"
JOB_START = date(2026, 3, 4)  # a Wednesday
VR = date(2026, 4, 15)  # a Wednesday, six weeks later
_ids = itertools.count(1)

INITIAL = CATALOG.get("1").thresholds.sections or ()
ALL_SECTIONS = CATALOG.get("2").thresholds.sections or ()


def ev(kind: EvidenceKind, day: date, **fields: str | bool | int) -> MilestoneEvidence:
    return MilestoneEvidence(f"E{next(_ids):05d}", MEMBER, PROVIDER, kind, day, dict(fields))


def event(
    day: date,
    activity: Activity = Activity.JOB_SUPPORT,
    contact: Contact = Contact.IN_PERSON,
    setting: Setting = Setting.INDIVIDUAL,
    voided: bool = False,
) -> ServiceEvent:
    return ServiceEvent(
        f"V{next(_ids):05d}", MEMBER, PROVIDER, "S-1", day, time(9), time(10), activity, contact,
        setting, note_id="N", voided=voided,
    )  # fmt: skip


def run(
    evidence: list[MilestoneEvidence],
    events: Sequence[ServiceEvent] = (),
    today: date = TODAY,
) -> MemberMilestones:
    return evaluate_member(evidence, events, CATALOG, today)


def progress(result: MemberMilestones, milestone: str) -> MilestoneProgress:
    return next(p for p in result.progress if p.milestone == milestone)


def days(start: date, count: int, step: int = 1) -> list[date]:
    return [start + timedelta(days=step * i) for i in range(count)]


def job_start(day: date = JOB_START, employer: str = "Acme") -> MilestoneEvidence:
    return ev(EvidenceKind.JOB_START, day, employer=employer, position="Clerk",
              hours_per_week=20, hourly_wage="15.00")  # fmt: skip


def weekly_support(first: date, last: date) -> list[ServiceEvent]:
    """One face-to-face job-support contact on the first day of each 7-day week from ``first``."""
    return [event(first + timedelta(days=7 * k)) for k in range((last - first).days // 7 + 1)]


def log(day: date, employer: str = "X", face_to_face: bool = True) -> MilestoneEvidence:
    """An entry of the employer contact log."""
    return ev(EvidenceKind.EMPLOYER_CONTACT, day, employer=employer, contact_name="HR",
              face_to_face=face_to_face)  # fmt: skip


def recovered() -> tuple[list[MilestoneEvidence], list[ServiceEvent]]:
    """A job, its vocational-recovery date and a job-support contact every week up to it."""
    evidence = [job_start(), ev(EvidenceKind.VOCATIONAL_RECOVERY_APPROVED, VR)]
    return evidence, weekly_support(JOB_START, VR)

"""Milestones earned on the job: 3-C, 4, 5-A/5-B/5-C (once per job) and 6 (monthly)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from claims.milestones.catalog import MilestoneDef
from claims.milestones.evidence import EvidenceKind, MilestoneEvidence
from claims.milestones.facts import Facts, Job, Mark
from claims.milestones.results import Draft, RuleOutcome, draft

Earned = Mapping[str, Sequence[Draft]]
WEEK = timedelta(days=7)


def _job_mark(job: Job) -> Mark:
    return Mark(job.start, False, job.key, job.provider_id)


def _last_day(job: Job, facts: Facts) -> date:
    return job.last_day if job.last_day is not None else facts.today


def _latest_job_missing(facts: Facts) -> tuple[str, ...] | None:
    return None if facts.jobs else ("no job start recorded",)


def _outcome(drafts: list[Draft], missing: tuple[str, ...], facts: Facts) -> RuleOutcome:
    # Something is missing while a job has no occurrence yet, and while there is no job at all
    # (then "no job start recorded": docs/milestones.md, "Earned but waiting", progress says why).
    lacking = len(drafts) < len(facts.jobs) or not facts.jobs
    return RuleOutcome(tuple(drafts), missing if lacking else ())


def job_placement(m: MilestoneDef, facts: Facts, earned: Earned) -> RuleOutcome:
    # 004 line 54: "3 individual face-to-face contacts with the IPS recipient on or after the
    # first day of employment ... do need to [be] 3 individual workdays": distinct days from the
    # job's first day to its last, earned on the third. A contact day counts for one job only,
    # the latest started of those held that day (docs/milestones.md, "No double counting").
    needed = m.thresholds.contact_days or 0
    drafts: list[Draft] = []
    missing = _latest_job_missing(facts) or ()
    for job in facts.jobs:
        days = facts.for_job(job, facts.contacts.first_per_day(job.start, _last_day(job, facts)))
        if len(days) >= needed:
            drafts.append(draft(m.id, [_job_mark(job), *days[:needed]], job.key))
        else:
            missing = (
                f"in-person contact days since the job start on {job.start.isoformat()}: "
                f"{len(days)} of {needed}",
            )
    return _outcome(drafts, missing, facts)


def recovery_date(facts: Facts, job: Job) -> MilestoneEvidence | None:
    """The job's EIPD-approved vocational-recovery date: the first one recorded while the job is
    held, on or after its start (004 line 61, "This agreed upon date should be documented")."""
    for ev in facts.of(EvidenceKind.VOCATIONAL_RECOVERY_APPROVED):
        if job.employed_through(ev.date) and _holder(facts, ev.date) is job:
            return ev
    return None


def _holder(facts: Facts, day: date) -> Job | None:
    # With several jobs held on one day, a recovery date belongs to the latest started.
    held = [j for j in facts.jobs if j.employed_through(day)]
    return max(held, key=lambda j: (j.start, j.key)) if held else None


def _weeks(first: date, last: date) -> list[date]:
    """First days of the 7-day weeks counted from ``first`` up to the one holding ``last``."""
    return [first + WEEK * i for i in range((last - first).days // 7 + 1)]


def _weekly_support(facts: Facts, job: Job, vr: date) -> tuple[list[Mark], list[date]]:
    # 004 line 61: "Job supports are provided at a minimum weekly"; line 63: "Weekly face-to-face
    # contact with the individual or employer". Weeks are 7-day periods counted from the job's
    # first day up to the one holding the vocational-recovery date (docs/milestones.md,
    # "Milestone 4"); the last week may be completed by a contact after the date (before the
    # job ends). A contact counts for the job that holds its day.
    found: list[Mark] = []
    gaps: list[date] = []
    for first in _weeks(job.start, vr):
        last = min(first + timedelta(days=6), _last_day(job, facts))
        hits = facts.job_support_f2f.between(first, last) if first <= last else []
        hits = facts.for_job(job, hits) if hits else hits
        if hits:
            found.append(hits[0])
        else:
            gaps.append(first)
    return found, gaps


def job_support(m: MilestoneDef, facts: Facts, earned: Earned) -> RuleOutcome:
    drafts: list[Draft] = []
    missing: tuple[str, ...] = _latest_job_missing(facts) or ()
    for job in facts.jobs:
        vr = recovery_date(facts, job)
        if vr is None:
            missing = (
                f"no vocational-recovery date recorded for the job started {job.start.isoformat()}",
            )
            continue
        found, gaps = _weekly_support(facts, job, vr.date)
        if gaps:
            missing = tuple(
                f"no face-to-face contact with the individual or the employer in the week "
                f"{g.isoformat()} to {(g + timedelta(days=6)).isoformat()}"
                for g in gaps
            )
            continue
        vr_mark = Mark(vr.date, False, vr.evidence_id, vr.provider_id)
        drafts.append(draft(m.id, [_job_mark(job), *found, vr_mark], job.key))
    return _outcome(drafts, missing, facts)


def _after_recovery(m: MilestoneDef, facts: Facts, job: Job, vr: Mark) -> Draft | str:
    """One job's 5-x occurrence, or what it lacks.

    The window is (vr + days - window_days, vr + days]: the day after the previous outcome date up
    to and including this one (004 line 76, "30 days after the outcome date of the prior
    milestone"; line 69, "for 30 days after the vocational recovery date"). Contacts are counted
    on distinct days, so two notes of one meeting are one contact."""
    t = m.thresholds
    target = vr.day + timedelta(days=t.days_after_recovery or 0)
    opens = target - timedelta(days=(t.window_days or 0) - 1)
    contacts = facts.for_job(
        job, facts.contacts.first_per_day(opens, min(target, _last_day(job, facts)))
    )
    needed = t.contacts_in_window or 0
    if job.last_day is not None and job.last_day < target:
        return f"job ended on {job.last_day.isoformat()}, before {target.isoformat()}"
    if len(contacts) < needed:
        return (
            f"face-to-face contacts from {opens.isoformat()} to {target.isoformat()}: "
            f"{len(contacts)} of {needed}"
        )
    if target > facts.today:
        return f"{t.days_after_recovery} days after the vocational-recovery date: {target}"
    return draft(m.id, [_job_mark(job), vr, *contacts[:needed]], job.key, on=target)


def vocational_recovery_plus(m: MilestoneDef, facts: Facts, earned: Earned) -> RuleOutcome:
    # 004 lines 68-83: "continues to maintain employment 30 [60, 90] days post the date of
    # Vocational Recovery" with "a minimum of 2 face-to-face contacts"; earned on that day. Each
    # counts from the vocational-recovery date, never from an earlier milestone's payment
    # (docs/milestones.md, "Dates chain the milestones").
    drafts: list[Draft] = []
    missing: tuple[str, ...] = _latest_job_missing(facts) or ()
    for job in facts.jobs:
        vr = recovery_date(facts, job)
        outcome = (
            f"no vocational-recovery date recorded for the job started {job.start.isoformat()}"
            if vr is None
            else _after_recovery(
                m, facts, job, Mark(vr.date, False, vr.evidence_id, vr.provider_id)
            )
        )
        if isinstance(outcome, Draft):
            drafts.append(outcome)
        else:
            missing = (outcome,)
    return _outcome(drafts, missing, facts)


def _employment_spans(jobs: Sequence[Job], today: date) -> list[tuple[date, date]]:
    """Days employed as merged spans, so a move from one job straight to the next is no gap."""
    spans: list[tuple[date, date]] = []
    for job in sorted(jobs, key=lambda j: j.start):
        end = job.last_day if job.last_day is not None else today
        if spans and job.start <= spans[-1][1] + timedelta(days=1):
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((job.start, end))
    return spans


def _months_from(first: date, today: date) -> list[tuple[date, date]]:
    """Calendar months (first day, last day) from the month of ``first`` through ``today``."""
    months: list[tuple[date, date]] = []
    start = first.replace(day=1)
    while start <= today:
        following = (start + timedelta(days=32)).replace(day=1)
        months.append((start, following - timedelta(days=1)))
        start = following
    return months


def long_term_retention(m: MilestoneDef, facts: Facts, earned: Earned) -> RuleOutcome:
    # 004 line 88: "A time unlimited support; repeat milestone, revisited monthly"; line 90:
    # "requires an in-person meeting". Earned for each calendar month that starts after the
    # vocational-recovery date + 90 days (the end of the 5-C window, whether 5-C was paid or
    # not: docs/milestones.md, "Milestone 6"), on the month's last day once it has come, if the
    # member was employed every day of it and met in person at least once in it.
    first_month = _first_month(facts)
    if first_month is None:
        return RuleOutcome((), ("no vocational-recovery date recorded",))
    spans = _employment_spans(facts.jobs, facts.today)
    drafts: list[Draft] = []
    missing: tuple[str, ...] = ()
    needed = m.thresholds.meetings_per_month or 0
    for first, last in _months_from(first_month, facts.today):
        meetings = facts.contacts.between(first, last)
        employed = any(a <= first and last <= b for a, b in spans)
        if employed and len(meetings) >= needed and last <= facts.today:
            drafts.append(draft(m.id, meetings[:needed], on=last))
            missing = ()
            continue
        missing = _month_missing(first, last, facts.today, employed, len(meetings), needed)
    if not drafts and not missing:
        month = first_month.strftime("%Y-%m")
        missing = (f"months count from {month}, the first after vocational recovery + 90 days",)
    return RuleOutcome(tuple(drafts), missing)


# Milestone 6 starts after the last 5-x window: vocational recovery + this many days.
LONG_TERM_AFTER = timedelta(days=90)


def _first_month(facts: Facts) -> date | None:
    """The first calendar month starting after the earliest vocational-recovery date + 90."""
    dates = [vr.date for job in facts.jobs if (vr := recovery_date(facts, job)) is not None]
    if not dates:
        return None
    after = min(dates) + LONG_TERM_AFTER
    return (after.replace(day=1) + timedelta(days=32)).replace(day=1)


def _month_missing(
    first: date, last: date, today: date, employed: bool, meetings: int, needed: int
) -> tuple[str, ...]:
    month = first.strftime("%Y-%m")
    gaps = [f"in-person meetings in {month}: {meetings} of {needed}"] if meetings < needed else []
    if last > today:
        gaps.append(f"month {month} not yet ended")
    elif not employed:
        gaps.append(f"not employed through {month}")
    return tuple(gaps)

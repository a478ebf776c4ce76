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


def job_placement(m: MilestoneDef, facts: Facts, earned: Earned) -> RuleOutcome:
    # 004 line 54: "3 individual face-to-face contacts with the IPS recipient on or after the
    # first day of employment ... do need to [be] 3 individual workdays": distinct days from the
    # job's first day to its last, earned on the third.
    needed = m.thresholds.contact_days or 0
    drafts: list[Draft] = []
    missing = _latest_job_missing(facts) or ()
    for job in facts.jobs:
        days = facts.contacts.first_per_day(job.start, _last_day(job, facts))
        if len(days) >= needed:
            drafts.append(draft(m.id, [_job_mark(job), *days[:needed]], job.key))
        else:
            missing = (
                f"in-person contact days since the job start on {job.start.isoformat()}: "
                f"{len(days)} of {needed}",
            )
    return RuleOutcome(tuple(drafts), missing if len(drafts) < len(facts.jobs) else ())


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
    """Mondays of the weeks from the one holding ``first`` to the one holding ``last``."""
    monday = first - timedelta(days=first.weekday())
    return [monday + WEEK * i for i in range((last - monday).days // 7 + 1)]


def _weekly_support(facts: Facts, job: Job, vr: date) -> tuple[list[Mark], list[date]]:
    # 004 line 61: "Job supports are provided at a minimum weekly"; line 63: "Weekly face-to-face
    # contact". Weeks run Monday to Sunday, from the week of the job start to the week of the
    # vocational-recovery date; in the first week only days from the job start count, and the
    # last week may be completed by a contact after the date (before the job ends).
    found: list[Mark] = []
    gaps: list[date] = []
    for monday in _weeks(job.start, vr):
        first, last = max(monday, job.start), min(monday + timedelta(days=6), _last_day(job, facts))
        hits = facts.job_support_f2f.between(first, last) if first <= last else []
        if hits:
            found.append(hits[0])
        else:
            gaps.append(monday)
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
                f"no face-to-face job-support contact in week of {g.isoformat()}" for g in gaps
            )
            continue
        vr_mark = Mark(vr.date, False, vr.evidence_id, vr.provider_id)
        drafts.append(draft(m.id, [_job_mark(job), *found, vr_mark], job.key))
    return RuleOutcome(tuple(drafts), missing if len(drafts) < len(facts.jobs) else ())


def _prior(m: MilestoneDef, earned: Earned, job_key: str) -> list[str]:
    return [r for r in m.requires if not any(d.job_key == job_key for d in earned.get(r, ()))]


def _after_recovery(m: MilestoneDef, facts: Facts, job: Job, vr: Mark) -> Draft | str:
    """One job's 5-x occurrence, or what it lacks.

    The window is (vr + days - window_days, vr + days]: the day after the previous outcome date up
    to and including this one (004 line 76, "30 days after the outcome date of the prior
    milestone"; line 69, "for 30 days after the vocational recovery date"). Contacts are counted
    on distinct days, so two notes of one meeting are one contact."""
    t = m.thresholds
    target = vr.day + timedelta(days=t.days_after_recovery or 0)
    opens = target - timedelta(days=(t.window_days or 0) - 1)
    contacts = facts.contacts.first_per_day(opens, min(target, _last_day(job, facts)))
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
    # Vocational Recovery" with "a minimum of 2 face-to-face contacts"; earned on that day.
    drafts: list[Draft] = []
    missing: tuple[str, ...] = _latest_job_missing(facts) or ()
    for job in facts.jobs:
        vr = recovery_date(facts, job)
        prior = _prior(m, earned, job.key)
        outcome = (
            f"milestone {', '.join(prior)} not yet earned for the job started {job.start}"
            if prior or vr is None
            else _after_recovery(
                m, facts, job, Mark(vr.date, False, vr.evidence_id, vr.provider_id)
            )
        )
        if isinstance(outcome, Draft):
            drafts.append(outcome)
        else:
            missing = (outcome,)
    return RuleOutcome(tuple(drafts), missing if len(drafts) < len(facts.jobs) else ())


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
    # "requires an in-person meeting". Counted per calendar month after the month in which the
    # prerequisite (5-C) is first earned; a month is earned on its last day once that day has come,
    # if the member was employed every day of it and met in person at least once in it.
    starts = [min(d.earned_on for d in earned[r]) for r in m.requires if earned.get(r)]
    if len(starts) < len(m.requires):
        return RuleOutcome((), (f"milestone {', '.join(m.requires)} not yet earned",))
    spans = _employment_spans(facts.jobs, facts.today)
    drafts: list[Draft] = []
    missing: tuple[str, ...] = ()
    needed = m.thresholds.meetings_per_month or 0
    first_month = _first_month(starts, facts)
    for first, last in _months_from(first_month, facts.today):
        meetings = facts.contacts.between(first, last)
        employed = any(a <= first and last <= b for a, b in spans)
        if employed and len(meetings) >= needed and last <= facts.today:
            drafts.append(draft(m.id, meetings[:needed], on=last))
            missing = ()
            continue
        missing = _month_missing(first, last, facts.today, employed, len(meetings), needed)
    return RuleOutcome(tuple(drafts), missing)


def _first_month(starts: list[date], facts: Facts) -> date:
    if starts:  # the month after the prerequisite's
        return (max(starts).replace(day=1) + timedelta(days=32)).replace(day=1)
    # Without a prerequisite in the catalog: from the first job's month.
    return min((j.start for j in facts.jobs), default=facts.today + timedelta(days=1))


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

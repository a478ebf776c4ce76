"""Repeatable EIPD milestones earned by effort: 3-A Job Search and 3-B Employer Networking.

Both walk the member's facts in day order. An occurrence is earned when the count since the last
occurrence reaches the threshold, or when a job starts after at least one such activity since the
last occurrence. After ``limit`` occurrences each further one needs its own ``approval`` evidence
(004 line 38: "after earning this milestone twice, the provider must consult with Program
Specialist"; line 48: "... must consult with the funding source"): an unused approval dated on or
before the completion allows it; one that arrives later completes it on the approval's date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from claims.milestones.catalog import MilestoneDef
from claims.milestones.evidence import EvidenceKind
from claims.milestones.facts import Facts, Mark, MarkSeries
from claims.milestones.results import Draft, RuleOutcome, draft

# Same-day order: counted activities, then other activities, then approvals, then job starts, so a
# job starting on the day of an application or an approval sees them.
_COUNTED, _ACTIVITY, _APPROVAL, _JOB_START = range(4)


@dataclass(slots=True)
class _Walk:
    milestone: MilestoneDef
    threshold: int
    counted: list[Mark] = field(default_factory=list)
    activity: list[Mark] = field(default_factory=list)
    approvals: list[Mark] = field(default_factory=list)
    blocked: list[Mark] | None = None  # complete, waiting for an approval
    drafts: list[Draft] = field(default_factory=list)

    def try_earn(self, marks: list[Mark]) -> None:
        limit = self.milestone.limit or 0
        if len(self.drafts) >= limit and not self.approvals:
            self.blocked = marks
            return
        if len(self.drafts) >= limit:
            marks = [*marks, self.approvals.pop(0)]
        self.drafts.append(draft(self.milestone.id, marks))
        self.counted, self.activity, self.blocked = [], [], None

    def step(self, rank: int, mark: Mark) -> None:
        if rank == _COUNTED:
            self.counted.append(mark)
            self.activity.append(mark)
            if len(self.counted) >= self.threshold:
                self.try_earn(list(self.counted))
        elif rank == _ACTIVITY:
            self.activity.append(mark)
        elif rank == _APPROVAL:
            self.approvals.append(mark)
            if self.blocked is not None:
                self.try_earn(self.blocked)
        elif self.activity:  # a job start after at least one activity since the last occurrence
            self.try_earn([*self.activity, mark])


def _walk(m: MilestoneDef, threshold: int, streams: Sequence[tuple[int, Sequence[Mark]]]) -> _Walk:
    walk = _Walk(m, threshold)
    ordered = sorted((mark.day, rank, mark) for rank, marks in streams for mark in marks)
    for _, rank, mark in ordered:
        walk.step(rank, mark)
    return walk


def _approvals(facts: Facts, milestone_id: str) -> list[Mark]:
    return [
        Mark(ev.date, False, ev.evidence_id, ev.provider_id)
        for ev in facts.of(EvidenceKind.APPROVAL)
        if ev.text("milestone") == milestone_id
    ]


def _job_starts(facts: Facts) -> list[Mark]:
    return [Mark(j.start, False, j.key, j.provider_id) for j in facts.jobs]


def _missing(walk: _Walk, counted_label: str, shortcut: str) -> tuple[str, ...]:
    if walk.blocked is not None:
        n = len(walk.drafts) + 1
        return (f"occurrence {n} of {walk.milestone.id} needs approval evidence",)
    return (f"{counted_label}: {len(walk.counted)} of {walk.threshold} ({shortcut})",)


def job_search(m: MilestoneDef, facts: Facts, earned: object) -> RuleOutcome:
    # 004 line 36: "Submission of 15 applications ... or employment has been secured with evidence
    # of job search activities" (job_search events and job applications both are such evidence).
    threshold = m.thresholds.applications or 0
    applications = [m_ for m_ in facts.job_search.marks if not m_.from_event]
    searches = [m_ for m_ in facts.job_search.marks if m_.from_event]
    walk = _walk(m, threshold, [
        (_COUNTED, applications), (_ACTIVITY, searches),
        (_APPROVAL, _approvals(facts, m.id)), (_JOB_START, _job_starts(facts)),
    ])  # fmt: skip
    shortcut = "or a job start after a job-search activity"
    return RuleOutcome(
        tuple(walk.drafts), _missing(walk, f"job applications since the last {m.id}", shortcut)
    )


def employer_networking(m: MilestoneDef, facts: Facts, earned: object) -> RuleOutcome:
    # 004 line 48: "12 face to face contacts with hiring personnel ... Or Employment has been
    # obtained and there is documented face to face employer contacts ... regardless of the number".
    # Counted from the employer contact log only, each employer once a day (docs/milestones.md).
    threshold = m.thresholds.employer_contacts or 0
    contacts: MarkSeries = facts.employer_log
    walk = _walk(m, threshold, [
        (_COUNTED, contacts.marks), (_APPROVAL, _approvals(facts, m.id)),
        (_JOB_START, _job_starts(facts)),
    ])  # fmt: skip
    shortcut = "or a job start after such a contact"
    return RuleOutcome(
        tuple(walk.drafts),
        _missing(walk, "face-to-face contacts in the employer contact log", shortcut),
    )

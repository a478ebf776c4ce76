"""What the milestone engine answers: earned occurrences and progress toward the next ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from msgspec import Struct

from claims.milestones.catalog import PayerKind
from claims.milestones.facts import Mark

# (member_id, milestone, occurrence): how an earned occurrence is invoiced and credited.
OccurrenceKey = tuple[str, str, int]


class EarnedMilestone(Struct, frozen=True, gc=False):
    member_id: str
    milestone: str
    occurrence: int  # 1-based, per milestone per member, in earned_on order
    earned_on: date
    amount: Decimal
    payer_kind: PayerKind
    provider_id: str
    job_key: str | None  # the job_start evidence id for per-job milestones (3-C, 4, 5-A..5-C)
    evidence_ids: tuple[str, ...]
    event_ids: tuple[str, ...]
    # Earned but not invoiced yet, and why (docs/milestones.md, "Earned but waiting"): a gating
    # fidelity review, a missing EIPD authorization. Empty: ready to invoice.
    waiting: tuple[str, ...] = ()
    eipd_authorization_id: str | None = None  # the covering one, for an EIPD milestone

    @property
    def key(self) -> OccurrenceKey:
        return (self.member_id, self.milestone, self.occurrence)


class MilestoneProgress(Struct, frozen=True, gc=False):
    """``met``: earned at least once. ``missing``: what the next occurrence still lacks, in plain
    English; empty when nothing is missing or no further occurrence is possible."""

    milestone: str
    met: bool
    missing: tuple[str, ...]


class MemberMilestones(Struct, frozen=True, gc=False):
    earned: tuple[EarnedMilestone, ...]
    progress: tuple[MilestoneProgress, ...]

    def of(self, milestone: str) -> tuple[EarnedMilestone, ...]:
        return tuple(e for e in self.earned if e.milestone == milestone)


class Draft(Struct, frozen=True, gc=False):
    """An occurrence before numbering: when, by which provider, resting on which facts."""

    milestone: str
    earned_on: date
    provider_id: str
    marks: tuple[Mark, ...]
    job_key: str | None = None

    @property
    def sort_key(self) -> tuple[date, str]:
        return (self.earned_on, self.job_key or "")


def draft(
    milestone: str, marks: Sequence[Mark], job_key: str | None = None, on: date | None = None
) -> Draft:
    """An occurrence completed by the last of ``marks`` (or on ``on``, when time completes it)."""
    completing = max(marks)
    return Draft(milestone, on or completing.day, completing.provider_id, tuple(marks), job_key)


class RuleOutcome(Struct, frozen=True, gc=False):
    drafts: tuple[Draft, ...]
    missing: tuple[str, ...]

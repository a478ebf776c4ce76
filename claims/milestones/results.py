"""What the milestone engine answers: earned occurrences and progress toward the next ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from claims.milestones.catalog import PayerKind
from claims.milestones.facts import Mark

# (member_id, milestone, occurrence): how an earned occurrence is invoiced and credited.
OccurrenceKey = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class EarnedMilestone:
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


@dataclass(frozen=True, slots=True)
class MilestoneProgress:
    """``met``: earned at least once. ``missing``: what the next occurrence still lacks, in plain
    English; empty when nothing is missing or no further occurrence is possible."""

    milestone: str
    met: bool
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemberMilestones:
    earned: tuple[EarnedMilestone, ...]
    progress: tuple[MilestoneProgress, ...]

    def of(self, milestone: str) -> tuple[EarnedMilestone, ...]:
        return tuple(e for e in self.earned if e.milestone == milestone)


class Draft(NamedTuple):
    """An occurrence before numbering: when, by which provider, resting on which facts.

    Internal and made by the thousand per caseload: a named tuple, cheaper than a frozen
    dataclass (whose __init__ sets each field through object.__setattr__)."""

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


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    drafts: tuple[Draft, ...]
    missing: tuple[str, ...]

"""What one inbound file did: claims it changed (compared before and after), what it could not
match, the remittances it held back and the batches it answered.

A claim counts as updated only when its state after the whole file differs from its state
before it: a file that pays, reverses and pays a claim again, or repeats what an earlier file
said, updates nothing (docs/edi.md, "What an inbound file answers").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from claims.lifecycle import ClaimEvent, ClaimStatus, transition
from service import models as orm
from service.models.base import utcnow


def claim_state(claim: orm.Claim) -> tuple[Any, ...]:
    return (
        claim.status,
        claim.paid_amount,
        claim.payment_reference,
        claim.paid_on,
        claim.payer_claim_number,
        tuple(claim.status_codes or ()),
    )


@dataclass
class Applied:
    kind: str
    source: str
    digest: str = ""
    before: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    rows: dict[str, orm.Claim] = field(default_factory=dict)
    unmatched: list[dict[str, str]] = field(default_factory=list)
    numbers_learned: set[str] = field(default_factory=set)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    batches: set[str] = field(default_factory=set)
    provider_adjustments: int = 0

    def touch(self, claim: orm.Claim) -> None:
        """Remember the claim as it was before this file, once."""
        if claim.claim_id not in self.before:
            self.before[claim.claim_id] = claim_state(claim)
            self.rows[claim.claim_id] = claim

    def updated(self) -> list[str]:
        return sorted(
            claim_id
            for claim_id, before in self.before.items()
            if claim_state(self.rows[claim_id]) != before
        )

    def result(self) -> dict[str, Any]:
        updated = self.updated()
        return {
            "kind": self.kind,
            "claims_updated": len(updated),
            "claim_ids": updated,
            "unmatched": self.unmatched,
            "exceptions": self.exceptions,
            "batch_ids": sorted(self.batches),
            "provider_adjustments": self.provider_adjustments,
            "duplicate": False,
        }


def moves(claim: orm.Claim, event: ClaimEvent) -> bool:
    """Whether ``event`` applies to the claim in its status now (claims.lifecycle)."""
    return transition(ClaimStatus(claim.status), event) is not None


def set_status(
    session: AsyncSession, claim: orm.Claim, event: ClaimEvent, applied: Applied, detail: str
) -> None:
    """The status ``event`` moves the claim to (claims.lifecycle.transition), with a history
    entry naming the file; an event that does not apply to the claim's status, or the same
    status again, writes nothing."""
    applied.touch(claim)
    status = transition(ClaimStatus(claim.status), event)
    if status is None or claim.status == status:
        return
    claim.status = status.value
    session.add(
        orm.ClaimHistory(
            claim_id=claim.claim_id,
            at=utcnow(),
            status=status.value,
            source=applied.source,
            detail=detail,
        )
    )

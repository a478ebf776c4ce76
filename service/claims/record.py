"""A written page's claims recorded: claims, claim lines, history and the unit lines' claimed
state, in bulk statements (the cost follows the batch, not the ORM)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from claims.lifecycle import ClaimStatus, Frequency
from claims.model import LineStatus
from claims.money import to_money
from service import models as orm
from service.claims.planned import PlannedClaim
from service.dbkit import bulk_insert, bulk_update_by_id


async def record_claims(
    session: AsyncSession, batch: orm.ClaimBatch, planned: list[PlannedClaim]
) -> None:
    """Claims, lines and history in bulk statements: the cost follows the batch, not the ORM.
    The page's lines and charges are added to the batch's ``line_count`` and ``total_charge``
    here, while they are still held (a recorded new claim lets its lines go)."""
    source = f"batch {batch.batch_id}"
    claims, lines, history, line_updates = [], [], [], []
    same = _SameJson()
    for claim in planned:
        claims.append(_claim_row(batch, claim, same))
        batch.line_count += claim.line_count
        batch.total_charge += claim.total
        history.append(
            {
                "claim_id": claim.claim_id,
                "at": batch.created_at,
                "status": ClaimStatus.GENERATED.value,
                "source": source,
                "detail": f"frequency {claim.frequency}",
            }
        )
        lines.extend(_line_rows(claim, same))
        line_updates.extend(_claimed_state(claim))
        if claim.replaces is not None:
            claim.replaces.replaced_by_claim_id = claim.claim_id
            verb = "replaced" if claim.frequency == Frequency.REPLACEMENT else "voided"
            history.append(
                {
                    "claim_id": claim.replaces.claim_id,
                    "at": batch.created_at,
                    "status": claim.replaces.status,
                    "source": source,
                    "detail": f"{verb} by {claim.claim_id}",
                }
            )
        elif claim.is_new:
            claim.lines = ()  # written and recorded: let the page's rows go
    await session.flush()
    for table, rows in ((orm.Claim, claims), (orm.ClaimLine, lines), (orm.ClaimHistory, history)):
        await bulk_insert(session, table, rows)
    await bulk_update_by_id(session, orm.UnitLine, line_updates)


class _SameJson:
    """One object per distinct JSON value of a page's rows. ``bulk_insert`` encodes a value
    once per object, so 5,000 lines with no modifiers and no adjustments cost two encodings,
    not 10,000 (the rows are only read, never changed)."""

    def __init__(self) -> None:
        self.empty: list[Any] = []
        self._lists: dict[tuple[str, ...], list[str]] = {}

    def strings(self, values: Any) -> list[str]:
        key = tuple(values)
        if not key:
            return self.empty
        found = self._lists.get(key)
        if found is None:
            found = self._lists[key] = list(key)
        return found


def _claim_row(batch: orm.ClaimBatch, claim: PlannedClaim, same: _SameJson) -> dict[str, object]:
    return {
        "claim_id": claim.claim_id,
        "batch_id": batch.batch_id,
        "member_id": claim.member_id,
        "provider_id": claim.provider_id,
        "payer_id": batch.payer_id,
        "service_month": claim.month,
        "frequency": claim.frequency,
        "replaces_claim_id": claim.replaces.claim_id if claim.replaces else None,
        "replaced_by_claim_id": None,
        "payer_claim_number": None,
        "transaction_control_number": claim.st_number,
        "total_charge": to_money(claim.total),
        "paid_amount": Decimal("0.00"),
        "status": ClaimStatus.GENERATED.value,
        "status_codes": same.empty,
        "payment_reference": None,
        "paid_on": None,
        "created_at": batch.created_at,
    }


def _line_rows(claim: PlannedClaim, same: _SameJson) -> list[dict[str, object]]:
    if claim.frequency == Frequency.VOID:  # a void repeats the original claim's lines
        return [
            {
                "claim_id": claim.claim_id,
                "line_number": old.line_number,
                "line_ref": old.line_ref,
                "unit_line_id": old.unit_line_id,
                "service_date": old.service_date,
                "procedure": old.procedure,
                "modifiers": same.strings(old.modifiers),
                "units": old.units,
                "charge": old.charge,
                "paid_amount": Decimal("0.00"),
                "adjustments": same.empty,
                "event_ids": list(old.event_ids),
            }
            for old in claim.original_lines
        ]
    return [
        {
            "claim_id": claim.claim_id,
            "line_number": number,
            "line_ref": row.line_ref,
            "unit_line_id": row.id,
            "service_date": row.service_date,
            "procedure": row.procedure,
            "modifiers": same.strings(row.modifiers),
            "units": row.units,
            "charge": row.charge,
            "paid_amount": Decimal("0.00"),
            "adjustments": same.empty,
            "event_ids": list(row.event_ids),
        }
        for number, row in enumerate(claim.lines, start=1)
    ]


def _claimed_state(claim: PlannedClaim) -> list[dict[str, Any]]:
    """Unit lines now carried by this claim; lines a void or replacement dropped are freed."""
    freed = claim.lines if claim.frequency == Frequency.VOID else claim.dropped
    kept = [] if claim.frequency == Frequency.VOID else claim.lines
    return [
        {
            "id": row.id,
            "claim_id": claim.claim_id,
            "claimed_units": row.units,
            "claimed_charge": row.charge,
            "status": LineStatus.CLAIMED.value,
            "hold_reason": None,
        }
        for row in kept
    ] + [
        {
            "id": row.id,
            "claim_id": None,
            "claimed_units": None,
            "claimed_charge": None,
            "status": LineStatus.EXCLUDED.value,
            "hold_reason": None,
        }
        for row in freed
    ]

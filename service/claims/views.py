"""Row-to-answer mapping for claims and batches, shared by the claims and payment routes."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from service import models as orm
from service.claims import repository
from service.claims.schemas import (
    AdjustmentOut,
    BatchOut,
    ClaimLineOut,
    ClaimOut,
    HistoryOut,
)


def batch_out(batch: orm.ClaimBatch) -> BatchOut:
    extra = batch.acknowledgment.get("summary", {}) if batch.acknowledgment else {}
    return BatchOut(
        batch_id=batch.batch_id,
        payer_id=batch.payer_id,
        provider_id=batch.provider_id,
        through_date=batch.through_date,
        interchange_control_number=batch.interchange_control_number,
        group_control_number=batch.group_control_number,
        transaction_control_numbers=list(batch.transaction_control_numbers),
        claim_count=batch.claim_count,
        line_count=batch.line_count,
        total_charge=batch.total_charge,
        status=batch.status,
        created_at=batch.created_at,
        content_sha256=batch.content_sha256,
        replacement_count=int(extra.get("replacements", 0)),
        void_count=int(extra.get("voids", 0)),
        skipped=list(extra.get("skipped", [])),
        left_out=list(extra.get("left_out", [])),
    )


def _line_out(line: orm.ClaimLine) -> ClaimLineOut:
    return ClaimLineOut(
        line_number=line.line_number,
        line_id=line.line_ref,
        service_date=line.service_date,
        procedure=line.procedure,
        modifiers=list(line.modifiers),
        units=line.units,
        charge=line.charge,
        paid_amount=line.paid_amount,
        adjustments=[AdjustmentOut(**adj) for adj in line.adjustments],
        event_ids=list(line.event_ids),
    )


def claim_out(
    claim: orm.Claim, lines: Sequence[orm.ClaimLine], history: Sequence[orm.ClaimHistory]
) -> ClaimOut:
    return ClaimOut(
        claim_id=claim.claim_id,
        batch_id=claim.batch_id,
        member_id=claim.member_id,
        provider_id=claim.provider_id,
        payer_id=claim.payer_id,
        service_month=claim.service_month,
        frequency=claim.frequency,
        replaces_claim_id=claim.replaces_claim_id,
        replaced_by_claim_id=claim.replaced_by_claim_id,
        payer_claim_number=claim.payer_claim_number,
        lines=[_line_out(item) for item in lines],
        total_charge=claim.total_charge,
        status=claim.status,
        status_codes=list(claim.status_codes),
        paid_amount=claim.paid_amount,
        payment_reference=claim.payment_reference,
        paid_on=claim.paid_on,
        history=[
            HistoryOut(at=h.at, status=h.status, source=h.source, detail=h.detail) for h in history
        ],
    )


async def claims_out(session: AsyncSession, claims: Sequence[orm.Claim]) -> list[ClaimOut]:
    ids = [claim.claim_id for claim in claims]
    lines = await repository.lines_of(session, ids)
    history = await repository.history_of(session, ids)
    return [claim_out(c, lines.get(c.claim_id, []), history.get(c.claim_id, [])) for c in claims]


SUMMARY_COLUMNS = [
    "claim_id",
    "frequency",
    "member_id",
    "subscriber_id",
    "provider_id",
    "line_number",
    "line_id",
    "service_date",
    "procedure",
    "modifiers",
    "units",
    "charge",
    "event_ids",
]


def summary_csv(
    claims: Sequence[orm.Claim],
    lines: dict[str, list[orm.ClaimLine]],
    subscribers: dict[str, str | None],
) -> str:
    """One row per service line: what a finance clerk reconciles against the 837P."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for claim in claims:
        for line in lines.get(claim.claim_id, []):
            writer.writerow(
                [
                    claim.claim_id,
                    claim.frequency,
                    claim.member_id,
                    subscribers.get(claim.member_id) or "",
                    claim.provider_id,
                    line.line_number,
                    line.line_ref,
                    line.service_date.isoformat(),
                    line.procedure,
                    ":".join(line.modifiers),
                    line.units,
                    f"{line.charge:.2f}",
                    " ".join(line.event_ids),
                ]
            )
    return buffer.getvalue()

"""Inbound 999, 277CA and 835: matched to our batches, claims and lines, applied once.

The same file twice changes nothing (its digest is kept); claims a file names that we cannot
match (or that lie outside the caller's scope) are listed in the answer, never dropped
silently. A status is written, with a history entry naming the file, only when it changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from claims.inbound import model as edi
from claims.inbound import parse_inbound
from claims.model import ReasonCode
from claims.money import to_money
from service import models as orm
from service.auth.principal import Principal
from service.models.base import utcnow
from service.profiles import ProfileRegistry
from service.units.repository import rows_in
from service.units.service import readjudicate
from service.units.touched import Touched

REMIT_STATUS = {
    edi.RemitOutcome.PAID: "paid",
    edi.RemitOutcome.PARTIALLY_PAID: "partially_paid",
    edi.RemitOutcome.DENIED: "denied",
    edi.RemitOutcome.REVERSED: "accepted",
}


@dataclass
class Applied:
    kind: str
    source: str
    updated: set[str] = field(default_factory=set)
    unmatched: list[dict[str, str]] = field(default_factory=list)
    numbers_learned: set[str] = field(default_factory=set)

    def result(self, duplicate: bool = False) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "claims_updated": len(self.updated),
            "claim_ids": sorted(self.updated),
            "unmatched": self.unmatched,
            "duplicate": duplicate,
        }


async def receive(
    session: AsyncSession, principal: Principal, profiles: ProfileRegistry, text: str
) -> dict[str, Any]:
    inbound = parse_inbound(text)
    stored = (
        await session.execute(
            select(orm.InboundFile).where(orm.InboundFile.digest == inbound.digest)
        )
    ).scalar_one_or_none()
    if stored is not None:
        return {**stored.result, "claims_updated": 0, "duplicate": True}
    applied = Applied(inbound.kind.value, f"{inbound.kind.value} file {inbound.digest[:12]}")
    await _APPLY[inbound.kind](session, principal, inbound.document, applied)
    await release_awaiting(session, profiles, applied.numbers_learned)
    result = applied.result()
    result["warnings"] = [
        {"line": w.line, "code": w.code, "message": w.message}
        for w in getattr(inbound.document, "warnings", ())
    ]
    try:
        async with session.begin_nested():
            session.add(
                orm.InboundFile(
                    digest=inbound.digest, kind=inbound.kind.value, content=text, result=result
                )
            )
    except IntegrityError:  # the same file, posted concurrently, landed first
        return {**result, "claims_updated": 0, "duplicate": True}
    return result


async def _claims(
    session: AsyncSession, principal: Principal, claim_ids: set[str]
) -> dict[str, orm.Claim]:
    found = await rows_in(session, orm.Claim.claim_id, claim_ids)
    return {c.claim_id: c for c in found if principal.sees_payer(c.payer_id)}


def _set_status(
    session: AsyncSession, claim: orm.Claim, status: str, applied: Applied, detail: str
) -> None:
    if claim.status == status:
        return
    claim.status = status
    applied.updated.add(claim.claim_id)
    session.add(
        orm.ClaimHistory(
            claim_id=claim.claim_id,
            at=utcnow(),
            status=status,
            source=applied.source,
            detail=detail,
        )
    )


async def _apply_999(
    session: AsyncSession, principal: Principal, doc: edi.Ack999, applied: Applied
) -> None:
    for group in doc.groups:
        stmt = select(orm.ClaimBatch).where(
            orm.ClaimBatch.group_control_number == _int(group.group_control_number)
        )
        batches = [
            b for b in (await session.execute(stmt)).scalars() if principal.sees_payer(b.payer_id)
        ]
        if not batches:
            applied.unmatched.append(
                {
                    "group_control_number": group.group_control_number,
                    "reason": "no batch with this GS06",
                }
            )
            continue
        for batch in batches:
            await _apply_999_group(session, batch, group, applied)


async def _apply_999_group(
    session: AsyncSession, batch: orm.ClaimBatch, group: edi.AckGroup, applied: Applied
) -> None:
    sets = {_int(t.control_number): t for t in group.transactions}
    batch.status = (
        "accepted"
        if group.accepted
        else ("partially_accepted" if group.status == "P" else "rejected")
    )
    batch.acknowledgment = {
        **batch.acknowledgment,
        "999": {
            "status": group.status,
            "error_codes": list(group.error_codes),
            "sets": {
                str(k): {"status": t.status, "errors": list(t.errors)} for k, t in sets.items()
            },
        },
    }
    claims = list(
        (
            await session.execute(select(orm.Claim).where(orm.Claim.batch_id == batch.batch_id))
        ).scalars()
    )
    for claim in claims:
        ack = sets.get(claim.transaction_control_number)
        rejected = (ack is not None and not ack.accepted) or (ack is None and not group.accepted)
        if rejected and claim.status == "generated":
            claim.status_codes = list(ack.error_codes if ack else group.error_codes)
            _set_status(
                session, claim, "rejected", applied, "transaction set rejected by the payer's 999"
            )


async def _apply_277(
    session: AsyncSession, principal: Principal, doc: edi.ClaimStatus277, applied: Applied
) -> None:
    claims = await _claims(session, principal, {a.patient_control_number for a in doc.claims})
    for ack in doc.claims:
        claim = claims.get(ack.patient_control_number)
        if claim is None:
            applied.unmatched.append(
                {"claim_id": ack.patient_control_number, "reason": "no claim with this CLM01"}
            )
            continue
        codes = [f"{c.category}:{c.status}" for s in ack.statuses for c in s.codes]
        claim.status_codes = codes
        if ack.payer_claim_control_number and not claim.payer_claim_number:
            claim.payer_claim_number = ack.payer_claim_control_number
            applied.numbers_learned.add(claim.claim_id)
            applied.updated.add(claim.claim_id)
        if ack.rejected:
            _set_status(session, claim, "rejected", applied, "277CA " + " ".join(codes))
        elif ack.outcome is edi.AckOutcome.ACCEPTED and claim.status in ("generated", "rejected"):
            _set_status(session, claim, "accepted", applied, "277CA " + " ".join(codes))


async def _apply_835(
    session: AsyncSession, principal: Principal, doc: edi.Remittance835, applied: Applied
) -> None:
    for payment in doc.payments:
        ids = {c.patient_control_number for c in payment.claims}
        claims = await _claims(session, principal, ids)
        for remit in payment.claims:
            claim = claims.get(remit.patient_control_number)
            if claim is None:
                applied.unmatched.append(
                    {"claim_id": remit.patient_control_number, "reason": "no claim with this CLM01"}
                )
                continue
            await _apply_remit(session, claim, remit, payment, applied)


async def _apply_remit(
    session: AsyncSession,
    claim: orm.Claim,
    remit: edi.RemitClaim,
    payment: edi.Payment,
    applied: Applied,
) -> None:
    if remit.payer_claim_control_number and not claim.payer_claim_number:
        claim.payer_claim_number = remit.payer_claim_control_number
        applied.numbers_learned.add(claim.claim_id)
    paid = Decimal("0.00") if remit.outcome is edi.RemitOutcome.REVERSED else to_money(remit.paid)
    if claim.paid_amount != paid or claim.payment_reference != payment.trace_number:
        claim.paid_amount, claim.payment_reference = paid, payment.trace_number
        claim.paid_on = payment.payment_date
        applied.updated.add(claim.claim_id)
    claim.status_codes = [f"CLP02:{remit.status_code}"] + [
        f"{a.group_code}-{a.reason_code}" for a in remit.adjustments
    ]
    detail = f"835 CLP02 {remit.status_code}, paid {paid}, trace {payment.trace_number}"
    _set_status(session, claim, REMIT_STATUS[remit.outcome], applied, detail)
    await _apply_lines(session, claim, remit, applied)


async def _apply_lines(
    session: AsyncSession, claim: orm.Claim, remit: edi.RemitClaim, applied: Applied
) -> None:
    lines = {
        line.line_ref: line
        for line in (
            await session.execute(
                select(orm.ClaimLine).where(orm.ClaimLine.claim_id == claim.claim_id)
            )
        ).scalars()
    }
    for remit_line in remit.lines:
        line = lines.get(remit_line.line_item_control_number)
        if line is None:
            applied.unmatched.append(
                {
                    "claim_id": claim.claim_id,
                    "line_id": remit_line.line_item_control_number or "-",
                    "reason": "no line with this REF*6R on the claim",
                }
            )
            continue
        line.paid_amount = to_money(remit_line.paid)
        line.adjustments = [_adjustment(a) for a in remit_line.adjustments]


def _adjustment(adj: edi.Adjustment) -> dict[str, Any]:
    return {
        "group_code": adj.group_code,
        "reason_code": adj.reason_code,
        "amount": str(to_money(adj.amount)),
        "quantity": None if adj.quantity is None else str(adj.quantity),
    }


async def release_awaiting(
    session: AsyncSession, profiles: ProfileRegistry, claim_ids: set[str]
) -> None:
    """Lines held for a payer claim number re-adjudicate now that the number is known."""
    if not claim_ids:
        return
    await session.flush()
    line = orm.UnitLine
    held = await rows_in(
        session,
        line.claim_id,
        claim_ids,
        line.hold_reason == ReasonCode.AWAITING_PAYER_CLAIM_NUMBER.value,
    )
    touched = Touched()
    for row in held:
        touched.add(row.member_id, row.service_date)
    await readjudicate(session, touched, profiles)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


_APPLY: dict[edi.InboundKind, Any] = {
    edi.InboundKind.ACK_999: _apply_999,
    edi.InboundKind.CLAIM_ACK_277CA: _apply_277,
    edi.InboundKind.REMITTANCE_835: _apply_835,
}

"""999 and TA1: matched to the batch they answer by sender, receiver and control number together.

A payer's acknowledgment comes from where our 837P went (its ISA06 is our ISA08) to who sent it
(its ISA08 is our ISA06). GS06 alone is not enough: two senders (two payer profiles) each count
their own GS06 from 1, so a 999 for another sender's group must not touch our claims.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.inbound import model as edi
from claims.lifecycle import BatchStatus, ClaimEvent
from service import models as orm
from service.auth.principal import Principal
from service.edi.applied import Applied, moves, set_status
from service.profiles import ProfileRegistry


async def batches_sent(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    envelope: edi.Envelope,
    *where: Any,
) -> list[orm.ClaimBatch]:
    """Our batches this interchange answers: sent by its receiver to its sender."""
    stmt = select(orm.ClaimBatch).where(
        orm.ClaimBatch.sender_id == envelope.receiver_id.strip().upper(), *where
    )
    found = []
    for batch in (await session.execute(stmt)).scalars():
        if principal.sees_payer(batch.payer_id) and await _sent_to(
            session, profiles, batch, envelope.sender_id
        ):
            found.append(batch)
    return found


async def _sent_to(
    session: AsyncSession, profiles: ProfileRegistry, batch: orm.ClaimBatch, sender: str
) -> bool:
    receiver = batch.receiver_id
    if receiver is None:  # sent before the batch kept its ISA08: the payer's profile says
        payer = await session.get(orm.Payer, batch.payer_id)
        receiver = profiles.get(payer.edi_profile).interchange.isa_receiver_id if payer else ""
    return receiver.strip().upper() == sender.strip().upper()


async def apply_interchange_acks(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    envelope: edi.Envelope,
    applied: Applied,
) -> None:
    """Every TA1 is recorded on its batch; a rejecting one (TA104 R) rejects the batch."""
    for ack in envelope.interchange_acks:
        number = as_int(ack.control_number)
        batches = await batches_sent(
            session, principal, profiles, envelope,
            orm.ClaimBatch.interchange_control_number == number,
        )  # fmt: skip
        if not batches:
            applied.unmatched.append(
                {"interchange_control_number": ack.control_number, "reason": NO_TA1_MATCH}
            )
        for batch in batches:
            await _apply_ta1(session, batch, ack, applied)


NO_TA1_MATCH = "no batch sent to this sender with this ISA13"


async def _apply_ta1(
    session: AsyncSession, batch: orm.ClaimBatch, ack: edi.InterchangeAck, applied: Applied
) -> None:
    applied.batches.add(batch.batch_id)
    batch.acknowledgment = {
        **batch.acknowledgment,
        "TA1": {"ack_code": ack.ack_code, "note_code": ack.note_code, "source": applied.source},
    }
    if not ack.rejected:
        return
    batch.status = BatchStatus.REJECTED.value
    for claim in await batch_claims(session, batch):
        if moves(claim, ClaimEvent.TA1_REJECTED):
            applied.touch(claim)
            claim.status_codes = [f"TA1:{ack.note_code}"]
            detail = f"interchange rejected by TA1 (note code {ack.note_code})"
            set_status(session, claim, ClaimEvent.TA1_REJECTED, applied, detail)


async def apply_999(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    doc: edi.Ack999,
    applied: Applied,
) -> None:
    for group in doc.groups:
        batches = await batches_sent(
            session, principal, profiles, doc.envelope,
            orm.ClaimBatch.group_control_number == as_int(group.group_control_number),
        )  # fmt: skip
        if not batches:
            applied.unmatched.append(
                {
                    "group_control_number": group.group_control_number,
                    "reason": "no batch sent to this sender with this GS06",
                }
            )
        for batch in batches:
            await _apply_999_group(session, batch, group, applied)


async def _apply_999_group(
    session: AsyncSession, batch: orm.ClaimBatch, group: edi.AckGroup, applied: Applied
) -> None:
    applied.batches.add(batch.batch_id)
    sets = {as_int(t.control_number): t for t in group.transactions}
    batch.status = (
        BatchStatus.ACCEPTED
        if group.accepted
        else (BatchStatus.PARTIALLY_ACCEPTED if group.status == "P" else BatchStatus.REJECTED)
    ).value
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
    for claim in await batch_claims(session, batch):
        ack = sets.get(claim.transaction_control_number)
        rejected = (ack is not None and not ack.accepted) or (ack is None and not group.accepted)
        if rejected and moves(claim, ClaimEvent.SET_REJECTED):
            applied.touch(claim)
            claim.status_codes = list(ack.error_codes if ack else group.error_codes)
            detail = "transaction set rejected by the payer's 999"
            set_status(session, claim, ClaimEvent.SET_REJECTED, applied, detail)


async def batch_claims(session: AsyncSession, batch: orm.ClaimBatch) -> list[orm.Claim]:
    stmt = select(orm.Claim).where(orm.Claim.batch_id == batch.batch_id)
    return list((await session.execute(stmt)).scalars())


def as_int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1

"""Inbound TA1, 999, 277CA and 835: matched to our batches, claims and lines, applied once.

The same file twice changes nothing (its digest is kept); claims a file names that we cannot
match (or that lie outside the caller's scope) are listed in the answer, never dropped
silently; 835 payments that fail a remittance check are held as exceptions. A status is
written, with a history entry naming the file, only when it changes (docs/edi.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from claims.inbound import InboundFile, parse_inbound
from claims.inbound import model as edi
from claims.lifecycle import ClaimEvent
from claims.model import ReasonCode
from service import models as orm
from service.auth.principal import Principal
from service.dbkit import rows_in
from service.edi.acks import apply_999, apply_interchange_acks, as_int, batch_claims, batches_sent
from service.edi.applied import Applied, moves, set_status
from service.edi.remittance import apply_835
from service.profiles import ProfileRegistry
from service.units.service import readjudicate
from service.units.touched import Touched

REJECTED = ClaimEvent.ACK_REJECTED  # applies to claims not yet paid or denied (claims.lifecycle)


async def receive(
    session: AsyncSession, principal: Principal, profiles: ProfileRegistry, text: str
) -> dict[str, Any]:
    return await apply_read(session, principal, profiles, await read_aside(text), text)


async def read_aside(text: str) -> InboundFile:
    """``parse_inbound`` in a thread: reading is pure CPU (0.3 s a MB, and pyx12's advice on a
    small file reloads its maps, 0.1-0.3 s), and on the event loop it held every other request
    of the worker for that long. docs/edi.md, "Reading time"."""
    return await asyncio.to_thread(parse_inbound, text)


async def apply_read(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    inbound: InboundFile,
    text: str,
) -> dict[str, Any]:
    """Apply a file already read (``parse_inbound(text)``): a job reads and applies it as two
    steps of its progress (service/jobs/inbound.py)."""
    stored = await _stored_result(session, inbound.digest)
    if stored is not None:
        return stored
    kind = inbound.kind.value
    row = orm.InboundFile(
        digest=inbound.digest, kind=kind, content=text, result={}, payer_id=principal.payer_filter
    )
    try:  # the digest first: a concurrent posting of the same file waits here, then finds it
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:  # that posting landed first; this one changes nothing
        stored = await _stored_result(session, inbound.digest)
        assert stored is not None  # committed: the unique index saw it
        return stored
    applied = Applied(kind, f"{kind} file {inbound.digest[:12]}", inbound.digest)
    envelope = inbound.document.envelope
    await apply_interchange_acks(session, principal, profiles, envelope, applied)
    await _apply(session, principal, profiles, inbound.document, applied)
    result = applied.result()  # before re-adjudication, which may expire the claim rows
    await release_awaiting(session, profiles, applied.numbers_learned)
    result["warnings"] = [
        {"line": w.line, "code": w.code, "message": w.message} for w in inbound.document.warnings
    ]
    row.result = result
    return result


async def _stored_result(session: AsyncSession, digest: str) -> dict[str, Any] | None:
    """A known file's answer: what it did the first time, changing nothing now (the stored
    result only: the file's text may be 50 MiB)."""
    stmt = select(orm.InboundFile.result).where(orm.InboundFile.digest == digest)
    stored: dict[str, Any] | None = (await session.execute(stmt)).scalar_one_or_none()
    return None if stored is None else received_before(stored)


def received_before(result: dict[str, Any]) -> dict[str, Any]:
    """The answer to a file sent again: what it did the first time, nothing changed now."""
    return {**result, "claims_updated": 0, "claim_ids": [], "duplicate": True}


async def _apply(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    document: edi.Document,
    applied: Applied,
) -> None:
    if isinstance(document, edi.Ack999):
        await apply_999(session, principal, profiles, document, applied)
    elif isinstance(document, edi.ClaimStatus277):
        await _apply_277(session, principal, profiles, document, applied)
    elif isinstance(document, edi.Remittance835):
        await apply_835(session, principal, profiles, document, applied)


async def _apply_277(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    doc: edi.ClaimStatus277,
    applied: Applied,
) -> None:
    ids = {a.patient_control_number for a in doc.claims}
    claims = {c.claim_id: c for c in await rows_in(session, orm.Claim.claim_id, ids)}
    for ack in doc.claims:
        claim = claims.get(ack.patient_control_number)
        if claim is None or not principal.sees_payer(claim.payer_id):
            applied.unmatched.append(
                {"claim_id": ack.patient_control_number, "reason": "no claim with this CLM01"}
            )
            continue
        _apply_claim_ack(session, claim, ack, applied)
    for summary in doc.summaries:
        if summary.rejected and summary.claims_below == 0:
            await _apply_level_rejection(session, principal, profiles, doc, summary, applied)


def _apply_claim_ack(
    session: AsyncSession, claim: orm.Claim, ack: edi.ClaimAck, applied: Applied
) -> None:
    applied.touch(claim)
    codes = [f"{c.category}:{c.status}" for s in ack.inherited + ack.statuses for c in s.codes]
    claim.status_codes = codes
    if ack.payer_claim_control_number and not claim.payer_claim_number:
        claim.payer_claim_number = ack.payer_claim_control_number
        applied.numbers_learned.add(claim.claim_id)
    if ack.rejected:
        set_status(session, claim, REJECTED, applied, "277CA " + " ".join(codes))
    elif ack.outcome is edi.AckOutcome.ACCEPTED:
        set_status(session, claim, ClaimEvent.ACK_ACCEPTED, applied, "277CA " + " ".join(codes))


async def _apply_level_rejection(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    doc: edi.ClaimStatus277,
    summary: edi.StatusSummary,
    applied: Applied,
) -> None:
    """A receiver- or provider-level rejection naming no claim rejects every claim of the
    transaction set its 2200B TRN02 names (our BHT03: ISA13 then ST02), or of that set's
    billing provider (2200C NM109, the NPI)."""
    trace = summary.receiver_trace
    isa, st = as_int(trace[:9]), as_int(trace[9:])
    batches = await batches_sent(
        session, principal, profiles, doc.envelope,
        orm.ClaimBatch.interchange_control_number == isa,
    )  # fmt: skip
    if len(trace) <= 9 or not batches:
        applied.unmatched.append(
            {"trace": trace, "reason": f"{summary.level}-level rejection names no batch of ours"}
        )
        return
    codes = [f"{c.category}:{c.status}" for s in summary.statuses for c in s.codes]
    npis = await _npis(session) if summary.level == "provider" else {}
    for batch in batches:
        applied.batches.add(batch.batch_id)
        for claim in await batch_claims(session, batch):
            if claim.transaction_control_number != st or not moves(claim, REJECTED):
                continue
            if summary.level == "provider" and npis.get(claim.provider_id) != summary.identifier:
                continue
            applied.touch(claim)
            claim.status_codes = codes
            detail = f"277CA {summary.level}-level rejection " + " ".join(codes)
            set_status(session, claim, REJECTED, applied, detail)


async def _npis(session: AsyncSession) -> dict[str, str]:
    stmt = select(orm.Provider.provider_id, orm.Provider.npi)
    return {row[0]: row[1] for row in await session.execute(stmt)}


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

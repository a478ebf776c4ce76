"""Milestone evidence intake, milestone status, invoices and their payments.

In-person contacts and employer contacts come from the stored service events, so nothing is
entered twice. A sent invoice never changes: evidence voided afterwards becomes a credit line
on the next invoice (billing-rules.md section 3).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import Conflict, InvalidInput, NotFound
from claims.invoices import InvoiceStatus
from claims.lifecycle import invoice_payment, transition
from claims.milestones import (
    EarnedMilestone,
    InvoicedOccurrence,
    MemberMilestones,
    MilestoneEvidence,
    MilestoneGates,
    PayerKind,
    evaluate_member,
    load_catalog,
    plan_invoice,
    validate_fields,
)
from claims.money import to_money
from service import models as orm
from service.auth.principal import Principal
from service.claims import control
from service.dbkit import rows_in
from service.milestones.schemas import EvidenceIn, InvoiceIn, PaymentIn
from service.models.base import utcnow
from service.reference.service import (
    refuse_outside_member,
    require_member,
    require_provider,
)
from service.units import convert
from service.versioning import Upserted, body_hash, record_version, upsert


def _json_safe(fields: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(fields, default=str))
    return result


async def put_evidence(
    session: AsyncSession, principal: Principal, evidence_id: str, body: EvidenceIn
) -> Upserted[orm.MilestoneEvidence]:
    existing = await session.get(orm.MilestoneEvidence, evidence_id)
    if existing is not None:
        await refuse_outside_member(
            session, principal, existing.member_id, f"milestone evidence {evidence_id}"
        )
    await require_member(session, principal, body.member_id, ("member_id",))
    await require_provider(session, body.provider_id, ("provider_id",))
    fields = _json_safe(validate_fields(body.kind, body.kind_fields()))
    columns = {
        "member_id": body.member_id,
        "provider_id": body.provider_id,
        "kind": body.kind.value,
        "date": body.date.isoformat(),
        "fields": fields,
        "voided": False,
    }
    return await upsert(
        session,
        orm.MilestoneEvidence,
        {"evidence_id": evidence_id},
        columns,
        "milestone_evidence",
        principal.key_id,
        existing=existing,
    )


async def void_evidence(
    session: AsyncSession, principal: Principal, evidence_id: str
) -> orm.MilestoneEvidence:
    row = await session.get(orm.MilestoneEvidence, evidence_id)
    if row is None:
        raise NotFound(f"no milestone evidence {evidence_id}")
    await refuse_outside_member(
        session, principal, row.member_id, f"milestone evidence {evidence_id}"
    )
    if not row.voided:
        row.voided, row.version, row.updated_at = True, row.version + 1, utcnow()
        row.body_hash = body_hash({"voided": True, "evidence_id": evidence_id, "v": row.version})
        record_version(
            session,
            "milestone_evidence",
            {"evidence_id": evidence_id},
            row.version,
            {"voided": True},
            principal.key_id,
        )
        await session.flush()
    return row


def _evidence(row: orm.MilestoneEvidence) -> MilestoneEvidence:
    return MilestoneEvidence(
        evidence_id=row.evidence_id,
        member_id=row.member_id,
        provider_id=row.provider_id,
        kind=row.kind,  # type: ignore[arg-type]
        date=row.date,
        fields=row.fields,
        voided=row.voided,
        version=row.version,
    )


async def evaluate(
    session: AsyncSession, member_ids: Sequence[str], today: date
) -> dict[str, MemberMilestones]:
    """Milestones of many members with two queries, whatever their number."""
    evidence: dict[str, list[MilestoneEvidence]] = defaultdict(list)
    for row in await rows_in(session, orm.MilestoneEvidence.member_id, member_ids):
        evidence[row.member_id].append(_evidence(row))
    events = defaultdict(list)
    for event in await rows_in(session, orm.ServiceEvent.member_id, member_ids):
        events[event.member_id].append(convert.event(event))
    gates = await _gates(session, member_ids, evidence, events)
    catalog = load_catalog()
    return {
        m: evaluate_member(evidence[m], events[m], catalog, today, gates[m]) for m in member_ids
    }


async def _gates(
    session: AsyncSession,
    member_ids: Sequence[str],
    evidence: dict[str, list[MilestoneEvidence]],
    events: dict[str, list[Any]],
) -> dict[str, MilestoneGates]:
    """Each member's providers' fidelity reviews and its EIPD authorizations (docs/milestones.md,
    "Earned but waiting"): two more queries, whatever the number of members."""
    providers = {ev.provider_id for rows in evidence.values() for ev in rows}
    providers |= {e.provider_id for rows in events.values() for e in rows}
    reviews = defaultdict(list)
    for row in await rows_in(session, orm.FidelityReview.provider_id, providers):
        reviews[row.provider_id].append(convert.fidelity(row))
    auths = defaultdict(list)
    for row in await rows_in(session, orm.EipdAuthorization.member_id, member_ids):
        auths[row.member_id].append(convert.eipd(row))
    out: dict[str, MilestoneGates] = {}
    for m in member_ids:
        mine = {ev.provider_id for ev in evidence[m]} | {e.provider_id for e in events[m]}
        out[m] = MilestoneGates(
            fidelity_reviews=tuple(r for p in sorted(mine) for r in reviews[p]),
            eipd_authorizations=tuple(auths[m]),
        )
    return out


async def invoiced_lines(
    session: AsyncSession, member_id: str
) -> dict[tuple[str, int], orm.InvoiceLine]:
    stmt = select(orm.InvoiceLine).where(
        orm.InvoiceLine.member_id == member_id, orm.InvoiceLine.kind == "charge"
    )
    return {
        (line.milestone, line.occurrence): line for line in (await session.execute(stmt)).scalars()
    }


async def member_milestones(
    session: AsyncSession, principal: Principal, member_id: str, today: date
) -> dict[str, Any]:
    result = (await evaluate(session, [member_id], today))[member_id]
    lines = await invoiced_lines(session, member_id)
    invoices = {
        i.invoice_id: i
        for i in await rows_in(
            session, orm.Invoice.invoice_id, {line.invoice_id for line in lines.values()}
        )
    }
    catalog = load_catalog()
    earned = [
        _earned_out(e, lines.get((e.milestone, e.occurrence)), invoices, catalog)
        for e in result.earned
        if principal.sees_provider(e.provider_id)
    ]
    progress = [
        {
            "milestone": p.milestone,
            "name": catalog.get(p.milestone).name,
            "met": p.met,
            "missing": list(p.missing),
        }
        for p in result.progress
    ]
    return {"member_id": member_id, "as_of": today, "earned": earned, "progress": progress}


def _earned_out(
    e: EarnedMilestone, line: orm.InvoiceLine | None, invoices: dict[str, orm.Invoice], catalog: Any
) -> dict[str, Any]:
    invoice = invoices.get(line.invoice_id) if line else None
    paid = invoice is not None and invoice.status == InvoiceStatus.PAID
    status = "earned" if invoice is None else ("paid" if paid else "invoiced")
    return {
        "milestone": e.milestone,
        "name": catalog.get(e.milestone).name,
        "occurrence": e.occurrence,
        "earned_on": e.earned_on,
        "amount": e.amount,
        "payer_kind": e.payer_kind.value,
        "provider_id": e.provider_id,
        "invoice_id": invoice.invoice_id if invoice else None,
        "status": status,
        "waiting": list(e.waiting),
    }


async def _candidate_members(
    session: AsyncSession, payer: orm.Payer, provider_id: str
) -> list[str]:
    """LME-MCO milestones go to the member's own payer; EIPD ones to the DVR payer, whoever
    the member's LME-MCO is, for members the provider has served."""
    if payer.kind == PayerKind.LME_MCO.value:
        stmt = select(orm.Member.member_id).where(orm.Member.payer_id == payer.payer_id)
        return sorted(m for (m,) in (await session.execute(stmt)).all())
    served = (
        select(orm.MilestoneEvidence.member_id)
        .where(orm.MilestoneEvidence.provider_id == provider_id)
        .union(
            select(orm.ServiceEvent.member_id).where(orm.ServiceEvent.provider_id == provider_id)
        )
    )
    return sorted(m for (m,) in (await session.execute(served)).all())


async def create_invoice(
    session: AsyncSession, principal: Principal, body: InvoiceIn, today: date
) -> orm.Invoice:
    stmt = select(orm.Payer).where(orm.Payer.payer_id == body.payer_id).with_for_update()
    payer = (await session.execute(stmt)).scalar_one_or_none()
    if payer is None or not principal.sees_payer(body.payer_id):
        raise NotFound(f"no payer {body.payer_id}")
    provider_id = body.provider_id
    if provider_id is None:  # every provider: a job asks for each (service/jobs/invoicing.py)
        raise InvalidInput("name the provider", [(("provider_id",), "required here")])
    await require_provider(session, provider_id, ("provider_id",))
    members = await _candidate_members(session, payer, provider_id)
    planned = await _plan(session, payer, body, provider_id, members, today)
    if not planned:
        raise Conflict(
            f"nothing to invoice to {body.payer_id} for {body.provider_id} through "
            f"{body.through_date}: no earned, uninvoiced milestone and no credit due",
            code="nothing-to-invoice",
        )
    return await _record_invoice(session, payer, body, planned, today)


async def _plan(
    session: AsyncSession,
    payer: orm.Payer,
    body: InvoiceIn,
    provider_id: str,
    members: list[str],
    today: date,
) -> list[Any]:
    evaluated = await evaluate(session, members, today)
    earned = [e for result in evaluated.values() for e in result.earned]
    previous = (
        select(orm.InvoiceLine)
        .join(orm.Invoice, orm.Invoice.invoice_id == orm.InvoiceLine.invoice_id)
        .where(orm.Invoice.payer_id == payer.payer_id, orm.Invoice.provider_id == provider_id)
        # In the order written: a credit repeats the date and authorization of the LAST charge
        # of its occurrence (claims.milestones.invoicing._net_invoiced); unordered, a charge,
        # credit, new charge, credit could repeat the first charge's (mutation review).
        .order_by(orm.InvoiceLine.id)
    )
    invoiced = [
        InvoicedOccurrence(
            item.member_id,
            item.milestone,
            item.occurrence,
            item.earned_on,
            item.amount,
            item.eipd_authorization_id,
        )
        for item in (await session.execute(previous)).scalars()
    ]
    auths = [
        convert.eipd(a) for a in await rows_in(session, orm.EipdAuthorization.member_id, members)
    ]
    return list(
        plan_invoice(
            earned,
            payer_kind=PayerKind(payer.kind),
            provider_id=provider_id,
            through_date=body.through_date,
            invoiced=invoiced,
            eipd_authorizations=auths,
        )
    )


async def _record_invoice(
    session: AsyncSession, payer: orm.Payer, body: InvoiceIn, planned: list[Any], today: date
) -> orm.Invoice:
    number = (await control.draw(session, f"invoice:{today.year}"))[0]
    invoice = orm.Invoice(
        invoice_id=f"INV{today.year}{number:06d}",
        invoice_number=f"{today.year}-{number:06d}",
        payer_id=payer.payer_id,
        provider_id=body.provider_id,
        invoice_date=today,
        through_date=body.through_date,
        status=InvoiceStatus.SENT.value,
        total=to_money(sum((p.amount for p in planned), Decimal("0.00"))),
    )
    session.add(invoice)
    for p in planned:
        session.add(
            orm.InvoiceLine(
                invoice_id=invoice.invoice_id,
                member_id=p.member_id,
                provider_id=p.provider_id,
                milestone=p.milestone,
                occurrence=p.occurrence,
                earned_on=p.earned_on,
                amount=to_money(p.amount),
                kind=p.kind.value,
                eipd_authorization_id=p.eipd_authorization_id,
            )
        )
    await session.flush()
    return invoice


async def visible_invoice(
    session: AsyncSession, principal: Principal, invoice_id: str
) -> orm.Invoice:
    invoice = await session.get(orm.Invoice, invoice_id)
    if invoice is None or not principal.sees_record(invoice.payer_id, invoice.provider_id):
        raise NotFound(f"no invoice {invoice_id}")
    return invoice


async def invoice_lines(session: AsyncSession, invoice_id: str) -> list[orm.InvoiceLine]:
    stmt = (
        select(orm.InvoiceLine)
        .where(orm.InvoiceLine.invoice_id == invoice_id)
        .order_by(orm.InvoiceLine.id)
    )
    return list((await session.execute(stmt)).scalars())


async def add_payment(
    session: AsyncSession, principal: Principal, invoice_id: str, body: PaymentIn
) -> tuple[orm.Invoice, bool]:
    """A payment is keyed by its reference: the same one twice is recorded once."""
    invoice = await visible_invoice(session, principal, invoice_id)
    stmt = select(orm.InvoicePayment).where(
        orm.InvoicePayment.invoice_id == invoice_id, orm.InvoicePayment.reference == body.reference
    )
    existing = (await session.execute(stmt)).scalar_one_or_none()
    if existing is not None:
        if (existing.amount, existing.paid_on) != (body.amount, body.paid_on):
            raise InvalidInput(
                f"payment {body.reference} was recorded with other figures",
                [(("reference",), "already recorded differently")],
            )
        return invoice, False
    _check_amount(invoice, body.amount)
    paid = to_money(invoice.paid_amount + body.amount)
    status = transition(InvoiceStatus(invoice.status), invoice_payment(paid, invoice.total))
    if status is None:  # claims.lifecycle: a paid invoice takes no payment
        raise Conflict(f"invoice {invoice_id} is {invoice.status}: it takes no payment")
    session.add(
        orm.InvoicePayment(
            invoice_id=invoice_id,
            amount=body.amount,
            paid_on=body.paid_on,
            reference=body.reference,
        )
    )
    invoice.paid_amount, invoice.status = paid, status.value
    await session.flush()
    return invoice, True


def _check_amount(invoice: orm.Invoice, amount: Decimal) -> None:
    outstanding = invoice.total - invoice.paid_amount
    if amount <= 0:
        raise InvalidInput("a payment amount must be above 0.00", [(("amount",), "not positive")])
    if amount > outstanding:
        raise InvalidInput(
            f"the payment exceeds the {outstanding} outstanding on the invoice",
            [(("amount",), "more than outstanding")],
        )

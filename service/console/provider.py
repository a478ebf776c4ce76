"""Invoices (finance and providers) and a member's milestone progress (docs/console.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from claims.errors import DomainError, NotFound
from service import models as orm
from service.auth.principal import Role
from service.auth.visibility import visible_member
from service.console.finance import PAGE_ROWS, Format, _payers, _providers, today
from service.console.web import FormDep, Refused, SignedDep, allow, export, page, refusal
from service.deps import SessionDep, note_member
from service.milestones import router as milestones_api
from service.milestones import service as milestones
from service.milestones.schemas import InvoiceIn, PaymentIn
from service.pagination import filtered

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/invoices")
async def invoice_list(
    request: Request, session: SessionDep, signed: SignedDep, format: Format = None
) -> Response:
    allow(signed, Role.FINANCE, Role.PROVIDER)
    table, principal = orm.Invoice, signed.principal
    stmt = filtered(select(table), [(table.payer_id, principal.payer_filter),
                                    (table.provider_id, principal.provider_filter)])  # fmt: skip
    stmt = stmt.order_by(table.invoice_date.desc(), table.invoice_id.desc()).limit(PAGE_ROWS)
    rows = list((await session.execute(stmt)).scalars())
    if format:
        return export("invoices", ["invoice_number", "invoice_id", "payer_id", "provider_id",
                                   "invoice_date", "total", "paid_amount", "status"], [
            [i.invoice_number, i.invoice_id, i.payer_id, i.provider_id, i.invoice_date.isoformat(),
             i.total, i.paid_amount, i.status]
            for i in rows
        ], format)  # fmt: skip
    finance = principal.role in (Role.FINANCE, Role.ADMIN)
    return page(
        request,
        "invoices.html",
        invoices=rows,
        payers=await _payers(session, signed) if finance else [],
        providers=await _providers(session) if finance else [],
        finance=finance,
    )


def _model(model: Any, form: dict[str, Any]) -> Any:
    try:
        return model(**{key: str(value) or None for key, value in form.items()})
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors())
        raise Refused(422, f"Please check: {fields}.") from exc


@router.post("/invoices")
async def invoice_create(session: SessionDep, signed: SignedDep, form: FormDep) -> Response:
    allow(signed, Role.FINANCE)
    body = _model(InvoiceIn, form)
    try:
        invoice = await milestones.create_invoice(session, signed.principal, body, today())
    except DomainError as exc:
        raise refusal(exc) from exc
    return RedirectResponse(f"/console/invoices/{invoice.invoice_id}", status_code=303)


async def _invoice(session: SessionDep, signed: Any, invoice_id: str) -> orm.Invoice:
    allow(signed, Role.FINANCE, Role.PROVIDER)
    try:
        return await milestones.visible_invoice(session, signed.principal, invoice_id)
    except NotFound as exc:
        raise Refused(404, f"No invoice {invoice_id}.") from exc


@router.get("/invoices/{invoice_id}")
async def invoice_page(
    request: Request, session: SessionDep, signed: SignedDep, invoice_id: str
) -> Response:
    invoice = await _invoice(session, signed, invoice_id)
    lines = await milestones.invoice_lines(session, invoice_id)
    stmt = select(orm.InvoicePayment).where(orm.InvoicePayment.invoice_id == invoice_id)
    payments = list((await session.execute(stmt)).scalars())
    return page(request, "invoice.html", invoice=invoice, lines=lines, payments=payments,
                finance=signed.principal.role in (Role.FINANCE, Role.ADMIN))  # fmt: skip


@router.get("/invoices/{invoice_id}/invoice.pdf")
async def invoice_pdf(
    request: Request, session: SessionDep, signed: SignedDep, invoice_id: str
) -> Response:
    await _invoice(session, signed, invoice_id)
    return await milestones_api.invoice_pdf(request, session, invoice_id, signed.principal)


@router.post("/invoices/{invoice_id}/payments")
async def invoice_payment(
    session: SessionDep, signed: SignedDep, form: FormDep, invoice_id: str
) -> Response:
    allow(signed, Role.FINANCE)
    body = _model(PaymentIn, form)
    try:
        await milestones.add_payment(session, signed.principal, invoice_id, body)
    except DomainError as exc:
        raise refusal(exc) from exc
    return RedirectResponse(f"/console/invoices/{invoice_id}", status_code=303)


@router.get("/members")
async def member_list(request: Request, session: SessionDep, signed: SignedDep) -> Response:
    """The members a user may see (a provider: those it served; finance: its payers'), each a
    link to its milestone progress."""
    principal = signed.principal
    if principal.provider_filter:
        event = orm.ServiceEvent
        stmt = select(event.member_id).where(event.provider_id == principal.provider_filter)
    else:
        member = orm.Member
        stmt = filtered(select(member.member_id), [(member.payer_id, principal.payer_filter)])
    ids = (
        await session.execute(stmt.distinct().order_by(*stmt.selected_columns).limit(PAGE_ROWS))
    ).scalars()
    return page(request, "members.html", member_ids=list(ids))


@router.get("/members/{member_id}")
async def member_page(
    request: Request,
    session: SessionDep,
    signed: SignedDep,
    member_id: str,
) -> Response:
    try:
        await visible_member(session, signed.principal, member_id)
    except NotFound as exc:
        raise Refused(404, f"No member {member_id}.") from exc
    note_member(request, member_id)
    result = await milestones.member_milestones(session, signed.principal, member_id, today())
    return page(request, "member.html", member_id=member_id, milestones=result)

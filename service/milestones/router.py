"""Routes for milestone evidence, member milestones and invoices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy import select

from claims.errors import NotFound
from service import models as orm
from service.auth.principal import Principal, Role
from service.auth.visibility import visible_member
from service.deps import PrincipalDep, SessionDep, note_member, require
from service.jobs import service as jobs
from service.jobs.invoicing import enqueue_invoices
from service.jobs.schemas import JobOut
from service.milestones import documents, service
from service.milestones.schemas import (
    EvidenceIn,
    EvidenceOut,
    InvoiceIn,
    InvoiceLineOut,
    InvoiceOut,
    MilestonesOut,
    PaymentIn,
)
from service.pagination import filtered, paginate
from service.schemas_common import CursorQuery, IdPath, LimitQuery, Page

router = APIRouter(prefix="/v1", tags=["milestones and invoices"])
WRITERS = require(Role.INTEGRATION)
FINANCE = require(Role.FINANCE)
INVOICE_READERS = require(Role.FINANCE, Role.PROVIDER)
AnId = Annotated[str, IdPath()]


def _today() -> Any:
    return datetime.now(UTC).date()


def evidence_out(row: orm.MilestoneEvidence) -> EvidenceOut:
    return EvidenceOut(
        evidence_id=row.evidence_id,
        member_id=row.member_id,
        provider_id=row.provider_id,
        kind=row.kind,
        date=row.date,
        fields=row.fields,
        voided=row.voided,
        version=row.version,
        updated_at=row.updated_at,
    )


@router.put(
    "/milestone-evidence/{evidence_id}",
    response_model=EvidenceOut,
    responses={201: {"model": EvidenceOut}},
)
async def put_evidence(
    request: Request,
    response: Response,
    session: SessionDep,
    evidence_id: AnId,
    body: EvidenceIn,
    principal: Principal = WRITERS,
) -> EvidenceOut:
    result = await service.put_evidence(session, principal, evidence_id, body)
    note_member(request, body.member_id)
    response.status_code = 201 if result.created else 200
    await session.refresh(result.row)
    return evidence_out(result.row)


@router.get("/milestone-evidence/{evidence_id}", response_model=EvidenceOut)
async def get_evidence(
    request: Request, session: SessionDep, principal: PrincipalDep, evidence_id: AnId
) -> EvidenceOut:
    row = await session.get(orm.MilestoneEvidence, evidence_id)
    member = await session.get(orm.Member, row.member_id) if row else None
    if row is None or member is None or not principal.sees_record(member.payer_id, row.provider_id):
        raise NotFound(f"no milestone evidence {evidence_id}")
    note_member(request, row.member_id)
    return evidence_out(row)


@router.delete("/milestone-evidence/{evidence_id}", response_model=EvidenceOut)
async def delete_evidence(
    request: Request, session: SessionDep, evidence_id: AnId, principal: Principal = WRITERS
) -> EvidenceOut:
    row = await service.void_evidence(session, principal, evidence_id)
    note_member(request, row.member_id)
    return evidence_out(row)


@router.get("/members/{member_id}/milestones", response_model=MilestonesOut)
async def member_milestones(
    request: Request, session: SessionDep, principal: PrincipalDep, member_id: AnId
) -> Any:
    await visible_member(session, principal, member_id)
    note_member(request, member_id)
    return await service.member_milestones(session, principal, member_id, _today())


async def invoice_out(session: SessionDep, invoice: orm.Invoice) -> InvoiceOut:
    lines = await service.invoice_lines(session, invoice.invoice_id)
    return InvoiceOut(
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.invoice_number,
        payer_id=invoice.payer_id,
        provider_id=invoice.provider_id,
        invoice_date=invoice.invoice_date,
        through_date=invoice.through_date,
        lines=[
            InvoiceLineOut(
                member_id=item.member_id,
                milestone=item.milestone,
                occurrence=item.occurrence,
                earned_on=item.earned_on,
                amount=item.amount,
                kind=item.kind,
                eipd_authorization_id=item.eipd_authorization_id,
            )
            for item in lines
        ],
        total=invoice.total,
        status=invoice.status,
        paid_amount=invoice.paid_amount,
    )


@router.post(
    "/invoices",
    response_model=InvoiceOut,
    status_code=201,
    responses={
        202: {"model": JobOut, "description": "every provider, or respond-async: a job"},
        409: {"description": "nothing to invoice"},
    },
)
async def create_invoice(
    request: Request,
    session: SessionDep,
    body: InvoiceIn,
    principal: Principal = FINANCE,
    prefer: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    if body.provider_id is None or jobs.wants_async(prefer):  # docs/jobs.md, "Invoices"
        job = await enqueue_invoices(session, principal, body, _today())
        return jobs.accepted(request, job)
    invoice = await service.create_invoice(session, principal, body, _today())
    return await invoice_out(session, invoice)


@router.get("/invoices", response_model=Page[InvoiceOut])
async def list_invoices(
    session: SessionDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    payer_id: Annotated[str | None, Query(max_length=64)] = None,
    provider_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["sent", "partially_paid", "paid"] | None = None,
    principal: Principal = INVOICE_READERS,
) -> Any:
    table = orm.Invoice
    stmt = select(table)
    stmt = filtered(
        stmt,
        [
            (table.payer_id, payer_id),
            (table.provider_id, provider_id),
            (table.status, status),
            (table.payer_id, principal.payer_filter),
            (table.provider_id, principal.provider_filter),
        ],
    )
    rows, next_cursor = await paginate(session, stmt, [table.invoice_id], limit, cursor)
    return {"items": [await invoice_out(session, row) for row in rows], "next_cursor": next_cursor}


async def _readable_invoice(
    session: SessionDep, principal: Principal, invoice_id: str
) -> orm.Invoice:
    return await service.visible_invoice(session, principal, invoice_id)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut)
async def get_invoice(
    session: SessionDep, invoice_id: AnId, principal: Principal = INVOICE_READERS
) -> InvoiceOut:
    return await invoice_out(session, await _readable_invoice(session, principal, invoice_id))


async def _document(
    request: Request, session: SessionDep, principal: Principal, invoice_id: str, kind: str
) -> Response:
    invoice = await _readable_invoice(session, principal, invoice_id)
    render, media_type = (
        (documents.pdf, "application/pdf") if kind == "pdf" else (documents.csv, "text/csv")
    )
    body = await render(session, invoice, request.app.state.settings, request.app.state.profiles)
    name = f"invoice-{invoice.invoice_number}.{kind}"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/invoices/{invoice_id}/invoice.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def invoice_pdf(
    request: Request, session: SessionDep, invoice_id: AnId, principal: Principal = INVOICE_READERS
) -> Response:
    return await _document(request, session, principal, invoice_id, "pdf")


@router.get(
    "/invoices/{invoice_id}/invoice.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def invoice_csv(
    request: Request, session: SessionDep, invoice_id: AnId, principal: Principal = INVOICE_READERS
) -> Response:
    return await _document(request, session, principal, invoice_id, "csv")


@router.post(
    "/invoices/{invoice_id}/payments",
    response_model=InvoiceOut,
    status_code=201,
    responses={200: {"model": InvoiceOut, "description": "the same payment again: unchanged"}},
)
async def add_payment(
    response: Response,
    session: SessionDep,
    invoice_id: AnId,
    body: PaymentIn,
    principal: Principal = FINANCE,
) -> InvoiceOut:
    invoice, created = await service.add_payment(session, principal, invoice_id, body)
    response.status_code = 201 if created else 200
    return await invoice_out(session, invoice)

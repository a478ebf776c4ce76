"""Finance pages: overview, claim batches, claims, inbound files, invoices (docs/console.md).

Each page calls the same service functions as the API route it mirrors, with the signed-in
user's ``Principal``: one set of access rules for keys and people.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from claims.errors import DomainError, NotFound
from claims.units.timely import filing_cutoff
from service import models as orm
from service.auth.principal import Role
from service.claims import router as claims_api
from service.claims.schemas import BatchIn
from service.console import queries
from service.console.accounts import Signed
from service.console.web import FormDep, Refused, SignedDep, allow, export, page, refusal
from service.deps import SessionDep
from service.edi.service import receive
from service.jobs import service as jobs
from service.jobs.inbound import enqueue_inbound

router = APIRouter(prefix="/console", include_in_schema=False)
Format = Annotated[str | None, Query(pattern="^(csv|xlsx)$")]
PAGE_ROWS = 200


def today() -> date:
    return datetime.now(UTC).date()


async def _payers(session: SessionDep, signed: Signed) -> list[orm.Payer]:
    rows = (await session.execute(select(orm.Payer).order_by(orm.Payer.payer_id))).scalars()
    return [p for p in rows if signed.principal.sees_payer(p.payer_id)]


@router.get("")
async def overview(request: Request, session: SessionDep, signed: SignedDep) -> Response:
    principal = signed.principal
    rows = await queries.ledger(session, principal)
    months = queries.months(rows)
    chart = sorted({m.month for m in months})

    def per_month(figure: str) -> list[str]:
        return [
            str(sum((getattr(m, figure) for m in months if m.month == x), queries.ZERO))
            for x in chart
        ]

    series = {"months": chart, "billed": per_month("billed"), "paid": per_month("paid")}
    return page(
        request,
        "overview.html",
        months=months,
        aging=await queries.aging(session, rows, today()),
        held=await queries.held_by_reason(session, principal),
        series=series,
    )


@router.get("/batches")
async def batch_list(
    request: Request, session: SessionDep, signed: SignedDep, format: Format = None
) -> Response:
    allow(signed, Role.FINANCE)
    stmt = queries.batches_stmt(signed.principal, None).limit(PAGE_ROWS)
    rows = list((await session.execute(stmt)).scalars())
    figures = await queries.batch_figures(session, [b.batch_id for b in rows])
    if format:
        columns = ["batch_id", "payer_id", "created_at", "claims", "lines", "amount", "status",
                   "paid", "denied", "outstanding"]  # fmt: skip
        return export("batches", columns, [
            [b.batch_id, b.payer_id, b.created_at.isoformat(), b.claim_count, b.line_count,
             b.total_charge, b.status, figures[b.batch_id].paid, figures[b.batch_id].denied,
             figures[b.batch_id].outstanding]
            for b in rows
        ], format)  # fmt: skip
    return page(
        request,
        "batches.html",
        batches=rows,
        figures=figures,
        payers=await _payers(session, signed),
        providers=await _providers(session),
    )


async def _providers(session: SessionDep) -> list[orm.Provider]:
    stmt = select(orm.Provider).order_by(orm.Provider.provider_id)
    return list((await session.execute(stmt)).scalars())


def _batch_in(form: dict[str, Any]) -> BatchIn:
    try:
        return BatchIn(
            payer_id=str(form.get("payer_id", "")),
            provider_id=str(form.get("provider_id") or "") or None,
            through_date=str(form.get("through_date") or "") or None,
        )
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors())
        raise Refused(422, f"Please check: {fields}.") from exc


@router.post("/batches/preview")
async def batch_preview(
    request: Request, session: SessionDep, signed: SignedDep, form: FormDep
) -> Response:
    allow(signed, Role.FINANCE)
    body = _batch_in(form)
    payer = await session.get(orm.Payer, body.payer_id)
    if payer is None or not signed.principal.sees_payer(body.payer_id):
        raise Refused(404, f"No payer {body.payer_id}.")
    rules = request.app.state.profiles.rules_for(payer)
    cutoff = filing_cutoff(today(), rules)  # the batch's own cut-off (claims.units.timely)
    summary = await queries.preview(session, payer, cutoff, body.provider_id, body.through_date)
    return page(request, "batch_preview.html", body=body, payer=payer, preview=summary,
                days=rules.timely_filing_days)  # fmt: skip


@router.post("/batches")
async def batch_create(
    request: Request, session: SessionDep, signed: SignedDep, form: FormDep
) -> Response:
    allow(signed, Role.FINANCE)
    body = _batch_in(form)
    try:  # the API's `Prefer: respond-async` path: a runner makes it, the page shows progress
        job = await jobs.enqueue_claim_batch(session, signed.principal, body)
    except DomainError as exc:
        raise refusal(exc) from exc
    return _to_job(request, job)


async def _batch(session: SessionDep, signed: Signed, batch_id: str) -> orm.ClaimBatch:
    allow(signed, Role.FINANCE)
    try:
        return await claims_api.visible_batch(session, signed.principal, batch_id)
    except NotFound as exc:
        raise Refused(404, f"No claim batch {batch_id}.") from exc


@router.get("/batches/{batch_id}")
async def batch_page(
    request: Request, session: SessionDep, signed: SignedDep, batch_id: str
) -> Response:
    batch = await _batch(session, signed, batch_id)
    claims = list(
        (
            await session.execute(
                select(orm.Claim).where(orm.Claim.batch_id == batch_id).order_by(orm.Claim.claim_id)
                .limit(PAGE_ROWS)
            )
        ).scalars()
    )  # fmt: skip
    figures = (await queries.batch_figures(session, [batch_id]))[batch_id]
    return page(request, "batch.html", batch=batch, claims=claims, figures=figures)


@router.get("/batches/{batch_id}/837p")
async def batch_837p(
    request: Request, session: SessionDep, signed: SignedDep, batch_id: str
) -> Response:
    await _batch(session, signed, batch_id)
    # The API's own download: the stored bytes, identical to GET /v1/claim-batches/{id}/837p.
    return await claims_api.download_837p(request, session, batch_id, signed.principal)


@router.get("/batches/{batch_id}/summary.csv")
async def batch_summary(session: SessionDep, signed: SignedDep, batch_id: str) -> Response:
    await _batch(session, signed, batch_id)
    return await claims_api.download_summary(session, batch_id, signed.principal)


@router.get("/inbound")
async def inbound_form(request: Request, signed: SignedDep) -> Response:
    allow(signed, Role.FINANCE)
    return page(request, "inbound.html", result=None)


@router.post("/inbound")
async def inbound_upload(
    request: Request,
    session: SessionDep,
    signed: SignedDep,
    form: FormDep,
) -> Response:
    """Applied here, or above the API's size threshold (IPSBILL_INBOUND_ASYNC_BYTES) by the
    inbound job the API queues, the clerk sent to the job's page (docs/console.md)."""
    allow(signed, Role.FINANCE)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Refused(422, "Choose a 999, 277CA or 835 file to upload.")
    raw = await upload.read(50 * 1024 * 1024 + 1)
    text = _x12_text(raw)
    try:
        if len(raw) > request.app.state.settings.inbound_async_bytes:
            return _to_job(request, await enqueue_inbound(session, signed.principal, text))
        result = await receive(session, signed.principal, request.app.state.profiles, text)
    except DomainError as exc:
        raise refusal(exc) from exc
    return page(request, "inbound.html", result=result, filename=upload.filename)


def _x12_text(raw: bytes) -> str:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise Refused(422, "An X12 file is plain ASCII text; this file is not.") from exc
    if "\x00" in text:  # no database stores it (the API refuses it too)
        raise Refused(422, "This file holds a NUL character: it is no X12 file.")
    return text


def _to_job(request: Request, job: orm.Job) -> Response:
    """303 to the job's page; the runner is woken after the commit, as the API's 202 does."""
    runner = getattr(request.app.state, "jobs", None)
    wake = BackgroundTask(runner.wake) if runner is not None else None
    return RedirectResponse(f"/console/jobs/{job.job_id}", status_code=303, background=wake)


@router.get("/queues/unmatched")
async def unmatched(
    request: Request, session: SessionDep, signed: SignedDep, format: Format = None
) -> Response:
    """Inbound lines that matched no claim of ours, newest file first. Files carry no payer of
    their own, so only users who see every payer get this list."""
    allow(signed, Role.FINANCE)
    if signed.principal.payer_filter:
        raise Refused(403, "Only a finance user for every payer sees unmatched inbound lines.")
    inbound = orm.InboundFile
    stmt = select(inbound.kind, inbound.received_at, inbound.digest, inbound.result)
    rows = (await session.execute(stmt.order_by(inbound.id.desc()).limit(PAGE_ROWS))).all()
    items = [
        (kind, received.strftime("%Y-%m-%d %H:%M"), digest[:12], item.get("claim_id", ""),
         item.get("reason", ""))
        for kind, received, digest, result in rows
        for item in (result or {}).get("unmatched", [])
    ]  # fmt: skip
    if format:
        columns = ["kind", "received_at", "file", "claim_id", "reason"]
        return export("unmatched-inbound", columns, items, format)
    return page(request, "unmatched.html", items=items)

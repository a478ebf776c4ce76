"""Routes of ``/v1/claim-batches`` and ``/v1/claims`` (contract, "Claims (837P)")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from claims.errors import NotFound
from service import models as orm
from service.auth.principal import Principal, Role
from service.claims import content, repository, views
from service.claims import service as batches
from service.claims.schemas import BatchIn, BatchOut, ClaimOut, ClaimStatus
from service.dbkit import rows_in
from service.deps import PrincipalDep, SessionDep, note_member, require
from service.jobs import service as jobs
from service.jobs.schemas import JobOut
from service.pagination import date_range, filtered, paginate
from service.schemas_common import CursorQuery, DateQuery, IdPath, LimitQuery, Page

router = APIRouter(prefix="/v1", tags=["claims"])
FINANCE = require(Role.FINANCE)
BatchId = Annotated[str, IdPath("the batch id")]


async def visible_batch(session: Any, principal: Principal, batch_id: str) -> orm.ClaimBatch:
    batch: orm.ClaimBatch | None = await session.get(orm.ClaimBatch, batch_id)
    if batch is None or not principal.sees_payer(batch.payer_id):
        raise NotFound(f"no claim batch {batch_id}")
    return batch


@router.post(
    "/claim-batches",
    response_model=BatchOut,
    status_code=201,
    responses={
        202: {"model": JobOut, "description": "with Prefer: respond-async: a job makes it"},
        409: {"description": "nothing to bill"},
    },
)
async def create_batch(
    request: Request,
    session: SessionDep,
    body: BatchIn,
    principal: Principal = FINANCE,
    prefer: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    if jobs.wants_async(prefer):  # RFC 7240: 202 and Location: /v1/jobs/{job_id}
        return await jobs.start_claim_batch(request, session, principal, body)
    batch = await batches.create_batch(
        session, principal, request.app.state.profiles, request.app.state.settings, body
    )
    return views.batch_out(batch)


@router.get("/claim-batches", response_model=Page[BatchOut])
async def list_batches(
    session: SessionDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    payer_id: Annotated[str | None, Query(max_length=64)] = None,
    principal: Principal = FINANCE,
) -> Any:
    stmt = select(orm.ClaimBatch)
    for value in (payer_id, principal.payer_filter):
        if value:
            stmt = stmt.where(orm.ClaimBatch.payer_id == value)
    rows, next_cursor = await paginate(session, stmt, [orm.ClaimBatch.batch_id], limit, cursor)
    return {"items": [views.batch_out(row) for row in rows], "next_cursor": next_cursor}


@router.get("/claim-batches/{batch_id}", response_model=BatchOut)
async def get_batch(
    session: SessionDep, batch_id: BatchId, principal: Principal = FINANCE
) -> BatchOut:
    return views.batch_out(await visible_batch(session, principal, batch_id))


@router.get(
    "/claim-batches/{batch_id}/837p",
    response_class=Response,
    responses={200: {"content": {"application/edi-x12": {}}}},
)
async def download_837p(
    request: Request, session: SessionDep, batch_id: BatchId, principal: Principal = FINANCE
) -> Response:
    batch = await visible_batch(session, principal, batch_id)
    # The stored bytes, never regenerated: every download is byte-identical. Streamed part by
    # part, so a large batch is never one string in memory.
    name = f"{batch.batch_id}.837"
    length = await content.content_length(session, batch_id)
    return StreamingResponse(
        content.stream_content(request.app.state.sessionmaker, batch_id),
        media_type="application/edi-x12",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(length),
            "ETag": f'"{batch.content_sha256}"',
        },
    )


@router.get(
    "/claim-batches/{batch_id}/summary.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def download_summary(
    session: SessionDep, batch_id: BatchId, principal: Principal = FINANCE
) -> Response:
    batch = await visible_batch(session, principal, batch_id)
    claims = await repository.claims_of_batch(session, batch_id)
    lines = await repository.lines_of(session, [claim.claim_id for claim in claims])
    members = await rows_in(session, orm.Member.member_id, {c.member_id for c in claims})
    text = views.summary_csv(claims, lines, {m.member_id: m.subscriber_id for m in members})
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{batch.batch_id}-summary.csv"'},
    )


@router.get("/claims", response_model=Page[ClaimOut])
async def list_claims(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    provider_id: Annotated[str | None, Query(max_length=64)] = None,
    member_id: Annotated[str | None, Query(max_length=64)] = None,
    status: ClaimStatus | None = None,
    from_: Annotated[DateQuery, Query(alias="from")] = None,
    to: DateQuery = None,
) -> Any:
    table = orm.Claim
    stmt = filtered(
        select(table),
        [
            (table.provider_id, provider_id),
            (table.member_id, member_id),
            (table.status, status),
            (table.payer_id, principal.payer_filter),
            (table.provider_id, principal.provider_filter),
        ],
    )
    months = [day.isoformat()[:7] if day else None for day in (from_, to)]
    stmt = date_range(stmt, table.service_month, months[0], months[1])
    rows, next_cursor = await paginate(session, stmt, [table.claim_id], limit, cursor)
    return {"items": await views.claims_out(session, rows), "next_cursor": next_cursor}


@router.get("/claims/{claim_id}", response_model=ClaimOut)
async def get_claim(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    claim_id: Annotated[str, IdPath("CLM01")],
) -> ClaimOut:
    claim = await session.get(orm.Claim, claim_id)
    if claim is None or not principal.sees_record(claim.payer_id, claim.provider_id):
        raise NotFound(f"no claim {claim_id}")
    note_member(request, claim.member_id)
    return (await views.claims_out(session, [claim]))[0]

"""``GET /v1/remittance-exceptions`` and ``GET /v1/provider-adjustments``: what an 835 held back
and what it adjusted at provider level, each within the caller's payer or provider scope."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from service import models as orm
from service.auth.principal import Principal, Role
from service.deps import SessionDep, require
from service.edi.resolution import resolve
from service.pagination import filtered, paginate
from service.schemas_common import Body, CursorQuery, LimitQuery, MoneyStr, Out, Page, RowIdPath

router = APIRouter(tags=["inbound EDI"])
IdQuery = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9._:-]{1,64}$")]


class FailedCheckOut(BaseModel):
    check: str  # payer, payee, charge, line_ids, overpaid, claim_status (docs/edi.md)
    message: str
    detail: str


class RemittanceExceptionOut(Out):
    id: int
    claim_id: str
    payer_id: str
    provider_id: str
    payment_trace: str
    payer_claim_number: str
    status_code: str
    charge: MoneyStr
    paid: MoneyStr
    failed_checks: list[FailedCheckOut]
    status: str  # open, resolved
    created_at: datetime
    resolution: str | None = None  # apply, dismiss
    resolved_by: str | None = None  # the key that resolved it
    resolved_at: datetime | None = None
    resolution_note: str | None = None


class ResolutionIn(Body):
    action: Literal["apply", "dismiss"]  # apply the stored claim payment, or close it unapplied
    note: str = Field(min_length=1, max_length=500)  # why: kept with the exception


class ProviderAdjustmentOut(Out):
    id: int
    provider_id: str | None
    provider_identifier: str
    payer_id: str | None
    payment_trace: str
    payment_date: date | None
    fiscal_period_end: date | None
    reason_code: str
    reference: str
    amount: MoneyStr  # positive: taken from the payment; negative: added to it


@router.get("/v1/remittance-exceptions", response_model=Page[RemittanceExceptionOut])
async def list_remittance_exceptions(
    session: SessionDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    claim_id: IdQuery = None,
    status: Literal["open", "resolved"] | None = None,
    principal: Principal = require(Role.FINANCE),
) -> Any:
    table = orm.RemittanceException
    stmt = filtered(
        select(table),
        [
            (table.payer_id, principal.payer_filter),
            (table.claim_id, claim_id),
            (table.status, status),
        ],
    )
    rows, next_cursor = await paginate(session, stmt, [table.id], limit, cursor)
    return {"items": rows, "next_cursor": next_cursor}


@router.post(
    "/v1/remittance-exceptions/{exception_id}/resolution",
    response_model=RemittanceExceptionOut,
    responses={404: {"description": "no such exception within the caller's payer"},
               409: {"description": "resolved otherwise already, or the claim cannot take it"}},
)  # fmt: skip
async def post_resolution(
    request: Request,
    session: SessionDep,
    body: ResolutionIn,
    exception_id: RowIdPath,
    principal: Principal = require(Role.FINANCE),
) -> Any:
    profiles = request.app.state.profiles
    return await resolve(session, principal, profiles, exception_id, body.action, body.note)


@router.get("/v1/provider-adjustments", response_model=Page[ProviderAdjustmentOut])
async def list_provider_adjustments(
    session: SessionDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    provider_id: IdQuery = None,
    principal: Principal = require(Role.FINANCE, Role.PROVIDER),
) -> Any:
    table = orm.ProviderAdjustmentRow
    stmt = filtered(
        select(table),
        [
            (table.payer_id, principal.payer_filter),
            (table.provider_id, principal.provider_filter),
            (table.provider_id, provider_id),
        ],
    )
    rows, next_cursor = await paginate(session, stmt, [table.id], limit, cursor)
    return {"items": rows, "next_cursor": next_cursor}

"""``GET /v1/members/{member_id}/units``: one row per member, provider, date and procedure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from claims.errors import InvalidInput
from claims.model import LineStatus, ReasonCode
from service import models as orm
from service.auth.visibility import visible_member
from service.deps import PrincipalDep, SessionDep, note_member
from service.pagination import paginate
from service.schemas_common import CursorQuery, DateQuery, IdPath, LimitQuery, MoneyStr, Page

router = APIRouter(prefix="/v1/members", tags=["units"])


class UnitRow(BaseModel):
    service_date: date
    provider_id: str
    payer_id: str
    procedure: str
    modifiers: list[str]
    minutes: int
    units: int
    held_units: int
    status: LineStatus
    hold_reason: ReasonCode | None
    event_ids: list[str]
    rate: MoneyStr | None
    charge: MoneyStr
    claim_id: str | None
    claimed_units: int | None
    line_id: str


def unit_row(line: orm.UnitLine) -> UnitRow:
    return UnitRow(
        service_date=line.service_date,
        provider_id=line.provider_id,
        payer_id=line.payer_id,
        procedure=line.procedure,
        modifiers=list(line.modifiers),
        minutes=line.minutes,
        units=line.units,
        held_units=line.held_units,
        status=line.status,
        hold_reason=line.hold_reason,
        event_ids=list(line.event_ids),
        rate=line.rate,
        charge=line.charge or Decimal("0.00"),
        claim_id=line.claim_id,
        claimed_units=line.claimed_units,
        line_id=line.line_ref,
    )


@router.get("/{member_id}/units", response_model=Page[UnitRow])
async def member_units(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    member_id: Annotated[str, IdPath()],
    from_: Annotated[DateQuery, Query(alias="from")] = None,
    to: DateQuery = None,
    limit: LimitQuery = 1000,
    cursor: CursorQuery = None,
) -> Page[UnitRow]:
    if from_ and to and to < from_:
        raise InvalidInput("to is before from", [(("query", "to"), "before from")])
    await visible_member(session, principal, member_id)
    note_member(request, member_id)
    line = orm.UnitLine
    stmt = select(line).where(line.member_id == member_id)
    if principal.provider_filter:
        stmt = stmt.where(line.provider_id == principal.provider_filter)
    if from_:
        stmt = stmt.where(line.service_date >= from_)
    if to:
        stmt = stmt.where(line.service_date <= to)
    rows, next_cursor = await paginate(session, stmt, [line.service_date, line.id], limit, cursor)
    return Page[UnitRow](items=[unit_row(row) for row in rows], next_cursor=next_cursor)

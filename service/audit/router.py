"""``GET /v1/audit?member_id=``: who read or wrote a member's records, for admins only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from service.auth.principal import Principal, Role
from service.deps import SessionDep, require
from service.models import AuditEntry
from service.pagination import paginate
from service.schemas_common import CursorQuery, LimitQuery, Page

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditOut(BaseModel):
    id: int
    at: datetime
    key_id: str | None
    method: str
    route: str
    path: str
    member_id: str | None
    record_ids: dict[str, Any]
    status_code: int
    outcome: str

    model_config = {"from_attributes": True}


@router.get("", response_model=Page[AuditOut])
async def audit_trail(
    session: SessionDep,
    member_id: Annotated[str | None, Query(max_length=64)] = None,
    key_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    _admin: Principal = require(Role.ADMIN),
) -> Any:
    stmt = select(AuditEntry)
    if member_id:
        stmt = stmt.where(AuditEntry.member_id == member_id)
    if key_id:
        stmt = stmt.where(AuditEntry.key_id == key_id)
    rows, next_cursor = await paginate(session, stmt, [AuditEntry.id], limit, cursor)
    return {"items": rows, "next_cursor": next_cursor}

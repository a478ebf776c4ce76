"""``POST /v1/remittance-exceptions/{exception_id}/resolution``: finance decides what becomes
of a claim payment a remittance check held back (docs/edi.md, "Resolving an exception")."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import Conflict
from service import models as orm
from service.auth.principal import Principal
from service.edi.applied import Applied
from service.edi.held import (
    already_resolved,
    held,
    record_resolution,
    remit_claim,
    why_not_applicable,
)
from service.edi.remittance import apply_remit, claim_lines
from service.edi.service import release_awaiting
from service.profiles import ProfileRegistry


async def resolve(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    exception_id: int,
    action: str,
    note: str,
) -> orm.RemittanceException:
    """``apply`` or ``dismiss`` the exception once; the same resolution again answers the same."""
    row = await held(session, principal, exception_id)
    if already_resolved(row, action):
        return row
    if action == "apply":
        await _apply(session, principal, profiles, row)
    record_resolution(row, principal, action, note)
    await session.flush()
    return row


async def _apply(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    row: orm.RemittanceException,
) -> None:
    claim = await session.get(orm.Claim, row.claim_id, with_for_update=True)
    reason = why_not_applicable(row, claim)
    if reason is not None or claim is None:
        raise Conflict(f"remittance exception {row.id} cannot be applied: {reason}")
    stored: dict[str, Any] = row.remittance or {}
    when = stored["payment_date"]
    paid_by = (stored["trace"], None if when is None else date.fromisoformat(when))
    applied = Applied("835", f"remittance exception {row.id} applied by {principal.key_id}")
    lines = (await claim_lines(session, {claim.claim_id: claim}))[claim.claim_id]
    apply_remit(session, claim, remit_claim(stored["claim"]), paid_by, lines, applied)
    await release_awaiting(session, profiles, applied.numbers_learned)

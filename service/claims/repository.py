"""Reads of batches and claims with their lines and history, in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service import models as orm
from service.dbkit import rows_in


async def lines_of(
    session: AsyncSession, claim_ids: Sequence[str]
) -> dict[str, list[orm.ClaimLine]]:
    out: dict[str, list[orm.ClaimLine]] = defaultdict(list)
    for line in await rows_in(session, orm.ClaimLine.claim_id, claim_ids):
        out[line.claim_id].append(line)
    for lines in out.values():
        lines.sort(key=lambda line: line.line_number)
    return out


async def history_of(
    session: AsyncSession, claim_ids: Sequence[str]
) -> dict[str, list[orm.ClaimHistory]]:
    out: dict[str, list[orm.ClaimHistory]] = defaultdict(list)
    for entry in await rows_in(session, orm.ClaimHistory.claim_id, claim_ids):
        out[entry.claim_id].append(entry)
    for entries in out.values():
        entries.sort(key=lambda entry: entry.id)
    return out


async def claims_of_batch(session: AsyncSession, batch_id: str) -> list[orm.Claim]:
    stmt = select(orm.Claim).where(orm.Claim.batch_id == batch_id).order_by(orm.Claim.claim_id)
    return list((await session.execute(stmt)).scalars())

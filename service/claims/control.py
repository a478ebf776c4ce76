"""Control numbers (ISA13, GS06, ST02) and claim sequences: unique, never reused.

``UPDATE ... RETURNING`` takes the counter row's lock until the batch's transaction ends, so
concurrent batch runs draw numbers one after the other; numbers of a batch that fails its
checks roll back with it and were never published.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import ControlCounter


async def draw(session: AsyncSession, name: str, count: int = 1) -> list[int]:
    """``count`` consecutive numbers from counter ``name`` (first use starts at 1)."""
    stmt = (
        update(ControlCounter)
        .where(ControlCounter.name == name)
        .values(value=ControlCounter.value + count)
        .returning(ControlCounter.value)
    )
    last = (await session.execute(stmt)).scalar_one_or_none()
    if last is None:
        try:
            async with session.begin_nested():
                session.add(ControlCounter(name=name, value=count))
            last = count
        except IntegrityError:  # another run created it first: draw again, now it exists
            last = (await session.execute(stmt)).scalar_one()
    return list(range(last - count + 1, last + 1))


# CLM01 and batch ids are unique in the whole database, not per sender: two payer profiles
# (two ISA senders) share one table of claims and one of batches (docs/edi.md, "Identifiers").
MAX_CLAIM_ID = 20  # CLM01 is 1..20 characters (005010X222A1)


async def claim_ids(session: AsyncSession, count: int) -> list[str]:
    """``count`` new CLM01 values, ``IPS`` and nine digits, from one counter for every sender."""
    ids = [f"IPS{number:09d}" for number in await draw(session, "claim", count)]
    assert all(len(claim_id) <= MAX_CLAIM_ID for claim_id in ids)
    return ids


async def batch_id(session: AsyncSession) -> str:
    """A new batch id, ``B`` and nine digits, from one counter for every sender."""
    return f"B{(await draw(session, 'batch'))[0]:09d}"

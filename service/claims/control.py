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

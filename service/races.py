"""Lost races retried inside the service, a bounded number of times, before a 409 is answered.

Every write takes its row locks in one global order (payer, then members by sorted id:
``service.dbkit.lock_members``), so two requests never wait on each other in a
ring by construction. What remains (two requests creating the same new record at once, a
deadlock through a path not yet ordered) is retried here: the work runs in a SAVEPOINT, and a
race undoes only that work (and releases the row locks it took) before the next attempt.
Work that is the first of its transaction (``first``: an event intake, a request's only work)
needs no savepoint: a race rolls the whole transaction back and begins it again, which undoes
the same work, and the SAVEPOINT and RELEASE around every attempt (two of a single event's
round trips) are not spent. SQLite has one writer at a time: nothing to retry there, and no
savepoint is spent.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from service.dbkit import LOCKED
from service.errors import RACE_STATES
from service.errors import _sqlstate as sqlstate

T = TypeVar("T")
ATTEMPTS = 4  # the work runs at most this many times; the last race becomes the 409
BACKOFF = 0.01  # seconds, doubled each attempt, jittered: racers do not meet again in step
log = logging.getLogger("ipsbill.races")


async def retrying(
    session: AsyncSession, work: Callable[[], Awaitable[T]], first: bool = False
) -> T:
    """``work`` run until it does not lose a race, at most ATTEMPTS times. ``first``: nothing
    ran in the session's transaction before it, so undoing the transaction undoes only ``work``
    (the caller commits the session's transaction, whichever it is: service.deps)."""
    if (await session.connection()).dialect.name != "postgresql":
        return await work()
    for attempt in range(1, ATTEMPTS + 1):
        nested = None if first else await session.begin_nested()
        try:
            result = await work()
        except BaseException as exc:
            state = sqlstate(exc)
            if state is None:
                # Not the database's: the request's own transaction decides (a Conflict may
                # keep its changes), so the savepoint is released, not undone.
                if nested is not None:
                    await nested.commit()
                raise
            await (session.rollback() if nested is None else nested.rollback())
            session.info.pop(LOCKED, None)  # the undone work released the locks it took
            if state not in RACE_STATES or attempt == ATTEMPTS:
                raise
            log.info("lost a race (%s), attempt %d of %d", state, attempt, ATTEMPTS)
            session.expire_all()
            await asyncio.sleep(random.uniform(0, BACKOFF * 2**attempt))
            if nested is None:
                await session.begin()
            continue
        if nested is not None:
            await nested.commit()
        return result
    raise AssertionError("unreachable: the last attempt returns or raises")

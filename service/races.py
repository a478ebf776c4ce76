"""Lost races retried inside the service, a bounded number of times, before a 409 is answered.

Every write takes its row locks in one global order (payer, then members by sorted id:
``service.dbkit.lock_members``), so two requests never wait on each other in a
ring by construction. What remains (two requests creating the same new record at once, a
deadlock through a path not yet ordered) is retried here: the work runs in a SAVEPOINT, and a
race undoes only that work (and releases the row locks it took) before the next attempt.
SQLite has one writer at a time: nothing to retry there, and no savepoint is spent.
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


async def retrying(session: AsyncSession, work: Callable[[], Awaitable[T]]) -> T:
    if (await session.connection()).dialect.name != "postgresql":
        return await work()
    for attempt in range(1, ATTEMPTS + 1):
        nested = await session.begin_nested()
        try:
            result = await work()
        except BaseException as exc:
            state = sqlstate(exc)
            if state is None:
                # Not the database's: the request's own transaction decides (a Conflict may
                # keep its changes), so the savepoint is released, not undone.
                await nested.commit()
                raise
            await nested.rollback()
            session.info.pop(LOCKED, None)  # the undone savepoint released the locks it took
            if state not in RACE_STATES or attempt == ATTEMPTS:
                raise
            log.info("lost a race (%s), attempt %d of %d", state, attempt, ATTEMPTS)
            session.expire_all()
            await asyncio.sleep(random.uniform(0, BACKOFF * 2**attempt))
            continue
        await nested.commit()
        return result
    raise AssertionError("unreachable: the last attempt returns or raises")

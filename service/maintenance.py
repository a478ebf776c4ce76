"""The service keeps its hot tables' statistics and dead rows in check by itself.

Autovacuum can be off on a PostgreSQL server (it is on this project's test machine). Then
nothing analyzes the rows the service bulk-loads (COPY) and nothing reclaims the rows its
updates leave dead: the planner keeps the statistics of an empty table and turned
re-adjudication's indexed reads into sequential scans, and every scan grew with the dead rows.
Each worker looks every ``INTERVAL`` seconds at PostgreSQL's own counters and runs ANALYZE or
VACUUM on a table past autovacuum's default thresholds. One worker at a time (an advisory
lock); both run beside requests without blocking their reads or writes. With autovacuum on,
the counters are mostly already low and this does little.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("ipsbill.maintenance")

INTERVAL = 20.0  # seconds between looks
# The tables requests write in bulk; reference tables change one row at a time.
HOT_TABLES = (
    "service_events", "unit_lines", "unit_counters", "record_versions", "claims",
    "claim_lines", "claim_history", "claim_batch_parts", "audit_log",
)  # fmt: skip
# autovacuum's defaults: analyze past 50 + 10% changed rows, vacuum past 50 + 20% dead rows.
ANALYZE_BASE, ANALYZE_SCALE = 50, 0.1
VACUUM_BASE, VACUUM_SCALE = 50, 0.2
LOCK_KEY = 0x1B5B111  # pg_try_advisory_lock: one tending worker at a time, any database

_COUNTERS = text(
    "SELECT relname, n_live_tup, n_dead_tup, n_mod_since_analyze "
    "FROM pg_stat_user_tables WHERE relname = ANY(:tables)"
)


def due(live: int, dead: int, modified: int) -> list[str]:
    """The maintenance a table's counters call for, in the order to run it."""
    work = []
    if dead > VACUUM_BASE + VACUUM_SCALE * live:
        work.append("VACUUM")
    if modified > ANALYZE_BASE + ANALYZE_SCALE * live:
        work.append("ANALYZE")
    return work


async def tend_once(engine: AsyncEngine) -> list[str]:
    """One look; returns the statements run (e.g. "ANALYZE unit_lines")."""
    done: list[str] = []
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        if not (await auto.execute(text(f"SELECT pg_try_advisory_lock({LOCK_KEY})"))).scalar():
            return done  # the other worker is at it
        try:
            rows: list[Any] = list(await auto.execute(_COUNTERS, {"tables": list(HOT_TABLES)}))
            for name, live, dead, modified in rows:
                for verb in due(live or 0, dead or 0, modified or 0):
                    # VACUUM cannot run inside a transaction: this connection autocommits.
                    await auto.execute(text(f'{verb} "{name}"'))
                    done.append(f"{verb} {name}")
        finally:
            await auto.execute(text(f"SELECT pg_advisory_unlock({LOCK_KEY})"))
    if done:
        log.info("table maintenance: %s", ", ".join(done))
    return done


async def tend(engine: AsyncEngine, interval: float = INTERVAL) -> None:
    """Forever, until cancelled with the app; a failed look is logged and tried again."""
    while True:
        await asyncio.sleep(interval)
        try:
            await tend_once(engine)
        except Exception as exc:  # noqa: BLE001 - maintenance never takes the worker down
            log.warning("table maintenance failed: %s", type(exc).__name__)

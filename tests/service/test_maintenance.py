"""The service analyzes and vacuums its hot tables itself when PostgreSQL's autovacuum is off."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from service import maintenance
from service.db import make_engine
from tests.service.factories import scratch_database


def test_thresholds_follow_autovacuums_defaults() -> None:
    assert maintenance.due(live=1000, dead=0, modified=150) == []
    assert maintenance.due(live=1000, dead=0, modified=151) == ["ANALYZE"]
    assert maintenance.due(live=1000, dead=251, modified=0) == ["VACUUM"]
    assert maintenance.due(live=0, dead=51, modified=51) == ["VACUUM", "ANALYZE"]


async def test_bulk_loaded_rows_get_analyzed_and_dead_rows_vacuumed(postgres_url: str) -> None:
    url = await scratch_database(postgres_url, "ipsbill_tending")
    loader = make_engine(url)
    async with loader.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO unit_counters (member_id, provider_id, authorization_id, units) "
                "SELECT 'M' || n, 'P', '', n FROM generate_series(1, 2000) AS n"
            )
        )
        await conn.execute(text("DELETE FROM unit_counters WHERE units <= 1000"))
    await loader.dispose()  # a closing backend reports its counters at once
    engine = make_engine(url)
    try:
        done: list[str] = []
        for _ in range(50):  # the statistics system may take a moment to show them
            done = await maintenance.tend_once(engine)
            if done:
                break
            await asyncio.sleep(0.1)
        assert {"VACUUM unit_counters", "ANALYZE unit_counters"} <= set(done)
        async with engine.connect() as conn:
            analyzed = await conn.execute(
                text(
                    "SELECT last_analyze IS NOT NULL, n_dead_tup FROM pg_stat_user_tables "
                    "WHERE relname = 'unit_counters'"
                )
            )
            assert analyzed.one()[0] is True
        assert await maintenance.tend_once(engine) == []  # done once, not again
    finally:
        await engine.dispose()

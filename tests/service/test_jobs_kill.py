"""kill -9 in the middle of a claim-batch job, on both databases, with a real ``ipsbill serve``.

The server (and its pyx12 workers: the whole process group) is killed while the job is writing
pages of claims. Then: nothing of the half-made batch is stored. A new server takes the job
over once its lease has lapsed and finishes it: exactly one batch, every line in exactly one of
its claims, no claimed line without a batch.

The harness (the server, its pacing, the waits and the kill) is tests/service/killing.py.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, text

from service import models as orm
from service.db import make_engine, make_sessionmaker, session_scope
from tests.service.factories import scratch_database
from tests.service.killing import (
    CLAIMS,
    LINES_PER_CLAIM,
    Server,
    job_row,
    kill_mid_job,
    migrated_sqlite,
    paced,
    seed_claimable,
    wait_for_job,
)

pytestmark = pytest.mark.slow  # real `ipsbill serve` processes, killed and started again


async def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url, execution_options={"sqlite_begin": "DEFERRED"})
    line = orm.UnitLine
    async with make_sessionmaker(engine)() as session:

        async def count(stmt: Any) -> int:
            value: int = (await session.execute(stmt)).scalar_one()
            return value

        counts = {
            "batches": await count(select(func.count()).select_from(orm.ClaimBatch)),
            "claims": await count(select(func.count()).select_from(orm.Claim)),
            "claim_lines": await count(select(func.count()).select_from(orm.ClaimLine)),
            "parts": await count(select(func.count()).select_from(orm.ClaimBatchPart)),
            "claimed": await count(select(func.count()).where(line.claim_id.is_not(None))),
            "claimed_without_claim": await count(
                select(func.count())
                .select_from(line)
                .outerjoin(orm.Claim, orm.Claim.claim_id == line.claim_id)
                .where(line.claim_id.is_not(None), orm.Claim.claim_id.is_(None))
            ),
        }
    await engine.dispose()
    return counts


def _kill_mid_batch_then_resume(url: str, folder: Path) -> None:
    headers = {"Authorization": f"Bearer {asyncio.run(seed_claimable(url))}"}
    with paced(url, folder) as first:
        started = httpx.post(
            f"{first.base}/v1/claim-batches",
            json={"payer_id": "VAYA"},
            headers={**headers, "Prefer": "respond-async"},
            timeout=30,
        )
        assert started.status_code == 202, started.text
        kill_mid_job(url, first, done=100)  # a page of claims written (PostgreSQL shows it)
    # Killed mid-run: whatever pages had been written, none of them is stored.
    assert set(asyncio.run(_counts(url)).values()) == {0}

    with Server(url, folder) as second:
        wait_for_job(url, lambda job: job["state"] in ("succeeded", "failed"))
        location = started.headers["location"]
        job = httpx.get(second.base + location, headers=headers, timeout=30).json()
    assert job["state"] == "succeeded", job
    assert job["progress"] == {"done": CLAIMS, "total": CLAIMS}
    assert asyncio.run(job_row(url))["attempts"] == 2  # taken over once, run to its end once
    counts = asyncio.run(_counts(url))
    assert counts["batches"] == 1 and counts["claims"] == CLAIMS
    assert counts["claim_lines"] == counts["claimed"] == CLAIMS * LINES_PER_CLAIM
    assert counts["claimed_without_claim"] == 0


def test_kill_9_mid_batch_on_sqlite_then_restart(tmp_path: Path) -> None:
    _kill_mid_batch_then_resume(migrated_sqlite(tmp_path), tmp_path)


def test_kill_9_mid_batch_on_postgresql_then_restart(postgres_url: str, tmp_path: Path) -> None:
    url = asyncio.run(scratch_database(postgres_url, "jobkill"))
    _kill_mid_batch_then_resume(url, tmp_path)


# Re-priced by one UPDATE, between the job's second and third pause.
REPRICED_LINES = 5_000

_LINE_COLUMNS = (
    "INSERT INTO unit_lines (line_ref, member_id, provider_id, payer_id, service_date,"
    " procedure_key, procedure, modifiers, minutes, units, held_units, status,"
    " event_ids, rate, charge, auth_units, place_of_service, updated_at)"
)
# The history, generated in the database: money is NUMERIC on PostgreSQL, text on SQLite; a
# member's days end before the seed's own March 2026 lines.
_HISTORY = {
    "postgresql": _LINE_COLUMNS
    + " SELECT 'LH' || n, 'M' || lpad((n % :members)::text, 6, '0'), 'P-01', 'VAYA',"
    " DATE '2022-01-01' + (n / :members)::int, 'YP630', 'YP630', '[]', 60, 4, 0,"
    " 'billable', '[]', 6.50, 26.00, 4, '99', now()"
    " FROM generate_series(0, :count - 1) AS n",
    "sqlite": "WITH RECURSIVE s(n) AS"
    " (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < :count - 1) "
    + _LINE_COLUMNS
    + " SELECT 'LH' || n, 'M' || printf('%06d', n % :members), 'P-01', 'VAYA',"
    " date('2020-01-01', '+' || (n / :members) || ' days'), 'YP630', 'YP630', '[]', 60, 4, 0,"
    " 'billable', '[]', '6.50', '26.00', 4, '99', CURRENT_TIMESTAMP FROM s",
}


async def _seed_priced_history(url: str) -> None:
    """A payer's long history of priced lines, generated in the database."""
    engine = make_engine(url)
    async with session_scope(make_sessionmaker(engine)) as session:
        await session.execute(insert(orm.FeeSchedule), [{"payer_id": "VAYA",
            "effective_from": date(2020, 1, 1), "rates": {"YP630": "6.50"}, "version": 1,
            "body_hash": "seed"}])  # fmt: skip
        history = text(_HISTORY[engine.dialect.name])
        await session.execute(history, {"count": REPRICED_LINES, "members": CLAIMS})
    await engine.dispose()


async def _rates(url: str) -> dict[str, int]:
    """Lines per stored rate ("6.50": NUMERIC on PostgreSQL and text on SQLite print alike)."""
    engine = make_engine(url)
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT rate, count(*) FROM unit_lines GROUP BY 1"))
        counts = {str(rate): count for rate, count in rows.all()}
    await engine.dispose()
    return counts


def _kill_mid_repricing_then_resume(url: str, folder: Path) -> None:
    headers = {"Authorization": f"Bearer {asyncio.run(seed_claimable(url))}"}
    asyncio.run(_seed_priced_history(url))
    lines = REPRICED_LINES + CLAIMS * LINES_PER_CLAIM
    with paced(url, folder) as first:
        body = {"rates": {"YP630": "7.00"}, "effective_from": "2020-01-01"}
        stored = httpx.put(f"{first.base}/v1/fee-schedules/VAYA", json=body, headers=headers,
                           timeout=30)  # fmt: skip
        assert stored.status_code == 200 and stored.json()["job_id"], stored.text
        # PostgreSQL: killed once the lines are re-priced (step 2 of 3), not yet committed.
        kill_mid_job(url, first, done=2)
    assert asyncio.run(_rates(url)) == {"6.50": lines}  # nothing of the half-run job stayed

    with Server(url, folder):
        job = wait_for_job(url, lambda job: job["state"] in ("succeeded", "failed"))
    assert job["state"] == "succeeded" and job["attempts"] == 2, job
    assert asyncio.run(_rates(url)) == {"7.00": lines}


def test_kill_9_mid_repricing_on_sqlite_then_restart(tmp_path: Path) -> None:
    _kill_mid_repricing_then_resume(migrated_sqlite(tmp_path), tmp_path)


def test_kill_9_mid_repricing_on_postgresql_then_restart(postgres_url: str, tmp_path: Path) -> None:
    url = asyncio.run(scratch_database(postgres_url, "jobkillprice"))
    _kill_mid_repricing_then_resume(url, tmp_path)

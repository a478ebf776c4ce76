"""kill -9 in the middle of a re-adjudication job (a fidelity review's), on both databases, with
a real ``ipsbill serve`` (the harness of test_jobs_kill.py).

A provider's 1,800 billable events of 300 members; a review below the minimum from before them
all is stored and its job starts; the server is killed while the job re-adjudicates. Then
nothing of it is stored (every event still billable, every line as it was). A new server takes
the job over once its lease has lapsed and finishes it: every event excluded, no line left
billable, no event on two lines, the kept unit totals equal to the lines' sums. The killed
server pauses after each chunk of a hundred members (``paced``).
"""

from __future__ import annotations

import asyncio
from datetime import date
from datetime import time as clock
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from service import models as orm
from service.db import make_engine, make_sessionmaker, session_scope
from tests.service.factories import scratch_database
from tests.service.killing import (
    CLAIMS,
    LINES_PER_CLAIM,
    Server,
    kill_mid_job,
    migrated_sqlite,
    paced,
    seed_claimable,
    wait_for_job,
)

pytestmark = pytest.mark.slow  # real `ipsbill serve` processes, killed and started again

DAYS = 6  # events a member; the first LINES_PER_CLAIM days have their lines seeded too
EVENTS = CLAIMS * DAYS


def _event(i: int, d: int) -> dict[str, Any]:
    """A billable event of member ``i`` on day ``d`` (``_line(i, d)`` of
    tests/service/killing.py is its line for the first days)."""
    return {"event_id": f"E{i}-{d}", "member_id": f"M{i:06d}", "provider_id": "P-01",
            "staff_id": "S-1", "payer_id": "VAYA", "service_date": date(2026, 3, d + 1),
            "start_time": clock(9), "end_time": clock(10), "activity": "job_search",
            "contact": "in_person", "setting": "individual", "place_of_service": "99",
            "status": "billable", "minutes": 60, "billable_minutes": 60, "procedure": "YP630",
            "modifiers": [], "reasons": [], "adjudication_inputs": {}, "version": 1,
            "body_hash": "seed"}  # fmt: skip


async def _seed_events(url: str) -> None:
    engine = make_engine(url)
    rows = [_event(i, d) for i in range(CLAIMS) for d in range(DAYS)]
    # The kept totals of the seeded lines (4 units each, no authorization), as intake keeps them.
    counters = [{"member_id": f"M{i:06d}", "provider_id": "P-01", "authorization_id": "",
                 "units": 4 * LINES_PER_CLAIM} for i in range(CLAIMS)]  # fmt: skip
    async with session_scope(make_sessionmaker(engine)) as session:
        await session.execute(insert(orm.ServiceEvent), rows)
        await session.execute(insert(orm.UnitCounter), counters)
    await engine.dispose()


async def _state(url: str) -> dict[str, Any]:
    engine = make_engine(url, execution_options={"sqlite_begin": "DEFERRED"})
    event, line = orm.ServiceEvent, orm.UnitLine
    async with make_sessionmaker(engine)() as session:

        async def scalar(stmt: Any) -> Any:
            return (await session.execute(stmt)).scalar_one()

        statuses = dict((await session.execute(select(event.status, func.count()).group_by(
            event.status))).all())  # fmt: skip
        lines = dict((await session.execute(select(line.status, func.count()).group_by(
            line.status))).all())  # fmt: skip
        on_lines = [i for ids in (await session.execute(select(line.event_ids))).scalars()
                    for i in ids]  # fmt: skip
        kept = await scalar(select(func.coalesce(func.sum(orm.UnitCounter.units), 0)))
        summed = await scalar(select(func.coalesce(func.sum(line.auth_units), 0)))
    await engine.dispose()
    return {"events": statuses, "lines": lines, "doubled": len(on_lines) - len(set(on_lines)),
            "counters_match": int(kept) == int(summed)}  # fmt: skip


def _kill_mid_review_then_resume(url: str, folder: Path) -> None:
    headers = {"Authorization": f"Bearer {asyncio.run(seed_claimable(url))}"}
    asyncio.run(_seed_events(url))
    before = asyncio.run(_state(url))
    assert before["events"] == {"billable": EVENTS} and before["counters_match"]
    with paced(url, folder) as first:
        review = {"score": 60, "final_report_date": "2026-01-01"}
        stored = httpx.post(f"{first.base}/v1/providers/P-01/fidelity-reviews", json=review,
                            headers=headers, timeout=30)  # fmt: skip
        assert stored.status_code == 201 and stored.json()["job_id"], stored.text
        kill_mid_job(url, first, done=100)  # PostgreSQL: a chunk of members re-adjudicated
    assert asyncio.run(_state(url)) == before  # nothing of the half-run job stayed

    with Server(url, folder):
        job = wait_for_job(url, lambda job: job["state"] in ("succeeded", "failed"))
    assert job["state"] == "succeeded" and job["attempts"] == 2, job
    assert job["result"] == "/v1/providers/P-01/fidelity-reviews"
    assert (job["progress_done"], job["progress_total"]) == (CLAIMS, CLAIMS)
    after = asyncio.run(_state(url))
    assert after["events"] == {"excluded": EVENTS}
    assert "billable" not in after["lines"] and after["doubled"] == 0, after
    assert after["counters_match"]


def test_kill_9_mid_readjudication_on_sqlite_then_restart(tmp_path: Path) -> None:
    _kill_mid_review_then_resume(migrated_sqlite(tmp_path), tmp_path)


def test_kill_9_mid_readjudication_on_postgresql_then_restart(
    postgres_url: str, tmp_path: Path
) -> None:
    url = asyncio.run(scratch_database(postgres_url, "jobkillreview"))
    _kill_mid_review_then_resume(url, tmp_path)

"""kill -9 in the middle of an inbound-file job, on both databases, with a real ``ipsbill serve``
(the harness of test_jobs_kill.py; the seed and the large 835 of bench/inbound.py).

Twenty billed claims; an 835 paying them is posted with ``Prefer: respond-async`` (202, the
text stored with the job). The server is killed once the job has applied it, before the job's
end (PostgreSQL shows step 2 of 3: read, applied; SQLite: between two of the job's pauses,
``paced``): nothing of it is stored (no file, no claim paid). A new server takes the job over
once its lease has lapsed and applies the file once: one stored file, the job's result its link,
every claim paid. Posting the same file again changes nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bench.inbound import ASYNC, CLAIMS, EDI, WHEN, seed
from claims.inbound.simulate import simulate_835
from service import models as orm
from service.auth import keys
from service.auth.principal import Role
from service.db import make_engine, make_sessionmaker, session_scope
from tests.service.factories import scratch_database
from tests.service.killing import Server, kill_mid_job, migrated_sqlite, paced

pytestmark = pytest.mark.slow  # real `ipsbill serve` processes, killed and started again

QUIET = {"IPSBILL_DEMO_ON_EMPTY": "false"}  # an empty embedded database stays empty


async def _admin_key(url: str) -> str:
    engine = make_engine(url)
    async with session_scope(make_sessionmaker(engine)) as session:
        key = await keys.create_key(session, Role.ADMIN, name="kill-test")
    await engine.dispose()
    return key.clear_key


async def _remittance(base: str, headers: dict[str, str]) -> str:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as http:
        text = await seed(http)
    return simulate_835(text, control_number=9001, created=WHEN, trace_number="EFT1")


async def _state(url: str) -> dict[str, Any]:
    engine = make_engine(url, execution_options={"sqlite_begin": "DEFERRED"})
    async with make_sessionmaker(engine)() as session:
        files = (await session.execute(select(func.count()).select_from(orm.InboundFile))).scalar()
        statuses = (await session.execute(select(orm.Claim.status))).scalars().all()
        inbound = select(orm.Job.payload, orm.Job.state).where(orm.Job.kind == "inbound")
        job = (await session.execute(inbound.order_by(orm.Job.created_at).limit(1))).first()
    await engine.dispose()
    return {"files": files, "paid": statuses.count("paid"), "job": job and job[1],
            "payload": None if job is None else job[0] is not None}  # fmt: skip


def _job_wait(url: str, until: Any, index: int = 0) -> dict[str, Any]:
    """The ``index``-th inbound job (oldest first: the seed's requests may have queued other
    kinds) once ``until`` holds for it."""
    return asyncio.run(_await_inbound_job(url, until, index))


async def _await_inbound_job(url: str, until: Any, index: int) -> dict[str, Any]:
    engine, jobs = make_engine(url), []
    table = orm.Job.__table__
    stmt = select(table).where(table.c.kind == "inbound").order_by(table.c.created_at)
    try:
        for _ in range(3600):  # up to 3 minutes on a busy machine
            async with engine.connect() as connection:
                reader = await connection.execution_options(sqlite_begin="DEFERRED")
                jobs = [dict(row) for row in (await reader.execute(stmt)).mappings()]
            if len(jobs) > index and until(jobs[index]):
                return jobs[index]
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()
    raise AssertionError(f"job never reached the awaited state: {jobs}")


def _kill_mid_file_then_resume(url: str, folder: Path) -> None:
    headers = {"Authorization": f"Bearer {asyncio.run(_admin_key(url))}"}
    with paced(url, folder, **QUIET) as first:
        remit = asyncio.run(_remittance(first.base, headers))
        started = httpx.post(f"{first.base}/v1/edi/inbound", content=remit.encode(),
                             headers={**headers, **EDI, **ASYNC}, timeout=120)  # fmt: skip
        assert started.status_code == 202, started.text
        kill_mid_job(url, first, done=2, kind="inbound")
    mid = asyncio.run(_state(url))
    assert mid["job"] == "running", f"applied before the kill; enlarge it: {mid}"
    assert (mid["files"], mid["paid"], mid["payload"]) == (0, 0, True)  # nothing of it stayed

    with Server(url, folder, **QUIET) as second:
        job = _job_wait(url, lambda job: job["state"] in ("succeeded", "failed"))
        again = httpx.post(f"{second.base}/v1/edi/inbound", content=remit.encode(),
                           headers={**headers, **EDI, **ASYNC}, timeout=120)  # fmt: skip
        assert again.status_code == 202, again.text
        twice = _job_wait(url, lambda job: job["state"] in ("succeeded", "failed"), 1)
        assert twice["state"] == "succeeded" and twice["result"] == job["result"], twice
        stored = httpx.get(second.base + job["result"], headers=headers, timeout=30).json()
    assert job["state"] == "succeeded" and job["attempts"] == 2, job
    assert stored["claims_updated"] == CLAIMS and stored["duplicate"] is False
    after = asyncio.run(_state(url))
    assert (after["files"], after["paid"], after["payload"]) == (1, CLAIMS, False), after


def test_kill_9_mid_inbound_file_on_sqlite_then_restart(tmp_path: Path) -> None:
    _kill_mid_file_then_resume(migrated_sqlite(tmp_path), tmp_path)


def test_kill_9_mid_inbound_file_on_postgresql_then_restart(
    postgres_url: str, tmp_path: Path
) -> None:
    url = asyncio.run(scratch_database(postgres_url, "jobkillinbound"))
    _kill_mid_file_then_resume(url, tmp_path)

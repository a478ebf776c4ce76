"""kill -9 in the middle of a claim-batch job, on both databases, with a real ``ipsbill serve``.

The server (and its pyx12 workers: the whole process group) is killed while the job is writing
pages of claims. Then: nothing of the half-made batch is stored. A new server takes the job
over once its lease has lapsed and finishes it: exactly one batch, every line in exactly one of
its claims, no claimed line without a batch.

The killed server pauses PAUSE seconds after each chunk of its job (IPSBILL_JOB_PAUSE_SECONDS,
docs/jobs.md "Pacing"), so a small seed makes a job that lasts several pauses whatever the
machine's speed: the kill lands between two chunks, never after the end (``kill_mid_job``). The
server that takes the job over runs it without pauses.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncEngine

from service import models as orm
from service.auth import keys
from service.auth.principal import Role
from service.db import make_engine, make_sessionmaker, session_scope
from service.migrate import upgrade
from tests.service.factories import NPI_1, scratch_database

pytestmark = pytest.mark.slow  # real `ipsbill serve` processes, killed and started again

CLAIMS = 300  # members, one claim each: three pages of claims (PAGE_CLAIMS), a pause after each
LINES_PER_CLAIM = 2
ADDRESS = {"line1": "1 OAK ST", "city": "BOONE", "state": "NC", "zip": "28607"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _seed(url: str, claims: int = CLAIMS) -> str:
    """Billable unit lines as intake leaves them, stored in bulk; returns an admin key."""
    engine = make_engine(url)
    versioned = {"version": 1, "body_hash": "seed"}
    async with session_scope(make_sessionmaker(engine)) as session:
        await session.execute(insert(orm.Payer), [{"payer_id": "VAYA", "name": "Vaya",
            "kind": "lme_mco", "edi_profile": "default", "timely_filing_days": 3650,
            **versioned}])  # fmt: skip
        await session.execute(insert(orm.Provider), [{"provider_id": "P-01", "name": "Blue Ridge",
            "npi": NPI_1, "tax_id": "561234567", "taxonomy": "251S00000X",
            "address": {**ADDRESS, "zip": "288011234"}, "program_start_date": date(2024, 1, 1),
            **versioned}])  # fmt: skip
        await session.execute(insert(orm.Member), [_member(i, versioned) for i in range(claims)])
        lines = [_line(i, d) for i in range(claims) for d in range(LINES_PER_CLAIM)]
        await session.execute(insert(orm.UnitLine), lines)
        key = await keys.create_key(session, Role.ADMIN, name="kill-test")
    await engine.dispose()
    return key.clear_key


def _member(i: int, versioned: dict[str, Any]) -> dict[str, Any]:
    return {"member_id": f"M{i:06d}", "payer_id": "VAYA", "subscriber_id": f"9{i:08d}",
            "first_name": "TEST", "last_name": f"MEMBER{i}", "birth_date": date(1980, 1, 1),
            "sex": "U", "address": ADDRESS, "diagnoses": ["F331"], "dvr_shared_case": False,
            "act_periods": [], **versioned}  # fmt: skip


def _line(i: int, d: int) -> dict[str, Any]:
    return {"line_ref": f"L{i:06d}{d:02d}", "member_id": f"M{i:06d}", "provider_id": "P-01",
            "payer_id": "VAYA", "service_date": date(2026, 3, d + 1), "procedure_key": "YP630",
            "procedure": "YP630", "modifiers": [], "minutes": 60, "units": 4, "held_units": 0,
            "status": "billable", "event_ids": [f"E{i}-{d}"], "rate": Decimal("6.50"),
            "charge": Decimal("26.00"), "auth_units": 4, "place_of_service": "99"}  # fmt: skip


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


class Server:
    """``ipsbill serve`` in its own process group, so kill -9 reaches its pyx12 workers too."""

    def __init__(self, url: str, folder: Path, **settings: str) -> None:
        self.port = _free_port()
        # A lease of 1 s: the next server takes a killed one's job over as soon as it is up
        # (one runner a server, and a runner never loses its own lease by beating late).
        env = {**os.environ, "IPSBILL_DATABASE_URL": url, "IPSBILL_JOB_LEASE_SECONDS": "1",
               "IPSBILL_VALIDATION_WORKERS": "1", **settings}  # fmt: skip
        command = [sys.executable, "-m", "service.cli", "serve", "--port", str(self.port)]
        quiet = subprocess.DEVNULL
        self.proc = subprocess.Popen(
            command, env=env, cwd=folder, start_new_session=True, stdout=quiet, stderr=quiet
        )
        self.base = f"http://127.0.0.1:{self.port}"
        with httpx.Client(timeout=2) as http:  # one client: each new one loads the CA bundle
            for _ in range(1200):
                with suppress(httpx.HTTPError):
                    if http.get(f"{self.base}/readyz").status_code == 200:
                        return
                time.sleep(0.05)
        self.kill()
        raise AssertionError("ipsbill serve never became ready")

    def kill(self) -> None:
        with suppress(ProcessLookupError):  # killed already
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.kill()


def paced(url: str, folder: Path, **settings: str) -> Server:
    """The server to kill: it pauses PAUSE seconds after each chunk of a job."""
    return Server(url, folder, IPSBILL_JOB_PAUSE_SECONDS=str(PAUSE), **settings)


PAUSE = 1.0  # seconds after each chunk of the killed server's jobs


async def _job_row(url: str, kind: str | None = None) -> dict[str, Any]:
    """The job (of ``kind``: the first one) as stored."""
    engine = make_engine(url)
    try:
        return await _read_job(engine, kind)
    finally:
        await engine.dispose()


async def _read_job(engine: AsyncEngine, kind: str | None) -> dict[str, Any]:
    """Read beside a running job (on SQLite a reader never waits)."""
    table = orm.Job.__table__
    stmt = select(table).order_by(table.c.created_at).limit(1)
    async with engine.connect() as connection:
        reader = await connection.execution_options(sqlite_begin="DEFERRED")
        where = stmt if kind is None else stmt.where(table.c.kind == kind)
        return dict((await reader.execute(where)).mappings().one())


def _wait(url: str, until: Any, kind: str | None = None) -> dict[str, Any]:
    return asyncio.run(_await_job(url, until, kind))


async def _await_job(url: str, until: Any, kind: str | None) -> dict[str, Any]:
    """Polled on one engine: a connection a look would be a PostgreSQL backend a look."""
    engine, job = make_engine(url), {}
    try:
        for _ in range(3600):  # up to 3 minutes on a busy machine
            with suppress(NoResultFound):
                job = await _read_job(engine, kind)
                if until(job):
                    return job
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()
    raise AssertionError(f"job never reached the awaited state: {job}")


def kill_mid_job(url: str, server: Server, done: int = 1, kind: str | None = None) -> None:
    """kill -9 ``server`` (paced) while its job is between two chunks, ``done`` or more done.

    PostgreSQL: the heartbeat publishes the progress, so the kill waits for it. SQLite: progress
    stays in the process (the job holds the write lock), so the kill comes 1.5 pauses after the
    job is seen running: the job lasts three pauses or more, so it is then still running."""
    try:
        if url.startswith("postgresql"):
            _wait(url, lambda job: done <= job["progress_done"] < (job["progress_total"] or 0),
                  kind)  # fmt: skip
        else:
            _wait(url, lambda job: job["state"] == "running", kind)
            time.sleep(1.5 * PAUSE)
    finally:
        server.kill()
    mid = asyncio.run(_job_row(url, kind))
    assert mid["state"] == "running", f"the job finished before the kill: {mid}"


def _kill_mid_batch_then_resume(url: str, folder: Path) -> None:
    headers = {"Authorization": f"Bearer {asyncio.run(_seed(url))}"}
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
        _wait(url, lambda job: job["state"] in ("succeeded", "failed"))
        location = started.headers["location"]
        job = httpx.get(second.base + location, headers=headers, timeout=30).json()
    assert job["state"] == "succeeded", job
    assert job["progress"] == {"done": CLAIMS, "total": CLAIMS}
    assert asyncio.run(_job_row(url))["attempts"] == 2  # taken over once, run to its end once
    counts = asyncio.run(_counts(url))
    assert counts["batches"] == 1 and counts["claims"] == CLAIMS
    assert counts["claim_lines"] == counts["claimed"] == CLAIMS * LINES_PER_CLAIM
    assert counts["claimed_without_claim"] == 0


def test_kill_9_mid_batch_on_sqlite_then_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}"
    upgrade(url)
    _kill_mid_batch_then_resume(url, tmp_path)


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
    headers = {"Authorization": f"Bearer {asyncio.run(_seed(url))}"}
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
        job = _wait(url, lambda job: job["state"] in ("succeeded", "failed"))
    assert job["state"] == "succeeded" and job["attempts"] == 2, job
    assert asyncio.run(_rates(url)) == {"7.00": lines}


def test_kill_9_mid_repricing_on_sqlite_then_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}"
    upgrade(url)
    _kill_mid_repricing_then_resume(url, tmp_path)


def test_kill_9_mid_repricing_on_postgresql_then_restart(postgres_url: str, tmp_path: Path) -> None:
    url = asyncio.run(scratch_database(postgres_url, "jobkillprice"))
    _kill_mid_repricing_then_resume(url, tmp_path)

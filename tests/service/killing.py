"""The kill -9 harness: a real ``ipsbill serve`` in its own process group, killed in the
middle of a job and started again (tests/service/test_jobs_kill*.py), and the claimable world
those tests seed.

The killed server pauses PAUSE seconds after each chunk of its job (IPSBILL_JOB_PAUSE_SECONDS,
docs/jobs.md "Pacing"), so a small seed makes a job that lasts several pauses whatever the
machine's speed: the kill lands between two chunks, never after the end (``kill_mid_job``). The
server that takes the job over runs it without pauses.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncEngine

from service import models as orm
from service.auth import keys
from service.auth.principal import Role
from service.db import make_engine, make_sessionmaker, session_scope
from service.migrate import upgrade
from tests.service.factories import NPI_1
from tests.service.live import free_port


def migrated_sqlite(folder: Path, name: str = "kill.db") -> str:
    """A migrated SQLite file in ``folder`` (the PostgreSQL tests use a scratch database): a copy
    of a file migrated once per test process, as factories.scratch_database copies a migrated
    template, not a new run of every migration (~1 s of CPU each)."""
    shutil.copyfile(_sqlite_template(), folder / name)
    return f"sqlite+aiosqlite:///{folder / name}"


_TEMPLATE: list[Path] = []  # this process's migrated file, made on first use


def _sqlite_template() -> Path:
    if not _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="ipsbill-sqlite-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        upgrade(f"sqlite+aiosqlite:///{folder / 'template.db'}")  # from this run's migrations
        _TEMPLATE.append(folder / "template.db")
    return _TEMPLATE[0]


CLAIMS = 300  # members, one claim each: three pages of claims (PAGE_CLAIMS), a pause after each
LINES_PER_CLAIM = 2
ADDRESS = {"line1": "1 OAK ST", "city": "BOONE", "state": "NC", "zip": "28607"}


async def seed_claimable(url: str, claims: int = CLAIMS) -> str:
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
        await session.execute(insert(orm.Member), [member_row(i, versioned) for i in range(claims)])
        lines = [_line(i, d) for i in range(claims) for d in range(LINES_PER_CLAIM)]
        await session.execute(insert(orm.UnitLine), lines)
        key = await keys.create_key(session, Role.ADMIN, name="kill-test")
    await engine.dispose()
    return key.clear_key


def member_row(i: int, versioned: dict[str, Any]) -> dict[str, Any]:
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


class Server:
    """``ipsbill serve`` in its own process group, so kill -9 reaches its pyx12 workers too."""

    def __init__(self, url: str, folder: Path, **settings: str) -> None:
        self.port = free_port()
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


async def job_row(url: str, kind: str | None = None) -> dict[str, Any]:
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


def wait_for_job(url: str, until: Any, kind: str | None = None) -> dict[str, Any]:
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

    def between(job: dict[str, Any]) -> bool:
        return bool(done <= job["progress_done"] < (job["progress_total"] or 0))

    try:
        if url.startswith("postgresql"):
            wait_for_job(url, between, kind)
        else:
            wait_for_job(url, lambda job: job["state"] == "running", kind)
            time.sleep(1.5 * PAUSE)
    finally:
        server.kill()
    mid = asyncio.run(job_row(url, kind))
    assert mid["state"] == "running", f"the job finished before the kill: {mid}"

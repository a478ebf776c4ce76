"""kill -9 in the middle of an invoices job, on both databases, with a real ``ipsbill serve``
(the harness of test_jobs_kill.py).

Providers of one LME-MCO payer, each with one member whose career profile earns milestone 1
(the evidence and in-person sessions of tests/service/test_milestones.py), stored in bulk. The
server is killed while the job invoicing them runs, a provider or more done: no invoice of it is
stored. A new server takes the job over once its lease has lapsed and invoices every provider
exactly once; asking again finds nothing to invoice (docs/jobs.md, "Invoices"). The killed
server pauses after each provider (``paced``), so four providers make a job of four pauses.
"""

from __future__ import annotations

import asyncio
import time as clock
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from claims.milestones import EvidenceKind, validate_fields
from service import models as orm
from service.auth import keys
from service.auth.principal import Role
from service.db import make_engine, make_sessionmaker, session_scope
from tests.service.factories import NPI_1, PROFILE_SECTIONS, scratch_database
from tests.service.killing import (
    ADDRESS,
    Server,
    kill_mid_job,
    member_row,
    migrated_sqlite,
    paced,
    wait_for_job,
)

pytestmark = pytest.mark.slow  # real `ipsbill serve` processes, killed and started again

PROVIDERS = 4  # a pause after each: the job outlasts the kill
INVOICE = {"payer_id": "VAYA", "through_date": "2026-12-31"}
VERSIONED = {"version": 1, "body_hash": "seed"}


async def _seed(url: str) -> str:
    """Providers each with one member who earned milestone 1; returns an admin key."""
    engine = make_engine(url)
    async with session_scope(make_sessionmaker(engine)) as session:
        await session.execute(insert(orm.Payer), [{"payer_id": "VAYA", "name": "Vaya",
            "kind": "lme_mco", "edi_profile": "default", "timely_filing_days": 3650,
            **VERSIONED}])  # fmt: skip
        await session.execute(insert(orm.Provider), [_provider(p) for p in range(PROVIDERS)])
        members = [member_row(p, VERSIONED) for p in range(PROVIDERS)]
        await session.execute(insert(orm.Member), members)
        await session.execute(insert(orm.MilestoneEvidence), _evidence())
        await session.execute(insert(orm.ServiceEvent), _sessions())
        key = await keys.create_key(session, Role.ADMIN, name="kill-test")
    await engine.dispose()
    return key.clear_key


def _provider(p: int) -> dict[str, Any]:
    return {"provider_id": f"P-{p:04d}", "name": f"Provider {p}", "npi": NPI_1,
            "tax_id": "561234567", "taxonomy": "251S00000X", "address": ADDRESS,
            "program_start_date": date(2024, 1, 1), **VERSIONED}  # fmt: skip


def _day(index: int) -> date:
    return date(2026, 2, 2) + timedelta(days=index)


def _evidence() -> list[dict[str, Any]]:
    """Each career-profile section on its own day, as tests/service/test_milestones.py puts it."""
    kind = EvidenceKind.CAREER_PROFILE_SECTION
    return [{"evidence_id": f"CP-{p}-{i}", "member_id": f"M{p:06d}", "provider_id": f"P-{p:04d}",
             "kind": kind.value, "date": _day(i), "voided": False,
             "fields": validate_fields(kind, {"section": section}), **VERSIONED}
            for p in range(PROVIDERS) for i, section in enumerate(PROFILE_SECTIONS)]  # fmt: skip


def _sessions() -> list[dict[str, Any]]:
    """The in-person session each section was worked on (catalog: in person required)."""
    return [{"event_id": f"E-{p}-{i}", "member_id": f"M{p:06d}", "provider_id": f"P-{p:04d}",
             "staff_id": "S-07", "payer_id": "VAYA", "service_date": _day(i),
             "start_time": time(9), "end_time": time(10), "activity": "career_profile",
             "contact": "in_person", "setting": "individual", "note_id": f"N-{p}-{i}",
             **VERSIONED}
            for p in range(PROVIDERS) for i in range(len(PROFILE_SECTIONS))]  # fmt: skip


async def _invoiced(url: str) -> dict[str, int]:
    engine = make_engine(url, execution_options={"sqlite_begin": "DEFERRED"})
    invoice, line = orm.Invoice, orm.InvoiceLine
    async with make_sessionmaker(engine)() as session:

        async def count(stmt: Any) -> int:
            value: int = (await session.execute(stmt)).scalar_one()
            return value

        counts = {
            "invoices": await count(select(func.count()).select_from(invoice)),
            "providers": await count(select(func.count(func.distinct(invoice.provider_id)))),
            "lines": await count(select(func.count()).select_from(line)),
            "occurrences": await count(
                select(func.count()).select_from(
                    select(line.member_id, line.milestone, line.occurrence).distinct().subquery()
                )
            ),
        }
    await engine.dispose()
    return counts


def _kill_mid_invoices_then_resume(url: str, folder: Path) -> None:
    headers = {"Authorization": f"Bearer {asyncio.run(_seed(url))}"}
    with paced(url, folder) as first:
        started = httpx.post(f"{first.base}/v1/invoices", json=INVOICE, headers=headers,
                             timeout=30)  # fmt: skip
        assert started.status_code == 202, started.text
        kill_mid_job(url, first)  # PostgreSQL: a provider invoiced, not yet committed
    assert set(asyncio.run(_invoiced(url)).values()) == {0}  # no invoice of the killed run

    with Server(url, folder) as second:
        wait_for_job(url, lambda job: job["state"] in ("succeeded", "failed"))
        job = httpx.get(second.base + started.headers["location"], headers=headers,
                        timeout=30).json()  # fmt: skip
        again = httpx.post(f"{second.base}/v1/invoices", json=INVOICE, headers=headers,
                           timeout=30)  # fmt: skip
        assert again.status_code == 202, again.text
        retried = _wait_for(second.base + again.headers["location"], headers)
    assert job["state"] == "succeeded", job
    assert job["progress"] == {"done": PROVIDERS, "total": PROVIDERS}
    assert asyncio.run(_job_row_of(url, job["job_id"]))["attempts"] == 2  # taken over once
    assert len(job["made"]) == len(set(job["made"])) == PROVIDERS
    assert retried["state"] == "failed" and retried["error"]["code"] == "nothing-to-invoice"
    counts = asyncio.run(_invoiced(url))  # every provider invoiced once, its milestone once
    assert counts == dict.fromkeys(("invoices", "providers", "lines", "occurrences"), PROVIDERS)


def _wait_for(location: str, headers: dict[str, str]) -> dict[str, Any]:
    """The job as the API shows it, once it has finished."""
    job: dict[str, Any] = {}
    with httpx.Client(headers=headers, timeout=30) as http:
        for _ in range(3600):  # up to 3 minutes on a busy machine
            job = http.get(location).json()
            if job["state"] in ("succeeded", "failed"):
                return job
            clock.sleep(0.05)
    raise AssertionError(f"job never finished: {job}")


async def _job_row_of(url: str, job_id: str) -> dict[str, Any]:
    engine = make_engine(url, execution_options={"sqlite_begin": "DEFERRED"})
    async with make_sessionmaker(engine)() as session:
        job = await session.get(orm.Job, job_id)
        assert job is not None
        row = {"attempts": job.attempts, "state": job.state}
    await engine.dispose()
    return row


def test_kill_9_mid_invoices_on_sqlite_then_restart(tmp_path: Path) -> None:
    _kill_mid_invoices_then_resume(migrated_sqlite(tmp_path), tmp_path)


def test_kill_9_mid_invoices_on_postgresql_then_restart(postgres_url: str, tmp_path: Path) -> None:
    url = asyncio.run(scratch_database(postgres_url, "jobkillinvoices"))
    _kill_mid_invoices_then_resume(url, tmp_path)

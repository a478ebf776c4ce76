"""The jobs table: enqueue, take (one runner per job, by lease), heartbeat, finish.

Timestamps a lease is compared with come from one clock: PostgreSQL's ``now()`` when several
machines share the table (their own clocks may drift), Python's on the embedded SQLite.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service import models as orm
from service.models.base import utcnow

OPEN = ("queued", "running")


def new_job_id() -> str:
    return f"J{uuid.uuid4().hex[:24].upper()}"


async def enqueue(
    session: AsyncSession,
    kind: str,
    params: dict[str, Any],
    created_by: str | None,
    payer_id: str | None = None,
    provider_id: str | None = None,
) -> orm.Job:
    job = orm.Job(
        job_id=new_job_id(),
        kind=kind,
        state="queued",
        payer_id=payer_id,
        provider_id=provider_id,
        params=params,
        progress_done=0,
        attempts=0,
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(job)
    await session.flush()
    return job


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def now(session: AsyncSession) -> Any:
    """The lease clock: the database server's on PostgreSQL."""
    return func.now() if _is_postgresql(session) else utcnow()


def _takeable(session: AsyncSession) -> ColumnElement[bool]:
    job = orm.Job
    lapsed = and_(job.state == "running", job.lease_until < now(session))
    return or_(job.state == "queued", lapsed)


async def any_takeable(session: AsyncSession) -> bool:
    """A cheap look before taking a lock (on SQLite, taking one means the write lock)."""
    stmt = select(orm.Job.job_id).where(_takeable(session)).limit(1)
    return (await session.execute(stmt)).first() is not None


async def take_next(session: AsyncSession) -> orm.Job | None:
    """The oldest open job no live runner holds, locked for this transaction. On PostgreSQL
    ``SKIP LOCKED`` lets several runners take different jobs at once; SQLite has one writer."""
    stmt = select(orm.Job).where(_takeable(session)).order_by(orm.Job.created_at).limit(1)
    if _is_postgresql(session):
        stmt = stmt.with_for_update(skip_locked=True)
    job: orm.Job | None = (await session.execute(stmt)).scalar_one_or_none()
    return job


async def lease(session: AsyncSession, job: orm.Job, owner: str, seconds: float) -> None:
    job.state = "running"
    job.lease_owner = owner
    job.lease_until = now(session) + timedelta(seconds=seconds)
    job.attempts += 1
    job.progress_done = 0
    if job.started_at is None:
        job.started_at = utcnow()
    await session.flush()


def _held_by(job_id: str, owner: str) -> list[ColumnElement[bool]]:
    job = orm.Job
    return [job.job_id == job_id, job.lease_owner == owner, job.state == "running"]


async def heartbeat(
    session: AsyncSession, job_id: str, owner: str, seconds: float, done: int, total: int | None
) -> bool:
    """Renew the lease and publish progress; False when the job is no longer this runner's."""
    stmt = (
        update(orm.Job)
        .where(*_held_by(job_id, owner))
        .values(
            lease_until=now(session) + timedelta(seconds=seconds),
            progress_done=done,
            progress_total=total,
        )
    )
    changed: int = (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]
    return changed == 1


async def finish(
    session: AsyncSession,
    job_id: str,
    owner: str,
    *,
    result: str | None = None,
    error: dict[str, Any] | None = None,
    progress: tuple[int, int | None] | None = None,
) -> bool:
    """Succeeded (with ``result``) or failed (with ``error``), only if this runner still holds
    the job: run in the job's own transaction, a lost lease rolls the work back with it."""
    values: dict[str, Any] = {
        "state": "failed" if error is not None else "succeeded",
        "result": result,
        "error": error,
        "lease_owner": None,
        "lease_until": None,
        "finished_at": utcnow(),
    }
    if progress is not None:
        values["progress_done"], values["progress_total"] = progress
    stmt = update(orm.Job).where(*_held_by(job_id, owner)).values(**values)
    changed: int = (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]
    return changed == 1


async def give_back(session: AsyncSession, job_id: str, owner: str) -> None:
    """A runner stopping politely puts its job back in the queue at once."""
    stmt = (
        update(orm.Job)
        .where(*_held_by(job_id, owner))
        .values(state="queued", lease_owner=None, lease_until=None, attempts=orm.Job.attempts - 1)
    )
    await session.execute(stmt)


async def fail_abandoned(session: AsyncSession, job: orm.Job, problem: dict[str, Any]) -> None:
    job.state = "failed"
    job.error = problem
    job.lease_owner = None
    job.lease_until = None
    job.finished_at = utcnow()
    await session.flush()

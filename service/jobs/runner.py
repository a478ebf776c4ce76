"""The job runner: a small loop inside ``ipsbill serve`` (or ``ipsbill worker``).

Why not a job library: none of the well-kept ones runs on both the embedded SQLite default and
PostgreSQL (procrastinate, pgqueuer: PostgreSQL only; huey: SQLite or Redis, threads; arq,
saq, dramatiq, rq: a Redis or RabbitMQ broker), and none lets a job's "succeeded" commit in the
same transaction as its work, which is what makes a batch exactly-once here (README, "Jobs").

How it stays exactly-once (docs/jobs.md):
- taking a job is one short transaction that sets ``lease_owner``/``lease_until``
  (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so runners in many processes take different jobs);
- the work and the job's "succeeded" share one transaction, and "succeeded" is written only
  while this runner still holds the lease: a crash rolls everything back, a lost lease too;
- on PostgreSQL a heartbeat renews the lease and publishes progress every second; a runner that
  died stops renewing, its lease lapses and another runner takes the job over (``attempts``
  counts takings: after MAX_ATTEMPTS the job fails with that reason instead of looping);
- on SQLite the job's transaction holds the database's single write lock from start to end, so
  no other process can take the job while it runs; progress is kept in memory and shown by
  this process (SQLite is one process).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from contextlib import suppress
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from claims.errors import Conflict, DomainError
from service.db import session_scope
from service.errors import problem_of
from service.jobs import repository
from service.jobs.service import HANDLERS, JobContext
from service.problems import problem_body

log = logging.getLogger("ipsbill.jobs")
POLL_SECONDS = 1.0  # how soon a job queued by another process is noticed
MAX_ATTEMPTS = 3  # takings of one job (each after its runner stopped) before it fails
Taken = tuple[str, str, dict[str, Any]]  # job id, kind, params


def _problem(status: int, detail: str) -> dict[str, Any]:
    return problem_body(status, detail)


class Runner:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        context: JobContext,
        *,
        heartbeat_seconds: float | None = None,
    ) -> None:
        self.factory = sessionmaker
        self.context = context
        self.lease_seconds = context.settings.job_lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.live: dict[str, tuple[int, int | None]] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._current: str | None = None

    # -- the loop -----------------------------------------------------------------------------

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="ipsbill-jobs")

    async def stop(self) -> None:
        """Stop at once; the job in hand (rolled back) goes back to the queue."""
        if self._loop_task is None:
            return
        self._loop_task.cancel()
        with suppress(asyncio.CancelledError):
            await self._loop_task
        if self._current is not None:
            async with session_scope(self.factory) as session:
                await repository.give_back(session, self._current, self.owner)

    def wake(self) -> None:
        self._wake.set()

    def progress_of(self, job_id: str) -> tuple[int, int | None] | None:
        return self.live.get(job_id)

    async def _loop(self) -> None:
        while True:
            try:
                ran = await self.run_next()
            except Exception as exc:  # the database away for a moment: try again later
                log.warning("job runner could not take a job: %s", type(exc).__name__)
                ran = False
            if not ran:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
                self._wake.clear()

    async def run_next(self) -> bool:
        """Take one job and run it to its end; False when there was none."""
        taken = await self._take()
        if taken is None:
            return False
        await self._run(*taken)
        return True

    # -- taking -------------------------------------------------------------------------------

    async def _take(self) -> Taken | None:
        async with self.factory() as session:
            await session.connection(execution_options={"sqlite_begin": "DEFERRED"})
            if not await repository.any_takeable(session):
                return None
        while True:
            async with session_scope(self.factory) as session:
                job = await repository.take_next(session)
                if job is None:
                    return None
                if job.attempts >= MAX_ATTEMPTS:
                    reason = (
                        f"the job's runner stopped {job.attempts} times while running it; "
                        "nothing of it was kept"
                    )
                    await repository.fail_abandoned(session, job, _problem(503, reason))
                    continue
                await repository.lease(session, job, self.owner, self.lease_seconds)
                log.info("job %s (%s) taken, attempt %d", job.job_id, job.kind, job.attempts)
                return job.job_id, job.kind, dict(job.params)

    # -- running ------------------------------------------------------------------------------

    async def _run(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        self._current = job_id
        self.live[job_id] = (0, None)
        work = asyncio.create_task(self._work(job_id, kind, params))
        beat = (
            asyncio.create_task(self._heartbeat(job_id, work))
            if self.heartbeat_seconds is not None
            else None
        )
        try:
            await work
        except asyncio.CancelledError:
            if not work.done():  # the runner is stopping, not a lost lease
                work.cancel()
                with suppress(asyncio.CancelledError):
                    await work  # rolled back before the job is given back
                raise
        finally:
            if beat is not None:
                beat.cancel()
                with suppress(asyncio.CancelledError):
                    await beat
            self.live.pop(job_id, None)
            self._current = None

    async def _heartbeat(self, job_id: str, work: asyncio.Task[None]) -> None:
        assert self.heartbeat_seconds is not None
        while not work.done():
            await asyncio.sleep(self.heartbeat_seconds)
            done, total = self.live.get(job_id, (0, None))
            try:
                async with session_scope(self.factory) as session:
                    held = await repository.heartbeat(
                        session, job_id, self.owner, self.lease_seconds, done, total
                    )
            except Exception as exc:  # a missed beat; the lease outlasts a few of them
                log.warning("job %s heartbeat failed: %s", job_id, type(exc).__name__)
                continue
            if not held:  # another runner took it over: this work must not commit
                log.warning("job %s was taken over; its work here is dropped", job_id)
                work.cancel()
                return

    async def _work(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        pause = self.context.settings.job_pause_seconds

        async def progress(done: int, total: int) -> None:
            self.live[job_id] = (done, total)
            if done < total:  # between chunks: requests of this process get their turn
                await asyncio.sleep(pause)

        handler = HANDLERS.get(kind)
        async with self.factory() as session:
            transaction = await session.begin()
            try:
                if handler is None:
                    raise LookupError(f"no handler for job kind {kind}")
                result = await handler(self.context, session, params, progress)
            except DomainError as exc:
                kept = isinstance(exc, Conflict) and exc.keep_changes
                if kept and await repository.finish(
                    session, job_id, self.owner, error=problem_of(exc)
                ):
                    await transaction.commit()  # what the batch settled stays (as for 409)
                    return
                await transaction.rollback()
                await self._fail(job_id, problem_of(exc))
                return
            except Exception as exc:
                await transaction.rollback()
                # The type only: an exception message may carry data (PHI) from the job.
                log.error("job %s (%s) failed: %s", job_id, kind, type(exc).__name__)
                log.debug("traceback of the failed job", exc_info=exc)
                detail = "the job could not complete; nothing of it was kept"
                await self._fail(job_id, _problem(500, detail))
                return
            if await repository.finish(
                session, job_id, self.owner, result=result, progress=self.live.get(job_id)
            ):
                await transaction.commit()
            else:
                await transaction.rollback()  # taken over meanwhile: the other run counts

    async def _fail(self, job_id: str, problem: dict[str, Any]) -> None:
        async with session_scope(self.factory) as session:
            await repository.finish(
                session, job_id, self.owner, error=problem, progress=self.live.get(job_id)
            )


def runner_for(sessionmaker: async_sessionmaker[AsyncSession], context: JobContext) -> Runner:
    """PostgreSQL beats every second (progress for every replica, a lapsed lease for a dead
    runner); SQLite cannot write beside the job's own transaction, and needs no takeover."""
    settings = context.settings
    beat = None if settings.is_sqlite else min(1.0, settings.job_lease_seconds / 3)
    return Runner(sessionmaker, context, heartbeat_seconds=beat)

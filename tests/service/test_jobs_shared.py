"""Several runners on one PostgreSQL database (as several serve processes would be) share the
queue: every job is taken once, run once, and only one batch is made of the same lines."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from service import models as orm
from service.auth.principal import Principal, Role
from service.claims.schemas import BatchIn
from service.config import Settings
from service.db import make_engine, make_sessionmaker, session_scope
from service.jobs import repository
from service.jobs.runner import Runner
from service.jobs.service import JobContext
from service.profiles import ProfileRegistry
from tests.service.factories import scratch_database
from tests.service.killing import seed_claimable

JOBS = 6
RUNNERS = 3


async def test_runners_in_parallel_take_each_job_once(postgres_url: str) -> None:
    url = await scratch_database(postgres_url, "jobshare")
    await seed_claimable(url, claims=300)
    engines = [make_engine(url) for _ in range(RUNNERS)]
    try:
        settings = Settings(database_url=url)
        context = JobContext(settings, ProfileRegistry.load())
        runners = [Runner(make_sessionmaker(e), context, heartbeat_seconds=0.5) for e in engines]
        factory = make_sessionmaker(engines[0])
        principal = Principal("key_test", Role.ADMIN)
        params = {"body": BatchIn(payer_id="VAYA").model_dump(mode="json"),
                  "principal": {"key_id": principal.key_id, "role": "admin", "payer_id": None,
                                "provider_id": None}}  # fmt: skip
        async with session_scope(factory) as session:
            for _ in range(JOBS):
                await repository.enqueue(session, "claim_batch", params, "key_test", "VAYA")

        async def drain(runner: Runner) -> int:
            ran = 0
            while await runner.run_next():
                ran += 1
            return ran

        ran = await asyncio.gather(*(drain(runner) for runner in runners))
        assert sum(ran) == JOBS
        async with factory() as session:
            jobs = list((await session.execute(select(orm.Job))).scalars())
            batches = (await session.execute(select(func.count(orm.ClaimBatch.batch_id)))).scalar()
        assert all(job.attempts == 1 for job in jobs)  # none taken twice
        states = sorted(job.state for job in jobs)
        assert states == ["failed"] * (JOBS - 1) + ["succeeded"]
        assert batches == 1  # the others found nothing left to bill (409)
        assert all(job.error["status"] == 409 for job in jobs if job.state == "failed")
    finally:
        for engine in engines:
            await engine.dispose()

"""Jobs over HTTP: a claim batch started with ``Prefer: respond-async``, run by the real runner
(on the test's database), watched through ``/v1/jobs/{id}``, scoped like the batch."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select, update

from service.jobs import repository
from service.jobs.runner import MAX_ATTEMPTS, Runner
from service.jobs.service import JobContext, wants_async
from service.models import ClaimBatch, Job
from service.models.base import utcnow
from tests.service.factories import create_event, create_key, create_payer, fileable_world

BATCH = {"payer_id": "VAYA", "through_date": "2026-03-31"}
ASYNC = {"Prefer": "respond-async"}


def _runner(app: FastAPI) -> Runner:
    return Runner(app.state.sessionmaker, JobContext(app.state.settings, app.state.profiles))


async def _world(app: FastAPI, client: AsyncClient) -> dict[str, str]:
    admin = await fileable_world(app, client)
    return admin


def test_prefer_respond_async_is_read_as_rfc_7240_says() -> None:
    assert wants_async("respond-async")
    assert wants_async("return=minimal, Respond-Async; wait=5")
    assert not wants_async("return=minimal")
    assert not wants_async(None)
    assert not wants_async("respond-asyncx")


async def test_an_async_batch_answers_202_and_its_job_makes_the_batch(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_event(client, admin)
    await create_event(client, admin, "E-2", service_date="2026-03-03")
    finance = await create_key(app, "finance", payer_id="VAYA")
    started = await client.post("/v1/claim-batches", json=BATCH, headers={**finance, **ASYNC})
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["location"] == f"/v1/jobs/{job['job_id']}"
    assert started.headers["preference-applied"] == "respond-async"
    assert (job["state"], job["result"], job["finished_at"]) == ("queued", None, None)
    assert await _batches(app) == 0  # nothing made before the runner takes it

    assert await _runner(app).run_next()
    done = (await client.get(started.headers["location"], headers=finance)).json()
    assert done["state"] == "succeeded", done
    assert done["progress"] == {"done": 1, "total": 1}  # one claim: one member and month
    assert done["error"] is None and done["finished_at"] is not None
    batch = await client.get(done["result"], headers=finance)
    assert batch.status_code == 200 and batch.json()["line_count"] == 2
    assert not await _runner(app).run_next()  # run once, never again


async def test_a_paced_job_pauses_between_its_chunks_with_its_progress_shown(
    app: FastAPI, client: AsyncClient
) -> None:
    """IPSBILL_JOB_PAUSE_SECONDS (docs/jobs.md, "Pacing"): after "0 of 1 claims" the runner
    pauses, the progress readable meanwhile; the job ends only after the pause."""
    admin = await _world(app, client)
    await create_event(client, admin)
    started = await client.post("/v1/claim-batches", json=BATCH, headers={**admin, **ASYNC})
    job_id, pause = started.json()["job_id"], 0.5
    paced = app.state.settings.model_copy(update={"job_pause_seconds": pause})
    runner = Runner(app.state.sessionmaker, JobContext(paced, app.state.profiles))
    began = time.monotonic()
    running = asyncio.create_task(runner.run_next())
    while runner.progress_of(job_id) != (0, 1):
        assert not running.done() and time.monotonic() - began < 60, runner.progress_of(job_id)
        await asyncio.sleep(0.01)
    assert await running and time.monotonic() - began >= pause
    done = (await client.get(started.headers["location"], headers=admin)).json()
    assert (done["state"], done["progress"]) == ("succeeded", {"done": 1, "total": 1})


async def test_without_the_preference_the_answer_is_still_201(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_event(client, admin)
    response = await client.post("/v1/claim-batches", json=BATCH, headers=admin)
    assert response.status_code == 201, response.text
    assert "location" not in response.headers or "/v1/jobs/" not in response.headers["location"]


async def test_a_job_with_nothing_to_bill_fails_with_the_409_problem(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    started = await client.post("/v1/claim-batches", json=BATCH, headers={**admin, **ASYNC})
    assert started.status_code == 202
    await _runner(app).run_next()
    job = (await client.get(started.headers["location"], headers=admin)).json()
    assert job["state"] == "failed" and job["result"] is None
    assert job["error"]["status"] == 409 and "nothing to bill" in job["error"]["detail"]
    assert await _batches(app) == 0


async def test_a_job_is_seen_only_within_the_batch_scope(app: FastAPI, client: AsyncClient) -> None:
    admin = await _world(app, client)
    await create_payer(client, admin, "OTHER", name="Other LME")
    await create_event(client, admin)
    started = await client.post("/v1/claim-batches", json=BATCH, headers={**admin, **ASYNC})
    location = started.headers["location"]
    for role, payer, provider in (
        ("finance", "OTHER", None),
        ("provider", None, "P-01"),
        ("integration", "VAYA", None),
    ):
        key = await create_key(app, role, payer_id=payer, provider_id=provider)
        assert (await client.get(location, headers=key)).status_code == 404, role
    own = await create_key(app, "finance", payer_id="VAYA")
    assert (await client.get(location, headers=own)).status_code == 200
    # A payer out of scope is refused when the job is asked for, not later.
    other = await create_key(app, "finance", payer_id="OTHER")
    refused = await client.post("/v1/claim-batches", json=BATCH, headers={**other, **ASYNC})
    assert refused.status_code == 404
    assert (await client.get("/v1/jobs/JNOSUCHJOB", headers=admin)).status_code == 404


async def test_a_dead_runners_job_is_taken_over_and_its_late_finish_is_refused(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_event(client, admin)
    started = await client.post("/v1/claim-batches", json=BATCH, headers={**admin, **ASYNC})
    job_id = started.json()["job_id"]
    async with app.state.sessionmaker() as session, session.begin():
        job = await session.get(Job, job_id)
        assert job is not None
        await repository.lease(session, job, "dead-runner", -1.0)  # a lease already lapsed
    assert await _runner(app).run_next()
    async with app.state.sessionmaker() as session, session.begin():
        late = await repository.finish(session, job_id, "dead-runner", result="/v1/x")
    assert not late  # the dead runner, back, may not overwrite the one that counts
    job_out = (await client.get(f"/v1/jobs/{job_id}", headers=admin)).json()
    assert job_out["state"] == "succeeded" and job_out["result"].startswith("/v1/claim-batches/")
    assert await _batches(app) == 1


async def test_a_job_that_keeps_killing_its_runner_fails_with_that_reason(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_event(client, admin)
    started = await client.post("/v1/claim-batches", json=BATCH, headers={**admin, **ASYNC})
    job_id = started.json()["job_id"]
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Job)
            .where(Job.job_id == job_id)
            .values(
                state="running",
                attempts=MAX_ATTEMPTS,
                lease_owner="dead",
                lease_until=utcnow() - timedelta(seconds=5),
            )
        )
    assert not await _runner(app).run_next()
    job = (await client.get(f"/v1/jobs/{job_id}", headers=admin)).json()
    assert job["state"] == "failed" and "stopped 3 times" in job["error"]["detail"]
    assert await _batches(app) == 0


async def _batches(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        count: int = (
            await session.execute(select(func.count()).select_from(ClaimBatch))
        ).scalar_one()
        return count

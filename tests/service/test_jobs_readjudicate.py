"""Authorization and fidelity-review writes answer once stored and name the job re-adjudicating
what they touch (docs/jobs.md, "Re-adjudication"); the job's outcome equals re-adjudicating
every member in the request, as the writes did before."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from service.models import ServiceEvent, UnitLine
from service.units.service import readjudicate
from service.units.touched import Touched
from tests.service.factories import create_event, create_key, fileable_world, put_ok
from tests.service.jobs_run import run_jobs

AUTH = {"member_id": "M-1001", "provider_id": "P-01", "payer_id": "VAYA", "procedure": "YP630",
        "start_date": "2026-03-03", "end_date": "2026-12-31", "units": 2}  # fmt: skip


async def _stored(app: FastAPI) -> list[tuple[Any, ...]]:
    line, event = UnitLine, ServiceEvent
    lines = select(line.member_id, line.service_date, line.units, line.held_units, line.status,
                   line.hold_reason, line.authorization_id, line.auth_units)  # fmt: skip
    events = select(event.event_id, event.status, event.billable_minutes)
    found: list[tuple[Any, ...]] = []
    async with app.state.sessionmaker() as session:
        for stmt in (lines.order_by(line.service_date), events.order_by(event.event_id)):
            found.extend(tuple(row) for row in (await session.execute(stmt)).all())
    return found


async def _fully_readjudicated(app: FastAPI) -> list[tuple[Any, ...]]:
    touched = Touched()
    touched.add_payer("VAYA", date(2000, 1, 1))
    async with app.state.sessionmaker() as session, session.begin():
        await readjudicate(session, touched, app.state.profiles)
    return await _stored(app)


async def _world(app: FastAPI, client: AsyncClient) -> dict[str, str]:
    admin = await fileable_world(app, client)
    for day in range(2, 6):
        await create_event(client, admin, f"E-{day}", service_date=f"2026-03-{day:02d}",
                           start_time="09:00", end_time="10:00")  # fmt: skip
    return admin


async def test_an_authorization_names_its_job_which_re_adjudicates_its_member(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    before = await _stored(app)
    stored = await put_ok(client, "/v1/authorizations/A-1", AUTH, admin)
    assert stored["job_id"] and stored["version"] == 1
    assert await _stored(app) == before  # answered once stored; the units follow in the job
    integration = await create_key(app, "integration", payer_id="VAYA")
    job = (await client.get(f"/v1/jobs/{stored['job_id']}", headers=integration)).json()
    assert job["kind"] == "readjudicate" and job["state"] == "queued"
    assert await run_jobs(app) == 1
    job = (await client.get(f"/v1/jobs/{stored['job_id']}", headers=integration)).json()
    assert job["state"] == "succeeded" and job["result"] == "/v1/authorizations/A-1"
    assert job["progress"] == {"done": 1, "total": 1}
    after = await _stored(app)
    assert after != before and any(row[6] == "A-1" for row in after)
    assert after == await _fully_readjudicated(app)
    other = await create_key(app, "integration", payer_id="OTHER")
    assert (await client.get(f"/v1/jobs/{stored['job_id']}", headers=other)).status_code == 404


async def test_no_job_when_no_event_falls_on_the_days_or_nothing_changed(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    later = {**AUTH, "start_date": "2026-06-01"}
    assert (await put_ok(client, "/v1/authorizations/A-9", later, admin))["job_id"] is None
    first = await put_ok(client, "/v1/authorizations/A-1", AUTH, admin)
    assert first["job_id"]
    assert (await put_ok(client, "/v1/authorizations/A-1", AUTH, admin))["job_id"] is None
    path = "/v1/providers/P-01/fidelity-reviews"
    review = {"score": 60, "final_report_date": "2026-09-01"}  # after every event
    answer = await client.post(path, json=review, headers=admin)
    assert answer.status_code == 201 and answer.json()["job_id"] is None


async def test_a_fidelity_review_job_re_adjudicates_its_providers_days_from_its_date(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    path = "/v1/providers/P-01/fidelity-reviews"
    review = {"score": 60, "final_report_date": "2026-03-04"}
    answer = await client.post(path, json=review, headers=admin)
    assert answer.status_code == 201 and answer.json()["job_id"]
    again = await client.post(path, json=review, headers=admin)
    assert again.status_code == 200 and again.json()["job_id"] is None  # the same review
    assert await run_jobs(app) == 1
    events = {row[0]: row[1] for row in await _stored(app) if str(row[0]).startswith("E-")}
    assert events == {"E-2": "billable", "E-3": "billable", "E-4": "excluded", "E-5": "excluded"}
    assert await _stored(app) == await _fully_readjudicated(app)

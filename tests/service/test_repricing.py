"""A fee-schedule change re-prices stored lines in a job, set-based, and re-adjudicates only
what a rate's presence or a claim depends on; the outcome equals a full re-adjudication."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from service.jobs.runner import Runner
from service.jobs.service import JobContext
from service.models import UnitLine
from service.units.service import readjudicate
from service.units.touched import Touched
from tests.service.factories import create_event, create_key, create_world, fileable_world

RATES = {"YP630": "6.50", "YP630:BC": "6.50"}


def _runner(app: FastAPI) -> Runner:
    return Runner(app.state.sessionmaker, JobContext(app.state.settings, app.state.profiles))


async def _lines(app: FastAPI) -> list[tuple[Any, ...]]:
    line = UnitLine
    columns = (line.member_id, line.service_date, line.procedure_key, line.units,
               line.held_units, line.status, line.hold_reason, line.rate, line.charge,
               line.claim_id, line.claimed_charge, line.event_ids)  # fmt: skip
    async with app.state.sessionmaker() as session:
        stmt = select(*columns).order_by(line.member_id, line.service_date, line.procedure_key)
        return [tuple(row) for row in (await session.execute(stmt)).all()]


async def _fully_readjudicated(app: FastAPI) -> list[tuple[Any, ...]]:
    """What the old path (every member of the payer through the engine) would have stored."""
    touched = Touched()
    touched.add_payer("VAYA", date(2000, 1, 1))
    async with app.state.sessionmaker() as session, session.begin():
        await readjudicate(session, touched, app.state.profiles)
    return await _lines(app)


async def _world(app: FastAPI, client: AsyncClient) -> dict[str, str]:
    admin = await fileable_world(app, client)
    await create_event(client, admin)
    await create_event(client, admin, "E-2", service_date="2026-03-03")
    await create_event(
        client, admin, "E-3", service_date="2026-03-04", activity="benefits_counseling"
    )
    return admin


async def _put(client: AsyncClient, headers: dict[str, str], rates: dict[str, str]) -> Any:
    body = {"rates": rates, "effective_from": "2025-01-01"}
    answer = await client.put("/v1/fee-schedules/VAYA", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_new_rate_is_priced_by_a_job_as_full_adjudication_would(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    before = await _lines(app)
    stored = await _put(client, admin, {"YP630": "7.25", "YP630:BC": "7.25"})
    assert stored["rates"]["YP630"] == "7.25" and stored["job_id"]
    assert await _lines(app) == before  # answered when stored; the prices follow in the job
    assert await _runner(app).run_next()
    job = (await client.get(f"/v1/jobs/{stored['job_id']}", headers=admin)).json()
    assert job["state"] == "succeeded" and job["result"] == "/v1/fee-schedules/VAYA"
    repriced = await _lines(app)
    billable = [row for row in repriced if row[5] == "billable"]
    assert billable and all(str(row[7]) == "7.25" for row in billable)
    assert all(row[8] == row[3] * row[7] for row in billable)  # units x rate, exact
    assert repriced == await _fully_readjudicated(app)


async def test_the_same_schedule_again_needs_no_job(app: FastAPI, client: AsyncClient) -> None:
    admin = await _world(app, client)
    assert (await _put(client, admin, RATES))["job_id"] is None


async def test_a_schedule_before_any_event_needs_no_job(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    assert (await _put(client, admin, {"YP630": "8.00", "YP630:BC": "8.00"}))["job_id"] is None


async def test_a_vanished_rate_and_a_claimed_line_are_re_adjudicated(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    batch = await client.post(
        "/v1/claim-batches", json={"payer_id": "VAYA", "through_date": "2026-03-02"}, headers=admin
    )
    assert batch.status_code == 201, batch.text
    stored = await _put(client, admin, {"YP630": "9.00"})  # YP630:BC has no rate now
    assert await _runner(app).run_next()
    lines = await _lines(app)
    assert any(row[6] == "missing_fee_schedule" for row in lines)
    claimed = [row for row in lines if row[9] is not None]
    assert claimed and all(row[8] != row[10] for row in claimed)  # the claim must be corrected
    assert lines == await _fully_readjudicated(app)
    job = (await client.get(f"/v1/jobs/{stored['job_id']}", headers=admin)).json()
    assert job["state"] == "succeeded"

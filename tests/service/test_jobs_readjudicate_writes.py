"""Payer, member and staff writes answer once stored and name the job re-adjudicating what they
touched (docs/jobs.md, "Re-adjudication"): the job re-does exactly those members - every other
member's events and lines stay as they were, row for row - and its outcome equals
re-adjudicating everyone."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from service.models import ServiceEvent, UnitLine
from service.reference import readjudication
from service.units.service import readjudicate
from service.units.touched import Touched
from tests.service.factories import (
    create_event,
    create_key,
    create_member,
    create_payer,
    create_staff,
    fileable_world,
    put_ok,
)
from tests.service.jobs_run import run_jobs

PAYERS = ("VAYA", "TRILLIUM")
# Each member and the staff member of its one event: S-07 serves a member of each payer.
EVENTS = {"M-1001": ("E-1", "S-07"), "M-1002": ("E-2", "S-08"), "M-2001": ("E-3", "S-07")}


async def _world(app: FastAPI, client: AsyncClient) -> dict[str, str]:
    admin = await fileable_world(app, client)
    await create_payer(client, admin, "TRILLIUM", name="Trillium", timely_filing_days=3650)
    await create_member(client, admin, "M-1002")
    await create_member(client, admin, "M-2001", payer_id="TRILLIUM")
    await create_staff(client, admin, staff_id="S-08")
    for day, (member_id, (event_id, staff_id)) in enumerate(sorted(EVENTS.items()), start=2):
        await create_event(client, admin, event_id, member_id=member_id, staff_id=staff_id,
                           service_date=f"2026-03-{day:02d}", end_time="10:00")  # fmt: skip
    return admin


async def _rows(app: FastAPI) -> dict[str, list[tuple[Any, ...]]]:
    """Each member's events and lines as stored, with what a rewrite changes (ids, times)."""
    events = select(ServiceEvent.member_id, ServiceEvent.event_id, ServiceEvent.adjudicated_at,
                    ServiceEvent.status, ServiceEvent.billable_minutes)  # fmt: skip
    lines = select(UnitLine.member_id, UnitLine.id, UnitLine.updated_at, UnitLine.units,
                   UnitLine.status, UnitLine.modifiers)  # fmt: skip
    found: dict[str, list[tuple[Any, ...]]] = {member_id: [] for member_id in EVENTS}
    async with app.state.sessionmaker() as session:
        for stmt in (events.order_by(ServiceEvent.event_id), lines.order_by(UnitLine.id)):
            for row in (await session.execute(stmt)).all():
                found[row[0]].append(tuple(row[1:]))
    return found


async def _outcome(app: FastAPI) -> list[tuple[Any, ...]]:
    """What billing sees: events' and lines' adjudication, without ids or times."""
    events = select(ServiceEvent.event_id, ServiceEvent.status, ServiceEvent.billable_minutes,
                    ServiceEvent.reasons)  # fmt: skip
    lines = select(UnitLine.member_id, UnitLine.service_date, UnitLine.procedure_key,
                   UnitLine.units, UnitLine.held_units, UnitLine.status, UnitLine.hold_reason,
                   UnitLine.charge)  # fmt: skip
    async with app.state.sessionmaker() as session:
        found = [tuple(r) for r in (await session.execute(events.order_by("event_id"))).all()]
        order = (UnitLine.member_id, UnitLine.service_date, UnitLine.procedure_key)
        found += [tuple(r) for r in (await session.execute(lines.order_by(*order))).all()]
    return found


async def _fully_readjudicated(app: FastAPI) -> list[tuple[Any, ...]]:
    touched = Touched()
    for payer_id in PAYERS:
        touched.add_payer(payer_id, date(2000, 1, 1))
    async with app.state.sessionmaker() as session, session.begin():
        await readjudicate(session, touched, app.state.profiles)
    return await _outcome(app)


async def _job_of(
    app: FastAPI, client: AsyncClient, answer: dict[str, Any], done: set[str], link: str
) -> dict[str, Any]:
    """Runs the answer's job, checks it re-did exactly ``done``; the job as admin sees it."""
    before = await _rows(app)
    assert answer["job_id"]
    assert await _rows(app) == before  # the answer came once stored; nothing re-done yet
    assert await run_jobs(app) == 1
    after = await _rows(app)
    for member_id in EVENTS:
        event_before, event_after = before[member_id][0], after[member_id][0]
        if member_id in done:  # re-adjudicated: its event written again
            assert event_after[1] > event_before[1], member_id
        else:  # untouched: the same events and the same line rows, ids and times
            assert after[member_id] == before[member_id], member_id
    admin = await create_key(app, "admin")
    job: dict[str, Any] = (await client.get(f"/v1/jobs/{answer['job_id']}", headers=admin)).json()
    assert job["kind"] == "readjudicate" and job["state"] == "succeeded"
    assert job["result"] == link and job["progress"] == {"done": len(done), "total": len(done)}
    return job


async def _watchers(app: FastAPI, client: AsyncClient, job_id: str) -> dict[str, int]:
    """Who of each payer's integration key may read the job (404: out of scope)."""
    seen = {}
    for payer_id in PAYERS:
        key = await create_key(app, "integration", payer_id=payer_id)
        seen[payer_id] = (await client.get(f"/v1/jobs/{job_id}", headers=key)).status_code
    return seen


async def test_a_staff_role_names_a_job_re_adjudicating_the_members_of_its_events(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    before = await _outcome(app)
    path = "/v1/providers/P-01/staff/S-07"
    answer = await put_ok(client, path, {"name": "Jordan Lee", "role": "PA"}, admin)
    assert answer["role"] == "PA" and answer["version"] == 2
    await _job_of(app, client, answer, {"M-1001", "M-2001"}, "/v1/providers/P-01/staff")
    after = await _outcome(app)
    assert after != before  # a peer assistant's minutes no longer bill
    assert after == await _fully_readjudicated(app)
    # Its members are of two payers: a shared record's job, as a fidelity review's.
    assert await _watchers(app, client, answer["job_id"]) == {"VAYA": 200, "TRILLIUM": 200}


async def test_a_staff_member_of_one_payers_members_names_a_job_of_that_payer(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    path = "/v1/providers/P-01/staff/S-08"
    answer = await put_ok(client, path, {"name": "Jordan Lee", "role": "BC"}, admin)
    await _job_of(app, client, answer, {"M-1002"}, "/v1/providers/P-01/staff")
    assert await _outcome(app) == await _fully_readjudicated(app)
    assert await _watchers(app, client, answer["job_id"]) == {"VAYA": 200, "TRILLIUM": 404}


async def test_a_member_change_names_a_job_re_adjudicating_that_member_alone(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    before = await _outcome(app)
    answer = await create_member(client, admin, "M-1002", diagnoses=[])
    assert answer["version"] == 2 and answer["diagnoses"] == []
    await _job_of(app, client, answer, {"M-1002"}, "/v1/members/M-1002")
    after = await _outcome(app)
    assert after != before  # no diagnosis: its minutes are held (missing_member_data)
    assert after == await _fully_readjudicated(app)
    assert await _watchers(app, client, answer["job_id"]) == {"VAYA": 200, "TRILLIUM": 404}


async def test_a_payer_change_names_a_job_re_adjudicating_its_members(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    answer = await create_payer(client, admin, "VAYA", timely_filing_days=30)
    assert answer["version"] == 3 and answer["timely_filing_days"] == 30
    # Its settings (profile, timely filing) reach every member's days: each is re-done.
    await _job_of(app, client, answer, {"M-1001", "M-1002"}, "/v1/payers/VAYA")
    assert await _outcome(app) == await _fully_readjudicated(app)
    assert await _watchers(app, client, answer["job_id"]) == {"VAYA": 200, "TRILLIUM": 404}


async def test_no_job_when_nothing_changed_was_created_or_no_event_falls_on_it(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    assert (await create_member(client, admin, "M-1003"))["job_id"] is None  # created
    assert (await create_member(client, admin, "M-1003", sex="M"))["job_id"] is None  # no event
    assert (await create_member(client, admin, "M-1001"))["job_id"] is None  # the same body
    assert (await create_staff(client, admin, staff_id="S-09"))["job_id"] is None
    assert (await create_staff(client, admin, staff_id="S-09", role="TL"))["job_id"] is None
    assert (await create_payer(client, admin, "ALLIANCE"))["job_id"] is None
    assert (await create_payer(client, admin, "ALLIANCE", name="Alliance"))["job_id"] is None
    assert (await create_payer(client, admin, "VAYA", timely_filing_days=3650))["job_id"] is None
    assert await run_jobs(app) == 0


def test_a_jobs_params_give_back_what_the_write_touched() -> None:
    touched = Touched()
    touched.add("M-2", date(2026, 3, 4))
    touched.add("M-2", date(2026, 3, 2))  # the earlier date wins
    touched.add_payer("VAYA", date(1900, 1, 1))
    touched.add_provider("P-01", date(2026, 5, 1))
    params = readjudication.params_of(touched)
    assert params == {"members": {"M-2": "2026-03-02"}, "payers": {"VAYA": "1900-01-01"},
                      "providers": {"P-01": "2026-05-01"}}  # fmt: skip
    assert readjudication.touched_of(params) == touched
    assert readjudication.params_of(Touched()) == {} and not Touched()
    # A fidelity review's job queued before providers were part of Touched is resumed as one.
    legacy = readjudication.touched_of({"provider_id": "P-01", "since": "2026-05-01"})
    assert legacy.providers == {"P-01": date(2026, 5, 1)} and not legacy.members

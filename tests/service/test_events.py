"""Service events through HTTP on a migrated database: upserts, batches, voids, re-adjudication."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select

from service.app import create_app
from service.config import Settings
from service.db import make_engine, make_sessionmaker
from service.models import RecordVersion, ServiceEvent
from tests.service.factories import (
    create_event,
    create_key,
    create_member,
    create_world,
    event_body,
    put_ok,
    scratch_database,
)
from tests.service.jobs_run import run_jobs


def codes(event: dict[str, Any]) -> dict[str, int]:
    return {r["code"]: r["minutes"] for r in event["adjudication"]["reasons"]}


async def _world(app: FastAPI, client: AsyncClient) -> dict[str, str]:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    return admin


async def test_put_answers_the_stored_event_with_its_adjudication(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    response = await client.put("/v1/service-events/E-1", json=event_body(), headers=admin)
    assert response.status_code == 201
    event = response.json()
    assert event["version"] == 1
    adjudication = event["adjudication"]
    # 50 minutes, midpoint rounding: 3 units (45 minutes), 5 minutes below the unit threshold.
    assert adjudication["minutes"] == 50 and adjudication["billable_minutes"] == 45
    assert adjudication["status"] == "partial"
    assert [(r["code"], r["minutes"]) for r in adjudication["reasons"]] == [
        ("below_unit_threshold", 5)
    ]
    again = await client.put("/v1/service-events/E-1", json=event_body(), headers=admin)
    assert again.status_code == 200 and again.json() == event


async def test_a_changed_body_is_a_correction_kept_with_its_history(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_event(client, admin)
    corrected = await create_event(client, admin, end_time="10:00")
    assert corrected["version"] == 2 and corrected["adjudication"]["billable_minutes"] == 60
    async with app.state.sessionmaker() as session:
        versions = await session.scalar(
            select(func.count())
            .select_from(RecordVersion)
            .where(RecordVersion.entity == "service_event", RecordVersion.record_id == "E-1")
        )
    assert versions == 2


async def test_end_before_start_and_unknown_references_are_422_and_store_nothing(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    backwards = await client.put(
        "/v1/service-events/E-9",
        headers=admin,
        json=event_body(start_time="10:00", end_time="09:00"),
    )
    assert backwards.status_code == 422
    unknown = await client.put(
        "/v1/service-events/E-9",
        headers=admin,
        json=event_body(member_id="M-NOPE", staff_id="S-NOPE"),
    )
    assert unknown.status_code == 422
    problem = unknown.json()
    assert "M-NOPE" in problem["detail"] and "S-NOPE" in problem["detail"]
    assert {tuple(e["loc"]) for e in problem["errors"]} == {("member_id",), ("staff_id",)}
    async with app.state.sessionmaker() as session:
        assert await session.get(ServiceEvent, "E-9") is None


async def test_batch_answers_each_event_in_order_and_stores_the_good_ones(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    events = [
        {"event_id": "B-1", **event_body()},
        {"event_id": "B-2", **event_body(member_id="M-NOPE")},
        {"event_id": "B-3", **event_body(start_time="11:00", end_time="11:30")},
        {"event_id": "B-4", **event_body(activity="not_an_activity")},
    ]
    response = await client.post("/v1/service-events:batch", json={"events": events}, headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert [r["event_id"] for r in body["results"]] == ["B-1", "B-2", "B-3", "B-4"]
    assert [r["result"] for r in body["results"]] == ["created", "rejected", "created", "rejected"]
    assert body["results"][1]["status"] == 422 and body["results"][3]["problem"]["errors"]
    again = (
        await client.post("/v1/service-events:batch", json={"events": events}, headers=admin)
    ).json()
    assert [r["result"] for r in again["results"]] == [
        "unchanged",
        "rejected",
        "unchanged",
        "rejected",
    ]


async def test_batch_answers_are_what_a_later_get_returns(
    app: FastAPI, client: AsyncClient
) -> None:
    """Created and updated events are answered from the values just written, not read back:
    each answer must equal the stored event, whatever the batch did to its neighbours."""
    admin = await _world(app, client)
    await create_event(client, admin, "K-0", start_time="08:00", end_time="08:40")
    events = [
        {"event_id": "K-1", **event_body(start_time="09:00", end_time="10:00")},
        # Overlaps K-1: both are re-adjudicated, K-1's answer must show the overlap rule.
        {"event_id": "K-2", **event_body(start_time="09:30", end_time="10:30")},
        {"event_id": "K-0", **event_body(start_time="08:00", end_time="08:45")},  # updated
        {"event_id": "K-3", **event_body(activity="benefits_counseling", note_id=None)},
        # twice in one batch: the later copy is rejected alone (docs/input.md)
        {"event_id": "K-1", **event_body(start_time="09:00", end_time="09:55")},
    ]
    first = await client.post("/v1/service-events:batch", json={"events": events}, headers=admin)
    await _answers_match_storage(client, admin, first.json())
    assert [r["result"] for r in first.json()["results"]] == [
        "created", "created", "updated", "created", "rejected"
    ]  # fmt: skip
    assert first.json()["results"][0]["event"]["version"] == 1  # the first copy is K-1
    again = await client.post(
        "/v1/service-events:batch", json={"events": events[:4]}, headers=admin
    )
    assert {r["result"] for r in again.json()["results"]} == {"unchanged"}
    await _answers_match_storage(client, admin, again.json())


async def _answers_match_storage(
    client: AsyncClient, headers: dict[str, str], answer: dict[str, Any]
) -> None:
    for result in answer["results"]:
        if result["result"] == "rejected":
            continue
        stored = await client.get(f"/v1/service-events/{result['event_id']}", headers=headers)
        assert result["event"] == stored.json(), result["event_id"]


async def test_concurrent_batches_writing_the_same_events_take_turns(postgres_url: str) -> None:
    """Four batches at once on PostgreSQL rewriting the same 30 events (two bodies, in turn,
    the second on another member): none fails, none is lost, and every event's versions are
    1..n with no gap or repeat. Without the lock on both members taken before the first read,
    two requests both wrote "version 2"."""
    url = await scratch_database(postgres_url, "ipsbill_concurrent_events")
    engine = make_engine(url)
    app = create_app(Settings(database_url=url), migrate_embedded=False)
    app.state.engine, app.state.sessionmaker = engine, make_sessionmaker(engine)
    bodies = [  # the second body also moves each event to another member
        [{"event_id": f"C-{i}", **event_body(end_time=end, member_id=member)} for i in range(30)]
        for end, member in (("09:50", "M-1001"), ("09:40", "M-2002"))
    ]
    try:
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            admin = await create_key(app, "admin")
            await create_world(client, admin)
            await create_member(client, admin, "M-2002")
            created = await client.post(
                "/v1/service-events:batch", json={"events": bodies[0]}, headers=admin
            )
            assert created.json()["created"] == 30
            answers = await _post_at_once(client, admin, [bodies[k % 2] for k in range(4)])
            assert [a.status_code for a in answers] == [200] * 4
            assert [a.json()["rejected"] for a in answers] == [0] * 4
            final = (await client.get("/v1/service-events/C-0", headers=admin)).json()
            # The same new id created at once for two members: one wins, the other is told to
            # retry (409, nothing stored), never a 500; retried, it is an ordinary update.
            fresh = [[{**e, "event_id": "D" + e["event_id"]} for e in body] for body in bodies]
            raced = await _post_at_once(client, admin, fresh)
            assert sorted(a.status_code for a in raced) in ([200, 200], [200, 409])
            for lost in (i for i, a in enumerate(raced) if a.status_code == 409):
                retried = await _post_at_once(client, admin, [fresh[lost]])
                assert retried[0].json()["updated"] == 30
        async with app.state.sessionmaker() as session:
            versions = (await session.execute(select(RecordVersion.version).where(
                RecordVersion.record_id == "C-0"))).scalars().all()  # fmt: skip
        assert sorted(versions) == list(range(1, final["version"] + 1))
        assert final["version"] == 1 + sum(a.json()["updated"] > 0 for a in answers)
    finally:
        await engine.dispose()


async def _post_at_once(
    client: AsyncClient, headers: dict[str, str], batches: list[list[dict[str, Any]]]
) -> list[Any]:
    return list(
        await asyncio.gather(
            *(
                client.post("/v1/service-events:batch", json={"events": b}, headers=headers)
                for b in batches
            )
        )
    )


async def test_batch_refuses_more_than_1000_events(app: FastAPI, client: AsyncClient) -> None:
    admin = await _world(app, client)
    events = [{"event_id": f"X-{i}", **event_body()} for i in range(1001)]
    response = await client.post("/v1/service-events:batch", json={"events": events}, headers=admin)
    assert response.status_code == 422


async def test_delete_voids_the_event_and_recomputes_units(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_event(client, admin)
    units = (await client.get("/v1/members/M-1001/units", headers=admin)).json()["items"]
    assert [(u["units"], u["status"]) for u in units] == [(3, "billable")]
    voided = (await client.delete("/v1/service-events/E-1", headers=admin)).json()
    assert voided["voided"] is True and voided["adjudication"]["status"] == "excluded"
    assert voided["adjudication"]["reasons"][0]["code"] == "voided"
    units = (await client.get("/v1/members/M-1001/units", headers=admin)).json()["items"]
    assert units == []


async def test_a_note_arriving_later_releases_the_held_line(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    held = await create_event(client, admin, note_id=None)
    assert held["adjudication"]["status"] == "held"
    assert codes(held) == {"below_unit_threshold": 5, "missing_service_note": 45}
    units = (await client.get("/v1/members/M-1001/units", headers=admin)).json()["items"]
    assert units[0]["status"] == "held" and units[0]["hold_reason"] == "missing_service_note"
    released = await create_event(client, admin, note_id="N-LATE")
    assert released["adjudication"]["status"] == "partial"
    units = (await client.get("/v1/members/M-1001/units", headers=admin)).json()["items"]
    assert units[0]["status"] == "billable" and units[0]["charge"] == "19.50"


async def test_a_diagnosis_arriving_later_releases_held_lines(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_member(client, admin, diagnoses=[])
    held = await create_event(client, admin)
    assert codes(held)["missing_member_data"] == 45
    assert (await create_member(client, admin, diagnoses=["F33.1"]))["job_id"]
    event = (await client.get("/v1/service-events/E-1", headers=admin)).json()
    assert event["adjudication"]["billable_minutes"] == 0  # until the member's job has run
    assert await run_jobs(app) == 1
    event = (await client.get("/v1/service-events/E-1", headers=admin)).json()
    assert event["adjudication"]["billable_minutes"] == 45


async def test_an_authorization_arriving_after_held_units_releases_them(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    # 17 days of 4 units = 68 units: the first 64 need no authorization, 4 wait for one.
    events = [
        {
            "event_id": f"D-{d}",
            **event_body(service_date=f"2026-03-{d:02d}", start_time="09:00", end_time="10:00"),
        }
        for d in range(1, 18)
    ]
    await client.post("/v1/service-events:batch", json={"events": events}, headers=admin)
    last = (await client.get("/v1/service-events/D-17", headers=admin)).json()
    assert last["adjudication"]["status"] == "held"
    assert codes(last) == {"no_authorization": 60}
    await put_ok(
        client,
        "/v1/authorizations/A-1",
        {
            "member_id": "M-1001",
            "provider_id": "P-01",
            "payer_id": "VAYA",
            "procedure": "YP630",
            "start_date": "2026-03-17",
            "end_date": "2026-12-31",
            "units": 100,
        },
        admin,
    )
    assert await run_jobs(app) == 1  # the authorization's member-days, from its start
    last = (await client.get("/v1/service-events/D-17", headers=admin)).json()
    assert last["adjudication"]["status"] == "billable"


async def test_a_fidelity_review_below_74_excludes_services_from_its_date(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_event(client, admin, "E-before", service_date="2026-03-02")
    await create_event(client, admin, "E-after", service_date="2026-04-02")
    review = await client.post(
        "/v1/providers/P-01/fidelity-reviews",
        headers=admin,
        json={"score": 70, "final_report_date": "2026-03-15"},
    )
    assert review.status_code == 201 and review.json()["job_id"]
    assert await run_jobs(app) == 1  # the provider's days from the review's date
    before = (await client.get("/v1/service-events/E-before", headers=admin)).json()
    after = (await client.get("/v1/service-events/E-after", headers=admin)).json()
    assert before["adjudication"]["billable_minutes"] == 45
    assert codes(after) == {"fidelity_below_minimum": 50}
    repeat = await client.post(
        "/v1/providers/P-01/fidelity-reviews",
        headers=admin,
        json={"score": 70, "final_report_date": "2026-03-15"},
    )
    assert repeat.status_code == 200 and repeat.json()["review_id"] == review.json()["review_id"]


async def test_list_filters_and_scopes(app: FastAPI, client: AsyncClient) -> None:
    admin = await _world(app, client)
    await create_event(client, admin, "E-1")
    await create_event(client, admin, "E-2", service_date="2026-04-01")
    listed = (await client.get("/v1/service-events?from=2026-04-01", headers=admin)).json()
    assert [e["event_id"] for e in listed["items"]] == ["E-2"]
    other = await create_key(app, "provider", provider_id="P-OTHER")
    assert (await client.get("/v1/service-events", headers=other)).json()["items"] == []
    assert (await client.get("/v1/service-events/E-1", headers=other)).status_code == 404
    mine = await create_key(app, "provider", provider_id="P-01")
    assert len((await client.get("/v1/service-events", headers=mine)).json()["items"]) == 2
    assert (
        await client.put("/v1/service-events/E-3", json=event_body(), headers=mine)
    ).status_code == 403


BAD_BODIES: list[Any] = [
    None,
    [],
    "text",
    3,
    {},
    {"member_id": 5},
    {"service_date": "2026-02-30"},
    {**event_body(), "start_time": "25:00"},
    {**event_body(), "extra": 1},
    {**event_body(), "place_of_service": "9"},
    {**event_body(), "member_id": "x" * 200},
    {**event_body(), "note_id": ""},
    {**event_body(), "contact": None},
]


async def test_bad_input_is_a_problem_never_a_500(app: FastAPI, client: AsyncClient) -> None:
    admin = await _world(app, client)
    for body in BAD_BODIES:
        response = await client.put("/v1/service-events/E-bad", json=body, headers=admin)
        assert response.status_code in (400, 422), (body, response.status_code)
        assert response.headers["content-type"].startswith("application/problem+json")
    raw = await client.put(
        "/v1/service-events/E-bad",
        content=b"{not json",
        headers={**admin, "Content-Type": "application/json"},
    )
    assert raw.status_code in (400, 422)
    bad_id = await client.put("/v1/service-events/" + "x" * 65, json=event_body(), headers=admin)
    assert bad_id.status_code == 422
    batch = await client.post(
        "/v1/service-events:batch", json={"events": [None, 1, "x"]}, headers=admin
    )
    assert batch.status_code == 200
    assert all(r["result"] == "rejected" for r in batch.json()["results"])


async def test_kept_unit_totals_always_equal_the_sum_over_the_lines(
    app: FastAPI, client: AsyncClient
) -> None:
    """unit_counters must equal SUM(auth_units) of unit_lines, whatever order things arrive."""
    from sqlalchemy import func as sql_func

    from service.models import UnitCounter, UnitLine

    admin = await _world(app, client)
    days = [14, 3, 9, 1, 20, 7, 17, 5, 11, 2, 19, 8, 16, 4, 12, 6, 18, 10, 15, 13]
    for chunk in (days[:7], days[7:14], days[14:]):  # later days first, then earlier ones
        events = [
            {
                "event_id": f"D-{d}",
                **event_body(service_date=f"2026-03-{d:02d}", start_time="09:00", end_time="10:00"),
            }
            for d in chunk
        ]
        await client.post("/v1/service-events:batch", json={"events": events}, headers=admin)
    await create_event(client, admin, "D-9", service_date="2026-03-09", end_time="11:00")
    await client.delete("/v1/service-events/D-3", headers=admin)
    await put_ok(
        client,
        "/v1/authorizations/A-9",
        {
            "member_id": "M-1001",
            "provider_id": "P-01",
            "payer_id": "VAYA",
            "procedure": "YP630",
            "start_date": "2026-03-15",
            "end_date": "2026-12-31",
            "units": 10,
        },
        admin,
    )
    await run_jobs(app)
    async with app.state.sessionmaker() as session:
        kept = {
            (r.provider_id, r.authorization_id): r.units
            for r in (await session.execute(select(UnitCounter))).scalars()
            if r.units
        }
        summed = {
            (p, a or ""): int(u)
            for p, a, u in (
                await session.execute(
                    select(
                        UnitLine.provider_id,
                        UnitLine.authorization_id,
                        sql_func.sum(UnitLine.auth_units),
                    ).group_by(UnitLine.provider_id, UnitLine.authorization_id)
                )
            ).all()
            if u
        }
    # Before 03-15: 12 days x 4 units + D-9 at 8 (D-3 voided) = 56, all within the first 64;
    # from 03-15 authorization A-9 grants 10 and the rest is held (authorization_exhausted).
    assert kept == summed == {("P-01", ""): 56, ("P-01", "A-9"): 10}

"""A claim batch beside event writes: every claimed line stays as claimed or is held, and a
claim that cannot be written is left out and named while the rest is billed."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select, update

from service.app import create_app
from service.config import Settings
from service.db import make_engine, make_sessionmaker
from service.models import UnitLine
from tests.service.factories import (
    create_event,
    create_fee_schedule,
    create_key,
    create_member,
    create_payer,
    create_provider,
    create_staff,
    fileable_world,
    scratch_database,
)

BATCH = {"payer_id": "VAYA", "through_date": "2026-03-31"}
ROUNDS = 12
MEMBERS = 4
DAYS = 3


def _broken(line: UnitLine) -> bool:
    """A claimed line that is neither as claimed nor held for the payer's claim number: the
    next batch would plan a replacement it cannot write."""
    if line.claim_id is None:
        return line.status == "claimed"
    as_claimed = line.units == line.claimed_units and line.charge == line.claimed_charge
    held = line.status == "held" and line.hold_reason == "awaiting_payer_claim_number"
    return not ((as_claimed and line.status == "claimed") or held)


async def test_a_claim_batch_beside_event_writes_loses_no_update(postgres_url: str) -> None:
    """PostgreSQL only: SQLite has one writer at a time, so there the race cannot happen."""
    url = await scratch_database(postgres_url, "ipsbill_claim_race")
    engine = make_engine(url)
    app = create_app(Settings(database_url=url), migrate_embedded=False)
    app.state.engine, app.state.sessionmaker = engine, make_sessionmaker(engine)
    tag = uuid.uuid4().hex[:6].upper()
    payer, provider = f"PY{tag}", f"PR{tag}"
    members = [f"MB{tag}{i}" for i in range(MEMBERS)]
    try:
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            admin = await create_key(app, "admin")
            await create_payer(client, admin, payer, timely_filing_days=3650)
            await create_fee_schedule(client, admin, payer)
            await create_provider(client, admin, provider)
            await create_staff(client, admin, provider)
            for member in members:
                await create_member(client, admin, member, payer_id=payer)

            def put(member: str, day: int, end: str) -> object:
                event_id = f"EV{member}-{day}"
                body = {"member_id": member, "provider_id": provider, "end_time": end,
                        "service_date": f"2026-03-{day:02d}"}  # fmt: skip
                return create_event(client, admin, event_id, **body)

            for member in members:
                for day in range(1, DAYS + 1):
                    await put(member, day, "09:30")
            claimed_rounds = 0
            for round_ in range(ROUNDS):
                end = f"{10 + round_ % 3}:{15 * (round_ % 4):02d}"  # units move every round
                writes = [put(m, d, end) for m in members for d in range(1, DAYS + 1)]
                batch = client.post("/v1/claim-batches", json={"payer_id": payer}, headers=admin)
                answers = await asyncio.gather(batch, *writes)
                assert answers[0].status_code in (201, 409), answers[0].text
                claimed_rounds += answers[0].status_code == 201
                async with app.state.sessionmaker() as session:
                    lines = (
                        await session.execute(select(UnitLine).where(UnitLine.payer_id == payer))
                    ).scalars()
                    broken = [(ln.member_id, ln.service_date, ln.status) for ln in lines
                              if _broken(ln)]  # fmt: skip
                assert broken == [], f"round {round_}: {broken}"
            assert claimed_rounds >= 1  # the race was run: a batch claimed lines meanwhile
    finally:
        await engine.dispose()


async def test_a_claim_waiting_for_its_payer_number_does_not_stop_billing(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await fileable_world(app, client)
    await create_member(client, admin, "M-1002")
    await create_event(client, admin)
    first = await client.post("/v1/claim-batches", json=BATCH, headers=admin)
    assert first.status_code == 201, first.text
    [claim] = (await client.get("/v1/claims", headers=admin)).json()["items"]
    # A claimed line whose units changed with no hold and no payer claim number yet: what the
    # lost update of issue 19 left behind. Its replacement cannot be written (no REF*F8).
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(UnitLine)
            .where(UnitLine.member_id == "M-1001")
            .values(units=5, status="billable", hold_reason=None)
        )
    await create_event(client, admin, "E-2", member_id="M-1002")
    second = await client.post("/v1/claim-batches", json=BATCH, headers=admin)
    assert second.status_code == 201, second.text
    body = second.json()
    assert (body["claim_count"], body["replacement_count"]) == (1, 0)
    [left_out] = body["left_out"]
    assert left_out["reason"] == "awaiting_payer_claim_number"
    assert (left_out["member_id"], left_out["claim_id"]) == ("M-1001", claim["claim_id"])
    stored = await client.get(f"/v1/claim-batches/{body['batch_id']}", headers=admin)
    assert stored.json()["left_out"] == body["left_out"]
    await create_event(client, admin, "E-3", member_id="M-1002", service_date="2026-03-03")
    third = await client.post("/v1/claim-batches", json=BATCH, headers=admin)
    assert third.status_code == 201 and third.json()["claim_count"] == 1
    assert third.json()["left_out"] == body["left_out"]
    units = (await client.get("/v1/members/M-1002/units", headers=admin)).json()["items"]
    assert {u["status"] for u in units} == {"claimed"}

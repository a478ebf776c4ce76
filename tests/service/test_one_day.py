"""A single event re-adjudicates its own day only: the result equals a full re-adjudication."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from service.models import ServiceEvent, UnitCounter, UnitLine
from service.units.service import readjudicate
from service.units.touched import Touched
from tests.service.factories import create_event, create_key, create_world, put_ok


async def _stored(app: FastAPI) -> dict[str, Any]:
    async with app.state.sessionmaker() as session:
        lines = (await session.execute(select(UnitLine))).scalars()
        events = (await session.execute(select(ServiceEvent))).scalars()
        counters = (await session.execute(select(UnitCounter))).scalars()
        return {
            "lines": sorted(
                (ln.provider_id, ln.service_date, ln.procedure_key, ln.units, ln.status,
                 ln.hold_reason, ln.charge, ln.auth_units, ln.authorization_id)
                for ln in lines
            ),
            "events": sorted(
                (e.event_id, e.status, e.minutes, e.billable_minutes, str(e.reasons))
                for e in events
            ),
            "counters": sorted((c.provider_id, c.authorization_id, c.units) for c in counters
                               if c.units),
        }  # fmt: skip


async def test_one_day_writes_equal_a_full_readjudication(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    # A small authorization: units counted on earlier days decide what later days may bill.
    auth = {"member_id": "M-1001", "provider_id": "P-01", "payer_id": "VAYA",
            "procedure": "YP630", "start_date": "2026-03-01", "end_date": "2026-12-31",
            "units": 30}  # fmt: skip
    await put_ok(client, "/v1/authorizations/A-1", auth, admin)
    for day in range(1, 11):  # 4 units a day: the 30 run out on day 8
        await create_event(client, admin, f"E-{day}", service_date=f"2026-03-{day:02d}",
                           start_time="09:00", end_time="10:00")  # fmt: skip
    rng = random.Random(19)
    for step in range(30):  # each a change of one day, which moves what later days may bill
        day = rng.randrange(1, 11)
        end = rng.choice(["09:10", "09:30", "10:00", "11:00", "12:30"])
        await create_event(client, admin, f"E-{day}", service_date=f"2026-03-{day:02d}",
                           start_time="09:00", end_time=end)  # fmt: skip
        if step % 10 == 9:
            await client.delete(f"/v1/service-events/E-{rng.randrange(1, 11)}", headers=admin)
    incremental = await _stored(app)
    async with app.state.sessionmaker() as session, session.begin():
        everything = Touched()
        everything.add("M-1001", date(2000, 1, 1))
        await readjudicate(session, everything, app.state.profiles)
    assert await _stored(app) == incremental
    assert any(line[4] == "held" for line in incremental["lines"])  # the authorization ran out

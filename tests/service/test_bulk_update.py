"""``service.dbkit.bulk_update_by_id`` with stamps: a row whose columns already hold the new
values is not written (its stamp stays); one differing column, JSON included, writes it. On both
databases, since each has its own statement (docs/units.md, "What a re-adjudication writes")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select, text

from service import dbkit
from service.models import ServiceEvent
from tests.service.factories import create_event, create_key, create_world

LATER = datetime(2030, 1, 1, tzinfo=UTC)
COLUMNS = ("status", "minutes", "billable_minutes", "procedure", "modifiers", "reasons")


async def _stored(app: FastAPI) -> dict[str, Any]:
    async with app.state.sessionmaker() as session:
        row = (await session.execute(select(ServiceEvent))).scalar_one()
        return {"event_id": row.event_id, "adjudicated_at": row.adjudicated_at,
                **{name: getattr(row, name) for name in COLUMNS}}  # fmt: skip


async def _one_event(app: FastAPI, client: AsyncClient) -> dict[str, Any]:
    """One stored, adjudicated event: the row the tests update."""
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    await create_event(client, admin, "E-1", end_time="10:00")
    return await _stored(app)


async def _update(app: FastAPI, values: dict[str, Any]) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await dbkit.bulk_update_by_id(session, ServiceEvent, [values], stamps=("adjudicated_at",))


async def test_a_row_that_would_not_change_keeps_its_stamp(
    app: FastAPI, client: AsyncClient
) -> None:
    stored = await _one_event(app, client)
    await _update(app, {**stored, "adjudicated_at": LATER})
    assert await _stored(app) == stored
    # The same JSON value written by another encoder (json.dumps spaces it) is the same.
    async with app.state.sessionmaker() as session, session.begin():
        reasons = '[{"code": "x", "minutes": 0, "detail": ""}]'
        await session.execute(text("UPDATE service_events SET reasons = :r"), {"r": reasons})
    spaced = await _stored(app)
    compact = [{"code": "x", "minutes": 0, "detail": ""}]
    await _update(app, {**spaced, "reasons": compact, "adjudicated_at": LATER})
    assert (await _stored(app))["adjudicated_at"] == stored["adjudicated_at"]


async def test_one_changed_column_writes_the_row_and_its_stamp(
    app: FastAPI, client: AsyncClient
) -> None:
    stored = await _one_event(app, client)
    for change in ({"minutes": stored["minutes"] + 1}, {"reasons": [{"code": "y"}]},
                   {"modifiers": ["BC"]}):  # fmt: skip
        await _update(app, {**stored, **change, "adjudicated_at": LATER})
        after = await _stored(app)
        assert after == {**stored, **change, "adjudicated_at": LATER}, change
        await _update(app, stored)  # back, stamp included (no stamps: always written)

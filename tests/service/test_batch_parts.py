"""A batch is written a part of its members at a time, each part its own transaction
(service.events.service.upsert_in_parts; docs/load.md): every event is stored once, results come
back in the batch's order, and a member's events, moved ones included, stay whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from service.models import ServiceEvent, UnitLine
from tests.service.factories import (
    create_event,
    create_key,
    create_member,
    create_world,
    event_body,
)


async def _stored(app: FastAPI) -> tuple[dict[str, str], int]:
    async with app.state.sessionmaker() as session:
        events = dict(
            (await session.execute(select(ServiceEvent.event_id, ServiceEvent.member_id))).all()
        )
        lines = (await session.execute(select(func.sum(UnitLine.units)))).scalar_one()
        return events, int(lines or 0)


@contextmanager
def _commits() -> Iterator[list[int]]:
    """Commits of any session while the block runs (the test's own transaction only ends
    savepoints: each part's commit is one)."""
    seen = [0]

    def count(_session: Session) -> None:
        seen[0] += 1

    event.listen(Session, "after_commit", count)
    try:
        yield seen
    finally:
        event.remove(Session, "after_commit", count)


async def test_a_batch_over_several_parts_stores_each_event_once_in_order(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.settings, "batch_part_members", 2)  # 5 members: three parts
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    members = ["M-1001", *(f"M-200{n}" for n in range(4))]
    for member_id in members[1:]:
        await create_member(client, admin, member_id)
    await create_event(client, admin, "E-moved", member_id="M-2003")  # moves to M-1001 below
    items: list[dict[str, Any]] = []
    for day in (2, 3):  # each member's events spread over the batch, not next to each other
        for member_id in reversed(members):
            when = f"2026-03-{day:02d}"
            items.append({"event_id": f"E-{member_id}-{day}",
                          **event_body(member_id=member_id, service_date=when)})  # fmt: skip
    items.append({"event_id": "E-moved", **event_body(member_id="M-1001")})
    items.append({"event_id": "E-bad", **event_body(member_id="M-9999")})
    with _commits() as in_parts:
        answer = await client.post(
            "/v1/service-events:batch", json={"events": items}, headers=admin
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["event_id"] for r in body["results"]] == [i["event_id"] for i in items]
    assert [r["result"] for r in body["results"]] == ["created"] * 10 + ["updated", "rejected"]
    assert (body["created"], body["updated"], body["rejected"]) == (10, 1, 1)
    events, units = await _stored(app)
    assert events == {**{i["event_id"]: i["member_id"] for i in items[:-1]}}
    # 50 minutes are 3 units a member-day; E-moved, now M-1001's, overlaps that member's event of
    # the same morning: its minutes are not billed twice
    assert units == 10 * 3
    # The same batch's shape in one part: three parts of two members are two commits more.
    monkeypatch.setattr(app.state.settings, "batch_part_members", 100)
    again = [{**item, "event_id": item["event_id"] + "-again"} for item in items[:10]]
    with _commits() as whole:
        answer = await client.post(
            "/v1/service-events:batch", json={"events": again}, headers=admin
        )
    assert answer.status_code == 200, answer.text
    assert in_parts[0] - whole[0] == 2, (in_parts, whole)

"""A single event re-adjudicates its own day only, a batch the window of days it touched: the
result equals a full re-adjudication."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event, select

from service.models import ServiceEvent, UnitCounter, UnitLine
from service.units.service import readjudicate
from service.units.touched import Touched
from service.units.windows import OPEN
from tests.service.factories import (
    create_event,
    create_key,
    create_member,
    create_staff,
    create_world,
    event_body,
    put_ok,
)


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


async def _equals_a_full_readjudication(
    app: FastAPI, members: tuple[str, ...] = ("M-1001",)
) -> dict[str, Any]:
    """What the one-day path stored, checked against re-adjudicating the members from
    scratch."""
    incremental = await _stored(app)
    async with app.state.sessionmaker() as session, session.begin():
        everything = Touched()
        for member_id in members:
            everything.add(member_id, date(2000, 1, 1))
        await readjudicate(session, everything, app.state.profiles)
    assert await _stored(app) == incremental
    return incremental


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
    incremental = await _equals_a_full_readjudication(app)
    assert any(line[4] == "held" for line in incremental["lines"])  # the authorization ran out


async def test_one_day_around_the_first_64_units_equals_a_full_readjudication(
    app: FastAPI, client: AsyncClient
) -> None:
    """No authorization: the first 64 units of the provider bill without one, the rest wait.
    A new event on an early day adds units; only while the provider's total stays under 64 are
    the later days left unread (service.units.service._reach); once it reaches it, the days
    up to the one where the allowance runs out both before and after the change
    (claims.units.reach)."""
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    for day in range(1, 21):  # 4 units a day: 64 reached on day 16, days 17-20 held
        await create_event(client, admin, f"E-{day}", service_date=f"2026-03-{day:02d}",
                           start_time="09:00", end_time="10:00")  # fmt: skip
    rng = random.Random(64)
    for step in range(30):
        day = rng.randrange(1, 21)
        if step % 3 == 0:  # a second event of the day: new units
            end = rng.choice(["13:30", "14:00"])
            await create_event(client, admin, f"F-{step}", service_date=f"2026-03-{day:02d}",
                               start_time="13:00", end_time=end)  # fmt: skip
        else:
            end = rng.choice(["09:10", "09:30", "10:00", "11:00"])
            await create_event(client, admin, f"E-{day}", service_date=f"2026-03-{day:02d}",
                               start_time="09:00", end_time=end)  # fmt: skip
    incremental = await _equals_a_full_readjudication(app)
    assert any(line[5] == "no_authorization" for line in incremental["lines"])


async def test_a_new_day_under_64_units_leaves_later_days_unread(
    app: FastAPI, client: AsyncClient
) -> None:
    """Far under the allowance, a new event on an early day is written alone: the later days
    are not read (no statement reads events or lines from a date onward) and keep their rows.
    (A re-adjudication that reaches the stored verdict writes nothing either, so unchanged rows
    alone could not tell the two paths apart: the statements can.)"""
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    for day in (10, 11, 12):
        await create_event(client, admin, f"E-{day}", service_date=f"2026-03-{day:02d}",
                           start_time="09:00", end_time="10:00")  # fmt: skip

    async def times() -> dict[str, Any]:
        async with app.state.sessionmaker() as session:
            rows = (await session.execute(select(ServiceEvent))).scalars()
            return {e.event_id: e.adjudicated_at for e in rows}

    before = await times()
    with _statements(app) as seen:
        await create_event(client, admin, "E-1", service_date="2026-03-01",
                           start_time="09:00", end_time="10:00")  # fmt: skip
    after = await times()
    assert {k: after[k] for k in before} == before
    reads = [s for s in seen if s.startswith("SELECT") and "service_date" in s]
    assert reads and all(" >= " not in s for s in reads), reads
    # Past the 64 units allowed without authorization, a change on an early day moves what
    # the later days may bill, up to the day the allowance runs out (day 21, before and
    # after): it reads its day through that one (a window), not the days after (day 25).
    for day, end in ((20, "17:00"), (21, "17:00"), (25, "10:00")):
        await create_event(client, admin, f"E-{day}", service_date=f"2026-03-{day:02d}",
                           start_time="09:00", end_time=end)  # fmt: skip
    with _statements(app) as seen:
        await create_event(client, admin, "E-1", service_date="2026-03-01",
                           start_time="09:00", end_time="12:00")  # fmt: skip
    reads = [s for s in seen if s.startswith("SELECT") and "service_date" in s]
    assert any(" BETWEEN " in s for s in reads), reads
    assert all(" >= " not in s for s in reads), reads
    await _equals_a_full_readjudication(app)


@contextmanager
def _statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL the app's engine sends while the block runs; a read of members' date windows as
    arrays (PostgreSQL, ``service/units/windows.py``) with its windows written out as the
    general reads write them (``= date``, ``BETWEEN``, ``>=``), so one assertion reads both."""
    seen: list[str] = []

    def note(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, *_: Any
    ) -> None:
        text = " ".join(statement.split())
        if "AS w(member_id, first, last)" in text:  # the windows' dates, by parameter name
            named = dict(zip(context.compiled.positiontup, parameters, strict=True))
            firsts, lasts = named["w_first"], named["w_last"]
            windows = "".join(_window(f, last) for f, last in zip(firsts, lasts, strict=True))
            text = "SELECT the windows' service_date:" + windows
        seen.append(text)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _window(first: Any, last: Any) -> str:
    if last == OPEN:
        return f" service_date >= {first}"
    return f" service_date = {first}" if last == first else f" BETWEEN {first} AND {last}"


async def test_one_day_with_lines_drawn_from_two_authorizations_equals_a_full_readjudication(
    app: FastAPI, client: AsyncClient
) -> None:
    """A line that uses up one authorization and draws the rest from the next one
    (docs/units.md, authorization draws) counts on both: the totals kept for the days after a
    changed day are split the same way, or the day would see the wrong units left."""
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    for auth_id, units in (("A-1", 10), ("A-2", 18)):
        auth = {"member_id": "M-1001", "provider_id": "P-01", "payer_id": "VAYA",
                "procedure": "YP630", "start_date": "2026-03-01", "end_date": "2026-12-31",
                "units": units}  # fmt: skip
        await put_ok(client, f"/v1/authorizations/{auth_id}", auth, admin)
    for day in range(1, 11):  # 4 units a day: A-1 runs out within day 3, A-2 within day 8
        await create_event(client, admin, f"E-{day}", service_date=f"2026-03-{day:02d}",
                           start_time="09:00", end_time="10:00")  # fmt: skip
    async with app.state.sessionmaker() as session:
        draws = (await session.execute(select(UnitLine.authorization_draws))).scalars()
        assert [["A-1", 2], ["A-2", 2]] in [list(map(list, d or [])) for d in draws]
    rng = random.Random(2)
    for _ in range(30):
        day = rng.randrange(1, 11)
        end = rng.choice(["09:10", "09:30", "10:00", "10:15", "11:00"])
        await create_event(client, admin, f"E-{day}", service_date=f"2026-03-{day:02d}",
                           start_time="09:00", end_time=end)  # fmt: skip
    incremental = await _equals_a_full_readjudication(app)
    assert {line[8] for line in incremental["lines"]} >= {"A-1", "A-2"}


async def test_corrections_moving_events_between_days_members_and_staff_equal_a_full_run(
    app: FastAPI, client: AsyncClient
) -> None:
    """A correction's new values are adjudicated before they are stored and written with its
    adjudication in one UPDATE (readjudicate's ``changed_events``): an event moved to another
    day, another member or another staff member leaves both places as a full re-adjudication
    would, and reads back as it was answered."""
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    await create_member(client, admin, "M-1002")
    await create_staff(client, admin, staff_id="S-08")
    for member_id in ("M-1001", "M-1002"):  # small: what earlier days count moves later ones
        auth = {"member_id": member_id, "provider_id": "P-01", "payer_id": "VAYA",
                "procedure": "YP630", "start_date": "2026-03-01", "end_date": "2026-12-31",
                "units": 20}  # fmt: skip
        await put_ok(client, f"/v1/authorizations/A-{member_id}", auth, admin)
    for n in range(1, 9):  # 8 units each; E-n at its own hours, so that none overlaps another
        hours = {"start_time": f"{2 * n + 4:02d}:00", "end_time": f"{2 * n + 6:02d}:00"}
        await create_event(client, admin, f"E-{n}", service_date=f"2026-03-{n:02d}", **hours)
    rng = random.Random(2)
    members = set()
    for _ in range(24):
        n = rng.randrange(1, 9)
        moved = {
            "member_id": rng.choice(["M-1001", "M-1002"]),
            "staff_id": rng.choice(["S-07", "S-08"]),
            "service_date": f"2026-03-{rng.randrange(1, 9):02d}",
            "end_time": f"{2 * n + rng.choice([5, 6]):02d}:00",
        }
        members.add(moved["member_id"])
        event_id = f"E-{n}"
        answer = await create_event(
            client, admin, event_id, start_time=f"{2 * n + 4:02d}:00", **moved
        )
        assert {k: answer[k] for k in moved} == moved
        got = await client.get(f"/v1/service-events/{event_id}", headers=admin)
        assert got.json() == answer
    assert members == {"M-1001", "M-1002"}
    incremental = await _stored(app)
    async with app.state.sessionmaker() as session, session.begin():
        everything = Touched()
        for member_id in members:
            everything.add(member_id, date(2000, 1, 1))
        await readjudicate(session, everything, app.state.profiles)
    assert await _stored(app) == incremental
    assert any(line[4] == "held" for line in incremental["lines"])  # an authorization ran out


async def test_a_batch_touching_several_days_reads_their_window_and_equals_a_full_run(
    app: FastAPI, client: AsyncClient
) -> None:
    """A batch that changes a member's events on several days re-adjudicates the days from
    the first through the last touched (Touched.window) with the kept totals around them, and
    the later days only as far as the change can reach: what is stored equals a full
    re-adjudication, with an authorization running out (M-1002) or units billed without one
    under the first 64 (M-1001); for the latter the days after the window are not read (no
    ``>=`` from a date on)."""
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    await create_member(client, admin, "M-1002")
    auth = {"member_id": "M-1002", "provider_id": "P-01", "payer_id": "VAYA",
            "procedure": "YP630", "start_date": "2026-03-01", "end_date": "2026-12-31",
            "units": 40}  # fmt: skip
    await put_ok(client, "/v1/authorizations/A-2", auth, admin)
    rng = random.Random(7)

    def events(member_id: str, ends: list[str]) -> list[dict[str, Any]]:
        return [
            {"event_id": f"{member_id}-{day}", **event_body(
                member_id=member_id, service_date=f"2026-03-{day:02d}", end_time=rng.choice(ends))}
            for day in rng.sample(range(1, 25), 3)
        ]  # fmt: skip

    async def post(batch: list[dict[str, Any]]) -> None:
        answer = await client.post("/v1/service-events:batch", json={"events": batch},
                                   headers=admin)  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert all(r["status"] in (200, 201) for r in answer.json()["results"])

    for _ in range(12):  # M-1001: at most 2 units a day, under 64 on 24 days
        await post(events("M-1001", ["09:15", "09:30"]) + events("M-1002", ["10:00", "11:00"]))
    with _statements(app) as seen:
        await post(events("M-1001", ["09:15", "09:30"]))
    reads = [s for s in seen if s.startswith("SELECT") and "service_date" in s]
    assert any(" BETWEEN " in s for s in reads) and all(" >= " not in s for s in reads)
    incremental = await _equals_a_full_readjudication(app, ("M-1001", "M-1002"))
    verdicts = {(line[4], line[5], line[8]) for line in incremental["lines"]}
    assert {("billable", None, "A-2"), ("held", "authorization_exhausted", None)} <= verdicts

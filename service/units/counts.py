"""The units counted on a member's days, as re-adjudication needs them: summed by the database
after a date (each day's, or all together), the kept totals before the first touched day, and
the kept totals moved by what a re-adjudication changed (``unit_counters``). The totals are
what lets a change be re-adjudicated without reading the member's history (docs/load.md, "A
single event costs what its day costs")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from claims.units.reach import counted
from service import dbkit
from service import models as orm
from service.dbkit import chunks

Until = Mapping[str, date]  # member -> the last date read (absent: every date from its first)


def by_window(
    members: Mapping[str, date], until: Until
) -> dict[tuple[date, date | None], list[str]]:
    """Members grouped by the dates read (first, last or None): one query per distinct pair."""
    grouped: dict[tuple[date, date | None], list[str]] = defaultdict(list)
    for member_id, since in members.items():
        grouped[(since, until.get(member_id))].append(member_id)
    return grouped


def counted_select(by_day: bool = False) -> Any:
    """Units counted per (member, [date,] provider, authorization or ''), summed by the
    database (the rows themselves are not needed); the caller says which lines (a WHERE clause
    or a join)."""
    line = orm.UnitLine
    auth = func.coalesce(line.authorization_id, "")
    keys = [line.member_id, *([line.service_date] if by_day else []), line.provider_id]
    return (
        select(*keys, auth.label("authorization_id"), func.sum(line.auth_units).label("units"))
        .where(line.auth_units != 0)
        .group_by(*keys, auth)
    )


def counted_after_select(match: Any, since: Any, by_day: bool = False) -> Any:
    """``counted_select`` of the member's days after ``since``; ``by_day``: one sum per date."""
    return counted_select(by_day).where(match, orm.UnitLine.service_date > since)


async def counted_by_day(
    session: AsyncSession, members: dict[str, date]
) -> dict[str, list[tuple[date, dict[tuple[str, str], int]]]]:
    """The stored units counted on each member's days after its date, day by day in date
    order, per (provider, authorization or ""): where a change's reach is judged from
    (claims.units.reach.window_end). A line that drew from several authorizations counts
    under its first here: an estimate, confirmed once the days are re-adjudicated."""
    days: dict[str, dict[date, dict[tuple[str, str], int]]] = defaultdict(dict)
    for row in await _counted_by_day_rows(session, members):
        day = days[row.member_id].setdefault(row.service_date, {})
        day[(row.provider_id, row.authorization_id)] = int(row.units)
    return {member_id: sorted(by_day.items()) for member_id, by_day in days.items()}


async def _counted_by_day_rows(session: AsyncSession, members: dict[str, date]) -> list[Any]:
    if (await session.connection()).dialect.name == "postgresql":
        ordered = sorted(members.items())
        params = {"w_member_id": [m for m, _ in ordered], "w_since": [d for _, d in ordered]}
        return await dbkit.plain_rows(session, COUNTED_BY_DAY, params)
    selects = [
        counted_after_select(match(orm.UnitLine.member_id), since, by_day=True)
        for (since, _), ids in by_window(members, {}).items()
        for match in await dbkit.matchers(session, ids)
    ]
    return (await dbkit.plain_sets(session, {"days": selects}))["days"]


def _counted_by_day_statement() -> Any:
    """PostgreSQL: every member's days after its own date in ONE statement text, the members
    and their dates as two arrays joined through ``unnest``. A select per distinct date, combined
    (``dbkit.PlainSets``), made a new text for every mix of members' dates, and each connection
    kept each text prepared: worker memory rose for as long as the mixes kept coming (docs/load.md,
    "Measuring it")."""
    line = orm.UnitLine
    w = dbkit.unnested("w", member_id=line.member_id, since=line.service_date)
    after = and_(line.member_id == w.c.member_id, line.service_date > w.c.since)
    return counted_select(by_day=True).join_from(line, w, after)


COUNTED_BY_DAY = _counted_by_day_statement()


def counted_after(rows: Iterable[Any]) -> dict[str, list[tuple[str, str, int]]]:
    """``later`` rows of ``readjudication_reads`` by member: (provider, authorization, units)."""
    out: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for row in rows:
        out[row.member_id].append((row.provider_id, row.authorization_id, int(row.units)))
    return out


def counters_before(
    counter_rows: Iterable[Any],
    lines: dict[str, list[Any]],
    later: dict[str, list[tuple[str, str, int]]] | None = None,
    kept: dict[str, dict[str, int]] | None = None,
) -> dict[str, list[tuple[str, str | None, int]]]:
    """Units counted before each member's first touched date: (provider, authorization, units).

    The kept totals (``counter_rows``, the members' unit_counters) minus the lines from that
    date on (``lines``, already read, and ``later``, what was counted after them when only one
    day was read): no scan of the member's history, however long it is. ``kept``, if given,
    receives each member's kept total per provider (all its days, every authorization): what a
    one-day change is checked against.
    """
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in counter_rows:
        totals[(row.member_id, row.provider_id, row.authorization_id)] += row.units
        if kept is not None:
            per_provider = kept.setdefault(row.member_id, {})
            per_provider[row.provider_id] = per_provider.get(row.provider_id, 0) + row.units
    for member_id, rows in lines.items():
        for key, units in counted(rows).items():
            totals[(member_id, *key)] -= units
    for member_id, sums in (later or {}).items():
        for provider_id, auth_id, units in sums:
            totals[(member_id, provider_id, auth_id)] -= units
    out: dict[str, list[tuple[str, str | None, int]]] = defaultdict(list)
    for (member_id, provider_id, auth_id), units in sorted(totals.items()):
        if units:
            out[member_id].append((provider_id, auth_id or None, units))
    return out


async def add_to_counters(session: AsyncSession, deltas: dict[tuple[str, str, str], int]) -> None:
    """Totals move by what re-adjudication changed (new lines' units minus old ones')."""
    rows = [
        {"member_id": m, "provider_id": p, "authorization_id": a, "units": d}
        for (m, p, a), d in sorted(deltas.items())
        if d
    ]
    if not rows:
        return
    connection = await session.connection()
    stmt = _COUNTER_UPSERTS[connection.dialect.name]
    for part in chunks(rows, 1000):
        await connection.execute(stmt, list(part))


def _counter_upsert(insert: Any) -> Any:
    """The kept totals' upsert, built once per dialect: building it (its ``excluded`` columns)
    was a tenth of a single event's CPU when done for every write (profile, issue 19)."""
    stmt = insert(orm.UnitCounter.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["member_id", "provider_id", "authorization_id"],
        set_={"units": orm.UnitCounter.__table__.c.units + stmt.excluded.units},
    )


_COUNTER_UPSERTS = {
    "postgresql": _counter_upsert(pg_insert),
    "sqlite": _counter_upsert(sqlite_insert),
}

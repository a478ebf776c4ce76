"""Re-adjudication's own queries (events and lines since a date, counters, staff, members):
a handful of queries per request, whatever its size. The shared kit is ``service.dbkit``.

Work grows with the members and days touched, not with history: events are read from the
first touched date onward, and what came before enters only as summed counters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import any_, delete, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from service import models as orm
from service.dbkit import LOCKED, among, bulk_insert, chunks, plain_rows, rows_in
from service.units.touched import Touched


async def lock_members_and_events(
    session: AsyncSession, members: Iterable[str], event_ids: Iterable[str]
) -> dict[str, Any]:
    """``lock_members`` for an intake: the members named and those the events are stored under
    (an event may move to another member), found and locked by one statement, in sorted order;
    two statements (find, then lock) were two of a single event's round trips. Returns the
    members' rows as ``members_with_profiles`` reads them (by id), which the intake checks and
    re-adjudication then reuses (``Known``). SQLite locks nothing: the named members' rows."""
    if (await session.connection()).dialect.name != "postgresql":
        return {row.member_id: row for row in await members_with_profiles(session, set(members))}
    held: set[str] = session.info.setdefault(LOCKED, set())
    member, event = orm.Member.member_id, orm.ServiceEvent
    named = literal(sorted(set(members)), ARRAY(member.type))
    stored = func.array(
        select(event.member_id).where(_any(event.event_id, event_ids)).scalar_subquery()
    )
    wanted = func.array_cat(named, stored)
    stmt = _with_profiles().where(member == any_(wanted)).order_by(member)
    rows = await plain_rows(session, stmt.with_for_update(of=orm.Member))
    held.update(row.member_id for row in rows)
    return {row.member_id: row for row in rows}


def _any(column: Any, values: Iterable[Any]) -> Any:
    """PostgreSQL: ``column`` equal to one value, or among several (an array parameter)."""
    ordered = sorted(set(values))
    if len(ordered) == 1:
        return column == ordered[0]
    return column == any_(literal(ordered, ARRAY(column.type)))


def _by_since(members: dict[str, date]) -> dict[date, list[str]]:
    """Members grouped by their first touched date: one query per distinct date."""
    grouped: dict[date, list[str]] = defaultdict(list)
    for member_id, since in members.items():
        grouped[since].append(member_id)
    return grouped


async def _rows_since(
    session: AsyncSession,
    model: Any,
    members: dict[str, date],
    columns: Sequence[str],
    only_day: bool = False,
) -> list[Any]:
    """Rows of each member from its date onward (``only_day``: of that date alone)."""
    found: list[Any] = []
    selected = [model.__table__.c[name] for name in columns]
    for since, ids in _by_since(members).items():
        for match in await among(session, model.member_id, ids):
            when = model.service_date == since if only_day else model.service_date >= since
            stmt = select(*selected).where(match, when)
            found.extend(await plain_rows(session, stmt))
    return found


# What the engine and the adjudication trace read of a member (not its name or address).
MEMBER_INPUTS = (
    "member_id", "payer_id", "subscriber_id", "birth_date", "diagnoses", "dvr_shared_case",
    "act_periods", "version",
)  # fmt: skip
# What re-adjudication reads of stored events and lines: the engine's inputs and the keys it
# writes back by. Not the stored adjudications (JSON decoded for nothing, 12 per event).
EVENT_INPUTS = (
    "event_id", "member_id", "provider_id", "staff_id", "service_date", "start_time",
    "end_time", "activity", "contact", "setting", "place_of_service", "note_id", "voided",
    "version",
)  # fmt: skip
LINE_STATE = (
    "id", "member_id", "provider_id", "service_date", "procedure_key", "claim_id",
    "claimed_units", "claimed_charge", "hold_reason", "authorization_id", "auth_units",
    "authorization_draws",
)  # fmt: skip


async def events_since(
    session: AsyncSession, members: dict[str, date], only_day: bool = False
) -> list[Any]:
    return await _rows_since(session, orm.ServiceEvent, members, EVENT_INPUTS, only_day)


async def counters_before(
    session: AsyncSession,
    lines: dict[str, list[Any]],
    members: Iterable[str],
    later: dict[str, list[tuple[str, str, int]]] | None = None,
    kept: dict[str, dict[str, int]] | None = None,
) -> dict[str, list[tuple[str, str | None, int]]]:
    """Units counted before each member's first touched date: (provider, authorization, units).

    The kept totals minus the lines from that date on (``lines``, already read, and ``later``,
    what was counted after them when only one day was read): no scan of the member's history,
    however long it is. ``kept``, if given, receives each member's kept total per provider
    (all its days, every authorization): what a one-day change is checked against.
    """
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for match in await among(session, orm.UnitCounter.member_id, members):
        stmt = select(*orm.UnitCounter.__table__.columns).where(match)
        for row in await plain_rows(session, stmt):
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


def counted(rows: Iterable[Any]) -> dict[tuple[str, str], int]:
    """auth_units of lines per (provider, authorization or '')."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        if row.authorization_draws:  # drawn from several authorizations (docs/units.md)
            for authorization_id, units in row.authorization_draws:
                sums[(row.provider_id, authorization_id)] += units
        elif row.auth_units:
            sums[(row.provider_id, row.authorization_id or "")] += row.auth_units
    return sums


async def add_to_counters(session: AsyncSession, deltas: dict[tuple[str, str, str], int]) -> None:
    """Totals move by what re-adjudication changed (new lines' units minus old ones')."""
    rows = [
        {"member_id": m, "provider_id": p, "authorization_id": a, "units": d}
        for (m, p, a), d in sorted(deltas.items())
        if d
    ]
    if not rows:
        return
    dialect = (await session.connection()).dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(orm.UnitCounter)
    stmt = stmt.on_conflict_do_update(
        index_elements=["member_id", "provider_id", "authorization_id"],
        set_={"units": orm.UnitCounter.units + stmt.excluded.units},
    )
    for part in chunks(rows, 1000):
        await session.execute(stmt, list(part))


async def lines_since(
    session: AsyncSession, members: dict[str, date], only_day: bool = False
) -> list[Any]:
    return await _rows_since(session, orm.UnitLine, members, LINE_STATE, only_day)


async def counted_after(
    session: AsyncSession, members: dict[str, date]
) -> dict[str, list[tuple[str, str, int]]]:
    """Units counted on each member's days after its date: (provider, authorization or '',
    units), summed by the database (the rows themselves are not needed)."""
    line = orm.UnitLine
    out: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    auth = func.coalesce(line.authorization_id, "")
    for since, ids in _by_since(members).items():
        for match in await among(session, line.member_id, ids):
            stmt = (
                select(line.member_id, line.provider_id, auth, func.sum(line.auth_units))
                .where(match, line.service_date > since, line.auth_units != 0)
                .group_by(line.member_id, line.provider_id, auth)
            )
            for member_id, provider_id, auth_id, units in await session.execute(stmt):
                out[member_id].append((provider_id, auth_id, int(units)))
    return out


async def staff_for(
    session: AsyncSession, pairs: set[tuple[str, str]], known: Known | None = None
) -> list[Any]:
    """Staff rows of (provider, staff) pairs; those ``known`` are not read again."""
    have = known.staff if known is not None else {}
    found: list[Any] = [have[pair] for pair in sorted(pairs & have.keys())]
    for part in chunks(sorted(pairs - have.keys())):
        stmt = select(*orm.Staff.__table__.columns).where(
            tuple_(orm.Staff.provider_id, orm.Staff.staff_id).in_(part)
        )
        found.extend(await plain_rows(session, stmt))
    return found


async def members_with_profiles(session: AsyncSession, member_ids: set[str]) -> list[Any]:
    """Members (re-adjudication's inputs) with their payer's EDI profile, in one statement."""
    found: list[Any] = []
    for match in await among(session, orm.Member.member_id, member_ids):
        found.extend(await plain_rows(session, _with_profiles().where(match)))
    return found


def _with_profiles() -> Any:
    member, payer = orm.Member, orm.Payer
    columns = [member.__table__.c[name] for name in MEMBER_INPUTS]
    return select(*columns, payer.edi_profile).join(payer, payer.payer_id == member.payer_id)


@dataclass(frozen=True)
class Known:
    """Rows an intake has read already in its transaction, its members (locked on PostgreSQL)
    and the staff it checked: its re-adjudication reuses them instead of reading them again
    (two or three of a single event's round trips). Neither changes inside that transaction."""

    members: Mapping[str, Any] = field(default_factory=dict)
    staff: Mapping[tuple[str, str], Any] = field(default_factory=dict)


async def members_for(session: AsyncSession, member_ids: Iterable[str], known: Known) -> list[Any]:
    """Re-adjudication's member rows: the known ones when all are known, else read."""
    wanted = set(member_ids)
    if wanted <= known.members.keys():
        return [known.members[m] for m in sorted(wanted)]
    return await rows_in(
        session, orm.Member.member_id, wanted, plain=True, columns=MEMBER_INPUTS
    )


async def members_touched(session: AsyncSession, touched: Touched) -> dict[str, date]:
    """Each member a change touched and the first date of it: the members named, every member
    of a touched payer, and the members with an event of a touched provider from its date."""
    out = dict(touched.members)
    found: list[tuple[str, date]] = []
    for payer_id, since in touched.payers.items():
        stmt = select(orm.Member.member_id).where(orm.Member.payer_id == payer_id)
        found.extend((member_id, since) for (member_id,) in (await session.execute(stmt)).all())
    for provider_id, since in touched.providers.items():
        stmt = select(orm.ServiceEvent.member_id).distinct()
        stmt = stmt.where(*provider_days(provider_id, since))
        found.extend((member_id, since) for (member_id,) in (await session.execute(stmt)).all())
    for member_id, since in found:
        out[member_id] = min(since, out.get(member_id, since))
    return out


def provider_days(provider_id: str, since: date) -> list[Any]:
    event = orm.ServiceEvent
    return [event.provider_id == provider_id, event.service_date >= since]


async def payer_claim_numbers(session: AsyncSession, claim_ids: set[str]) -> dict[str, str | None]:
    found = await rows_in(session, orm.Claim.claim_id, claim_ids)
    return {claim.claim_id: claim.payer_claim_number for claim in found}


async def insert_lines(session: AsyncSession, values: list[dict[str, Any]]) -> None:
    rows = [{"claimed_units": None, "claimed_charge": None, **row} for row in values]
    await bulk_insert(session, orm.UnitLine, rows)


async def delete_lines(session: AsyncSession, ids: list[int]) -> None:
    for match in await among(session, orm.UnitLine.id, ids):
        await session.execute(delete(orm.UnitLine).where(match))

"""Re-adjudication's own queries (events and lines since a date, counters, staff, members):
a handful of queries per request, whatever its size. The shared kit is ``service.dbkit``; the
units counted and kept totals are ``service.units.counts``.

Work grows with the members and days touched, not with history: events are read from the
first touched date onward, and what came before enters only as summed counters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, any_, bindparam, delete, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service import dbkit
from service import models as orm
from service.dbkit import LOCKED, among, bulk_insert, chunks, plain_rows, rows_in
from service.units import counts, windows
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
    ids = sorted(set(event_ids))
    params: dict[str, Any] = {"members": sorted(set(members))}
    if len(ids) == 1:  # an equality, whose plan is the index lookup (dbkit.matchers)
        stmt, params["event_id"] = LOCK_ONE, ids[0]
    else:
        stmt, params["event_ids"] = LOCK_MANY, ids
    rows = await plain_rows(session, stmt, params)
    held.update(row.member_id for row in rows)
    return {row.member_id: row for row in rows}


Until = counts.Until


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


READS = (
    "events", "lines", "later", "counters", "auths", "eipd", "payers", "fees", "staff", "reviews",
)  # fmt: skip
BY_MEMBER = (
    ("counters", orm.UnitCounter.member_id),
    ("auths", orm.Authorization.member_id),
    ("eipd", orm.EipdAuthorization.member_id),
)
BY_PAYER = (("payers", orm.Payer.payer_id), ("fees", orm.FeeSchedule.payer_id))
Reads = dict[str, list[Select[Any]]]


def _day_reads(reads: Reads, member: Any, since: Any, until: Any) -> tuple[Any, Any]:
    """A group of members' events and lines from ``since`` on (through ``until``, when not
    None, and then ``later``, the units counted after it); ``member(column)``: the group's
    WHERE clause on a member id column. Returns the events' WHERE clauses."""
    event, line = orm.ServiceEvent, orm.UnitLine
    where = (member(event.member_id), _when(event, since, until))
    reads["events"].append(select(*dbkit.columns_of(event, EVENT_INPUTS)).where(*where))
    match = member(line.member_id)
    reads["lines"].append(
        select(*dbkit.columns_of(line, LINE_STATE)).where(match, _when(line, since, until))
    )
    if until is not None:
        reads["later"].append(counts.counted_after_select(match, until))
    return where


def _when(model: Any, since: Any, until: Any) -> Any:
    """The dates read: one day (an equality: its plan is the index lookup), a window, or
    every date from ``since``."""
    if until is since or (isinstance(until, date) and until == since):
        return model.service_date == since
    if until is None:
        return model.service_date >= since
    return model.service_date.between(since, until)


def _keyed_reads(reads: Reads, pairs: Iterable[tuple[str, Any]], match: Any) -> None:
    """Every column of each table, rows whose key column ``match(column)`` selects."""
    for name, column in pairs:
        reads[name].append(select(*column.class_.__table__.columns).where(match(column)))


def _provider_reads(reads: Reads, where: tuple[Any, Any], new_pair: Any, new: Any) -> None:
    """The staff and fidelity reviews of the providers of the events ``where`` selects, found
    by subquery (no second round trip), and of the events not stored yet: ``new_pair(pair)``
    and ``new(provider_id)``, their WHERE clauses (None: there are none)."""
    event, staff, review = orm.ServiceEvent, orm.Staff, orm.FidelityReview
    pair = tuple_(staff.provider_id, staff.staff_id)
    staff_where: Any = pair.in_(select(event.provider_id, event.staff_id).where(*where))
    review_where: Any = review.provider_id.in_(select(event.provider_id).where(*where))
    if new_pair is not None:
        staff_where, review_where = (
            or_(staff_where, new_pair(pair)),
            or_(review_where, new(review.provider_id)),
        )
    reads["staff"].append(staff_select(staff_where))
    reads["reviews"].append(select(*review.__table__.columns).where(review_where))


def _one_day_of_one_member() -> dbkit.PlainSets:
    """The reads of the commonest re-adjudication, one member's one day with at most one event
    whose values are not stored yet (a single event's write, new or changed), built once: its
    values are bound parameters (no such event: its provider and staff are NULL, no row)."""
    reads: Reads = {name: [] for name in READS}
    member = bindparam("member_id", type_=orm.Member.member_id.type)
    day = bindparam("day", type_=orm.ServiceEvent.service_date.type)
    payer = bindparam("payer_id", type_=orm.Payer.payer_id.type)
    provider = bindparam("new_provider_id", type_=orm.Staff.provider_id.type)
    staff = bindparam("new_staff_id", type_=orm.Staff.staff_id.type)
    where = _day_reads(reads, lambda column: column == member, day, day)
    _keyed_reads(reads, BY_MEMBER, lambda column: column == member)
    _keyed_reads(reads, BY_PAYER, lambda column: column == payer)
    _provider_reads(
        reads, where, lambda pair: pair == tuple_(provider, staff), lambda c: c == provider
    )
    return dbkit.PlainSets(reads)


async def readjudication_reads(
    session: AsyncSession,
    members: dict[str, date],
    new_events: Sequence[Mapping[str, Any]],
    payer_ids: set[str],
    until: Until | None = None,
) -> tuple[dict[str, list[Any]], bool]:
    """Every read of re-adjudication: each member's events and lines from its date on
    (through its ``until`` date when given, with ``later``, the units counted after it summed
    by the database), its kept counters, authorizations and EIPD authorizations, its payer's row
    and fee schedules; and, when the members share one date, the staff and fidelity reviews of
    the providers of those events and of ``new_events`` (values not stored yet: new events, and
    changed ones where they now are). One round trip on PostgreSQL: a single event's day
    (``ONE_DAY``), or any other set of windows in one statement text (``WINDOWS``,
    service/units/windows.py), both built once, both with staff and reviews. Returns the rows by
    name and whether staff and reviews are among them (else, SQLite with several windows:
    ``provider_reads``, once the events are known)."""
    until = until or {}
    one_day = len(members) == 1 and until == members
    if one_day and len(new_events) <= 1 and len(payer_ids) == 1:
        ((member_id, day),) = members.items()
        new = new_events[0] if new_events else {}
        params = {
            "member_id": member_id,
            "day": day,
            "payer_id": next(iter(payer_ids)),
            "new_provider_id": new.get("provider_id"),
            "new_staff_id": new.get("staff_id"),
        }
        return await ONE_DAY.run(session, params), True
    if (await session.connection()).dialect.name == "postgresql":
        spans = {member: (since, until.get(member)) for member, since in members.items()}
        return await WINDOWS.run(session, spans, new_events, payer_ids), True
    reads: Reads = {name: [] for name in READS}
    days: list[tuple[Any, Any]] = []
    for (since, last), ids in counts.by_window(members, until).items():
        for match in await dbkit.matchers(session, ids):
            days.append(_day_reads(reads, match, since, last))
    for match in await dbkit.matchers(session, members):
        _keyed_reads(reads, BY_MEMBER, match)
    for match in await dbkit.matchers(session, payer_ids):
        _keyed_reads(reads, BY_PAYER, match)
    whole = len(days) == 1
    if whole:
        pairs = sorted({(v["provider_id"], v["staff_id"]) for v in new_events})
        providers = sorted({v["provider_id"] for v in new_events})
        _provider_reads(
            reads,
            days[0],
            (lambda pair: pair.in_(pairs)) if pairs else None,
            lambda column: column.in_(providers),
        )
    return await dbkit.plain_sets(session, reads), whole


async def provider_reads(
    session: AsyncSession, events: Iterable[Any], known: Known
) -> dict[str, list[Any]]:
    """The staff (those not ``known``) and fidelity reviews of the events' providers."""
    pairs = {(row.provider_id, row.staff_id) for row in events}
    pair = tuple_(orm.Staff.provider_id, orm.Staff.staff_id)
    review = orm.FidelityReview
    reads: Reads = {
        "staff": [
            staff_select(pair.in_(part)) for part in chunks(sorted(pairs - known.staff.keys()))
        ],
        "reviews": [
            select(*review.__table__.columns).where(match)
            for match in await among(session, review.provider_id, {p for p, _ in pairs})
        ],
    }
    return await dbkit.plain_sets(session, reads)


def staff_select(where: Any) -> Select[Any]:
    return select(*orm.Staff.__table__.columns).where(where)


async def members_with_profiles(session: AsyncSession, member_ids: set[str]) -> list[Any]:
    """Members (re-adjudication's inputs) with their payer's EDI profile, in one statement."""
    found: list[Any] = []
    for match in await among(session, orm.Member.member_id, member_ids):
        found.extend(await plain_rows(session, _with_profiles().where(match)))
    return found


def _with_profiles() -> Any:
    member, payer = orm.Member, orm.Payer
    columns = dbkit.columns_of(member, MEMBER_INPUTS)
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
    return await rows_in(session, orm.Member.member_id, wanted, plain=True, columns=MEMBER_INPUTS)


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


ONE_DAY = _one_day_of_one_member()  # after every name it is built from
WINDOWS = windows.WindowReads(EVENT_INPUTS, LINE_STATE)


def _lock_statement(one: bool) -> Any:
    """``lock_members_and_events``' statement, built once: the members named (an array) and
    those the events are stored under (``one``: a single event, by equality)."""
    member, event = orm.Member.member_id, orm.ServiceEvent
    named = dbkit.array_param("members", member)
    if one:
        match = event.event_id == bindparam("event_id", type_=event.event_id.type)
    else:
        match = event.event_id == any_(dbkit.array_param("event_ids", event.event_id))
    stored = func.array(select(event.member_id).where(match).scalar_subquery())
    wanted = func.array_cat(named, stored)
    stmt = _with_profiles().where(member == any_(wanted)).order_by(member)
    return stmt.with_for_update(of=orm.Member)


LOCK_ONE, LOCK_MANY = _lock_statement(one=True), _lock_statement(one=False)

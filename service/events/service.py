"""Event intake: idempotent versioned upserts, one or a thousand at a time, then re-adjudication.

A batch is checked whole before anything is written (bodies, references, scope), so a rejected
event stores nothing while its neighbours go through; all writes are bulk statements so the
cost grows with the batch, not with the rows already stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, Final, Literal

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import DomainError, InvalidInput, NotFound, UnknownReference
from service import dbkit
from service import models as orm
from service.auth.principal import Principal
from service.events.schemas import BatchEventIn, EventIn
from service.models.base import utcnow
from service.problems import field_errors
from service.profiles import ProfileRegistry
from service.races import retrying
from service.schemas_common import unstorable
from service.units import repository as repo
from service.units.service import Adjudicated, readjudicate
from service.units.touched import Touched
from service.versioning import body_hash

Result = Literal["created", "updated", "unchanged", "rejected"]
CREATED: Final = "created"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"
REJECTED: Final = "rejected"


@dataclass
class Outcome:
    event_id: str | None
    result: Result
    error: DomainError | None = None
    validation: list[dict[str, Any]] = field(default_factory=list)
    row: dict[str, Any] | None = None  # created/updated: the stored columns, as written


@dataclass
class _Refs:
    events: dict[str, orm.ServiceEvent]
    members: dict[str, Any]  # read with their lock (repo.lock_members_and_events)
    providers: set[str]
    staff: set[tuple[str, str]]
    today: dict[str, date] = field(default_factory=dict)  # each payer's today (its time zone)
    known: repo.Known = field(default_factory=repo.Known)  # reused by re-adjudication


def parse_batch_item(raw: Any) -> tuple[str | None, EventIn | None, list[dict[str, Any]]]:
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    try:
        body = BatchEventIn.model_validate(raw)
    except ValidationError as exc:
        errors = field_errors(exc.errors())
        # An id that cannot be stored cannot be echoed either (orjson refuses a lone surrogate).
        echo = isinstance(event_id, str) and not unstorable(event_id)
        return (event_id if echo else None), None, errors
    return body.event_id, body, []


def _fields(body: EventIn, payer_id: str) -> dict[str, Any]:
    data = body.model_dump(mode="json", exclude={"event_id"})
    return {**data, "payer_id": payer_id}


def _row_values(fields: dict[str, Any], body: EventIn) -> dict[str, Any]:
    return {
        **fields,
        "service_date": date.fromisoformat(fields["service_date"]),
        "start_time": body.start(),
        "end_time": body.end(),
    }


async def _load_refs(
    session: AsyncSession,
    items: Sequence[tuple[str, EventIn]],
    profiles: ProfileRegistry,
    now: datetime,
    members: dict[str, Any],
) -> _Refs:
    """What the checks need, in one round trip beside its members (read with their lock): the
    stored events and the staff (``dbkit.plain_sets``); providers are read only for staff not
    found (a staff row is kept under its provider's id: that provider exists)."""
    pairs = {(b.provider_id, b.staff_id) for _, b in items}
    if len(items) == 1:  # a single event: the statement built once (INTAKE_ONE)
        ((event_id, body),) = items
        params = {"event_id": event_id, "provider_id": body.provider_id, "staff_id": body.staff_id}
        got = await INTAKE_ONE.run(session, params)
    else:
        got = await dbkit.plain_sets(
            session,
            {
                "events": [
                    select(*_STORED).where(match)
                    for match in await dbkit.among(
                        session, orm.ServiceEvent.event_id, [i for i, _ in items]
                    )
                ],
                "staff": [
                    repo.staff_select(_PAIR.in_(part)) for part in dbkit.chunks(sorted(pairs))
                ],
            },
        )
    events = got["events"]
    staff = {(s.provider_id, s.staff_id): s for s in got["staff"]}
    unsure = {provider for provider, staff_id in pairs - staff.keys()}
    providers = {provider for provider, _ in staff} | {
        row.provider_id
        for row in await dbkit.rows_in(
            session, orm.Provider.provider_id, unsure, plain=True, columns=("provider_id",)
        )
    }
    today = {m.payer_id: profiles.get(m.edi_profile).rules.today(now) for m in members.values()}
    known = repo.Known(members, staff)
    return _Refs({e.event_id: e for e in events}, members, providers, set(staff), today, known)


# What intake reads of a stored event: whose it is, and what a new body is compared with.
STORED = ("event_id", "payer_id", "member_id", "service_date", "version", "body_hash")
_STORED = dbkit.columns_of(orm.ServiceEvent, STORED)
_PAIR = tuple_(orm.Staff.provider_id, orm.Staff.staff_id)


def _intake_one() -> dbkit.PlainSets:
    """``_load_refs``' reads of a single event, built once: its stored row and its staff."""
    event_id = orm.ServiceEvent.event_id
    provider = bindparam("provider_id", type_=orm.Staff.provider_id.type)
    staff = bindparam("staff_id", type_=orm.Staff.staff_id.type)
    wanted = event_id == bindparam("event_id", type_=event_id.type)
    pair = tuple_(orm.Staff.provider_id, orm.Staff.staff_id)
    return dbkit.PlainSets(
        {
            "events": [select(*_STORED).where(wanted)],
            "staff": [repo.staff_select(pair == tuple_(provider, staff))],
        }
    )


INTAKE_ONE = _intake_one()


def _check(principal: Principal, refs: _Refs, event_id: str, body: EventIn) -> DomainError | None:
    existing = refs.events.get(event_id)
    if existing is not None and not principal.sees_payer(existing.payer_id):
        return NotFound(f"no service event {event_id}")
    problems: list[tuple[tuple[str | int, ...], str]] = []
    member = refs.members.get(body.member_id)
    if member is None or not principal.sees_payer(member.payer_id):
        problems.append((("member_id",), f"unknown member {body.member_id}"))
    if body.provider_id not in refs.providers:
        problems.append((("provider_id",), f"unknown provider {body.provider_id}"))
    elif (body.provider_id, body.staff_id) not in refs.staff:
        problems.append((("staff_id",), f"unknown staff {body.staff_id} of {body.provider_id}"))
    if problems:
        return UnknownReference("; ".join(msg for _, msg in problems), problems)
    return _future(refs, body, member.payer_id)  # type: ignore[union-attr]


def _future(refs: _Refs, body: EventIn, payer_id: str) -> DomainError | None:
    """A service cannot have happened after today, the payer's today (docs/input.md)."""
    today = refs.today.get(payer_id)
    if today is None or body.service_date <= today:
        return None
    msg = f"service_date {body.service_date} is after today ({today} for payer {payer_id})"
    return InvalidInput(f"a service dated in the future: {msg}", [(("service_date",), msg)])


async def upsert_events(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    items: Sequence[tuple[str, EventIn]],
    now: datetime | None = None,
) -> list[Outcome]:
    """Each event upserted on its own (one outcome each, in order); a lost race is retried
    inside the service (service.races) before it becomes a 409. The intake is the first work of
    its transaction (the routes run nothing before it): a race undoes the whole transaction."""
    work = partial(_upsert_events, session, principal, profiles, items, now)
    return await retrying(session, work, first=True)


async def upsert_in_parts(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    items: Sequence[tuple[str, EventIn]],
    members_per_part: int,
    now: datetime | None = None,
) -> list[Outcome]:
    """``upsert_events`` for a batch, ``members_per_part`` of its members at a time (the
    ``IPSBILL_BATCH_PART_MEMBERS`` setting), each part its own
    transaction: a part's member locks are held while that part is written, not for the whole
    batch, so a single event of one of its members waits for one part. Each event is upserted
    on its own either way (contract); outcomes come back in the items' order. Event ids are
    unique in ``items`` (the route refuses repeats first)."""
    place = {event_id: n for n, (event_id, _) in enumerate(items)}
    outcomes: list[Outcome | None] = [None] * len(items)
    for part in _parts(items, members_per_part):
        done = await upsert_events(session, principal, profiles, part, now=now)
        for (event_id, _), outcome in zip(part, done, strict=True):
            outcomes[place[event_id]] = outcome
        await session.commit()  # the part's locks go; the next part begins its own transaction
    return [outcome for outcome in outcomes if outcome is not None]


def _parts(items: Sequence[tuple[str, EventIn]], size: int) -> list[list[tuple[str, EventIn]]]:
    """Items grouped by member (a member's events in one part), members in sorted order."""
    by_member: dict[str, list[tuple[str, EventIn]]] = {}
    for item in items:
        by_member.setdefault(item[1].member_id, []).append(item)
    members = sorted(by_member)
    return [
        [item for member in members[start : start + size] for item in by_member[member]]
        for start in range(0, len(members), size)
    ]


async def _upsert_events(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    items: Sequence[tuple[str, EventIn]],
    now: datetime | None,
) -> list[Outcome]:
    # Requests writing events of one member take turns from the first read: a concurrent write
    # of the same event is then seen, not raced (two "version 2" rows, a unique violation).
    # The members an event moves away from are locked too, in the same sorted pass.
    members = await repo.lock_members_and_events(
        session, {body.member_id for _, body in items}, [event_id for event_id, _ in items]
    )
    refs = await _load_refs(session, items, profiles, now or utcnow(), members)
    touched = Touched()
    inserts: dict[str, dict[str, Any]] = {}
    updates: dict[str, dict[str, Any]] = {}
    versions: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    for event_id, body in items:
        error = _check(principal, refs, event_id, body)
        if error is not None:
            outcomes.append(Outcome(event_id, REJECTED, error))
            continue
        outcome = _stage(
            refs, event_id, body, inserts, updates, versions, touched, principal.key_id
        )
        outcomes.append(outcome)
    await dbkit.bulk_insert(session, orm.RecordVersion, versions)
    # New and changed events are written by re-adjudication, once, with their adjudication.
    written = await readjudicate(
        session, touched, profiles, new_events=inserts, known=refs.known, changed_events=updates
    )
    _attach_rows(outcomes, {**inserts, **updates}, written)
    return outcomes


def _attach_rows(
    outcomes: list[Outcome], staged: dict[str, dict[str, Any]], written: Adjudicated
) -> None:
    """A created or updated event is answered with what was just written, its body and its new
    adjudication, instead of reading 1,000 rows back (the same values: one transaction)."""
    for outcome in outcomes:
        if outcome.result not in (CREATED, UPDATED) or outcome.event_id is None:
            continue
        values, adjudication = staged.get(outcome.event_id), written.get(outcome.event_id)
        if values is not None and adjudication is not None:
            outcome.row = {**values, **adjudication}


def _stage(
    refs: _Refs,
    event_id: str,
    body: EventIn,
    inserts: dict[str, dict[str, Any]],
    updates: dict[str, dict[str, Any]],
    versions: list[dict[str, Any]],
    touched: Touched,
    key_id: str,
) -> Outcome:
    fields = _fields(body, refs.members[body.member_id].payer_id)
    digest = body_hash({**fields, "voided": False})
    current = (
        inserts.get(event_id) or updates.get(event_id) or _as_values(refs.events.get(event_id))
    )
    if current is not None and current["body_hash"] == digest:
        return Outcome(event_id, UNCHANGED)
    values = {
        **_row_values(fields, body),
        "event_id": event_id,
        "voided": False,
        "body_hash": digest,
        "updated_at": utcnow(),
        "version": 1 if current is None else current["version"] + 1,
    }
    target = inserts if event_id in inserts or current is None else updates
    target[event_id] = values
    versions.append(_version_row(values, key_id))
    touched.add_day(body.member_id, values["service_date"])
    if current is not None:
        touched.add_day(current["member_id"], current["service_date"])
    return Outcome(event_id, CREATED if current is None else UPDATED)


def _as_values(row: orm.ServiceEvent | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "body_hash": row.body_hash,
        "version": row.version,
        "member_id": row.member_id,
        "service_date": row.service_date,
    }


def _version_row(values: dict[str, Any], key_id: str) -> dict[str, Any]:
    body = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in values.items()
        if k not in ("body_hash", "updated_at", "version")
    }
    return {
        "entity": "service_event",
        "record_id": values["event_id"],
        "version": values["version"],
        "body": body,
        "recorded_at": values["updated_at"],
        "key_id": key_id,
    }


async def void_event(
    session: AsyncSession, principal: Principal, profiles: ProfileRegistry, event_id: str
) -> orm.ServiceEvent:
    """DELETE: the event is kept, marked void, and its days re-adjudicated (reason ``voided``)."""
    return await retrying(session, lambda: _void_event(session, principal, profiles, event_id))


async def _void_event(
    session: AsyncSession, principal: Principal, profiles: ProfileRegistry, event_id: str
) -> orm.ServiceEvent:
    found = await session.get(orm.ServiceEvent, event_id)
    if found is None or not principal.sees_payer(found.payer_id):
        raise NotFound(f"no service event {event_id}")
    # The member first (the one lock order of every write), then the event read again under it.
    await dbkit.lock_members(session, [found.member_id])
    await session.refresh(found)
    row = found
    if not row.voided:
        row.voided, row.version, row.updated_at = True, row.version + 1, utcnow()
        row.body_hash = body_hash({"voided": True, "event_id": event_id, "v": row.version})
        await session.flush()
        values = {
            "event_id": event_id,
            "version": row.version,
            "updated_at": row.updated_at,
            "voided": True,
        }
        await session.execute(insert(orm.RecordVersion), [_version_row(values, principal.key_id)])
        touched = Touched()
        touched.add_day(row.member_id, row.service_date)
        await readjudicate(session, touched, profiles)
    return (await load_events(session, [event_id]))[event_id]


async def load_events(
    session: AsyncSession, event_ids: Sequence[str]
) -> dict[str, orm.ServiceEvent]:
    rows = await dbkit.rows_in(session, orm.ServiceEvent.event_id, event_ids, plain=True)
    return {row.event_id: row for row in rows}

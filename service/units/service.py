"""Re-adjudication: the touched member-days go through the pure engine and back to storage.

Called inside the request's transaction after any change to events or reference data, so an
answer always shows the adjudication of what was just stored, and held lines release by
themselves when what they waited for arrives.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from claims import model as core
from claims.claimed import ClaimHistory, line_state
from claims.units import adjudicate_member, expire_adjudication
from claims.units.reach import counted, settled, window_end
from service import dbkit
from service import models as orm
from service.models.base import utcnow
from service.profiles import ProfileRegistry
from service.units import convert
from service.units import repository as repo
from service.units.touched import Touched

EXPIRED = core.ReasonCode.TIMELY_FILING_EXPIRED.value


@dataclass
class _Loaded:
    """Everything re-adjudication reads, grouped once by the key each member looks it up by
    (a member's lookups are dictionary hits, never scans of the whole batch's rows)."""

    members: dict[str, orm.Member]
    payers: dict[str, orm.Payer]
    events: dict[str, list[orm.ServiceEvent]]
    staff: dict[str, list[orm.Staff]]  # by provider
    reviews: dict[str, list[orm.FidelityReview]]  # by provider
    auths: dict[str, list[orm.Authorization]]  # by member
    eipd: dict[str, list[orm.EipdAuthorization]]  # by member
    fees: dict[str, list[orm.FeeSchedule]]  # by payer
    counters: dict[str, list[tuple[str, str | None, int]]]
    lines: dict[str, list[orm.UnitLine]]
    converted: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    settings: dict[str, core.RuleSettings] = field(default_factory=dict)  # by payer
    kept: dict[str, dict[str, int]] = field(default_factory=dict)  # member: provider: units

    def once(self, kind: str, key: str, build: Callable[[], tuple[Any, ...]]) -> tuple[Any, ...]:
        """Reference rows shared by many members are converted once per re-adjudication."""
        found = self.converted.get((kind, key))
        if found is None:
            found = self.converted[(kind, key)] = build()
        return found


T = TypeVar("T")


def _group(rows: Iterable[T], key: Callable[[T], str]) -> dict[str, list[T]]:
    grouped: dict[str, list[T]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


Adjudicated = dict[str, dict[str, Any]]  # event_id -> the adjudication columns as written


async def readjudicate(
    session: AsyncSession,
    touched: Touched,
    profiles: ProfileRegistry,
    new_events: Mapping[str, dict[str, Any]] | None = None,
    known: repo.Known | None = None,
    changed_events: Mapping[str, dict[str, Any]] | None = None,
) -> Adjudicated:
    """Re-adjudicate the touched member-days; returns what was written for each event, so an
    answer can be built without reading the rows back. ``known``: rows the caller read in this
    transaction already (an intake's members and staff), not read again.

    ``new_events`` (event_id -> columns) are events not stored yet: they are adjudicated with
    the stored ones and inserted once, with their adjudication. Inserting them first and then
    updating every row changed each row's indexed status: a second index entry per index and
    a dead row per event (the UPDATE was a quarter of a batch's database time).

    ``changed_events`` (event_id -> every column but the adjudication's) are stored events whose
    new values are not written yet: they are adjudicated with those values and written once,
    body and adjudication in one UPDATE (a single event's correction wrote its row twice, two
    statements and two row versions); one not adjudicated here still gets its new values.
    """
    new_events, known = new_events or {}, known or repo.Known()
    changed = dict(changed_events or {})
    members = await repo.members_touched(session, touched)
    if not members and not new_events:
        await dbkit.bulk_update_by_id(session, orm.ServiceEvent, list(changed.values()))
        return {}
    await session.flush()
    session.expire_all()  # bulk statements bypass the identity map: read fresh rows
    await dbkit.lock_members(session, members)
    written: Adjudicated = {}
    one_day = {m: since for m, since in members.items() if touched.one_day(m) == since}
    if one_day:
        kept = await _within_reach(session, one_day, profiles, new_events, written, known, changed)
        members = {m: since for m, since in members.items() if m not in kept}
        new_events = {k: v for k, v in new_events.items() if v["member_id"] not in kept}
        changed = {k: v for k, v in changed.items() if k not in written}
    if members or new_events:
        loaded = await _load(session, members, new_events, known, changed=changed)
        results = _adjudicate_all(loaded, members, profiles)
        written.update(await _write_events(session, loaded, results, new_events, changed))
        await _write_lines(session, loaded, members, results)
    unwritten = [values for key, values in changed.items() if key not in written]
    await dbkit.bulk_update_by_id(session, orm.ServiceEvent, unwritten)
    session.expire_all()  # callers that re-query see the new rows
    return written


async def _within_reach(
    session: AsyncSession,
    one_day: dict[str, date],
    profiles: ProfileRegistry,
    new_events: Mapping[str, dict[str, Any]],
    written: Adjudicated,
    known: repo.Known,
    changed: Mapping[str, dict[str, Any]],
) -> set[str]:
    """Members whose events changed on one day only, re-adjudicated as far as the change can
    reach (claims.units.reach, docs/units.md "What a change can move"): that day alone, with
    the kept totals of what came before and after it; when later days can move, the days up to
    the one after which every moved count is settled (judged from the stored counts of each
    later day, confirmed by the re-adjudication); members still unsettled are left for the
    full run from their day on. Returns the members done."""
    done, unsettled = await _settle(session, one_day, one_day, profiles, new_events, written,
                                    known, changed)  # fmt: skip
    if not unsettled:
        return done
    starts = {member_id: one_day[member_id] for member_id in unsettled}
    ends = _window_ends(unsettled, await repo.counted_by_day(session, starts), profiles)
    if ends:
        starts = {member_id: starts[member_id] for member_id in ends}
        more, _ = await _settle(session, starts, ends, profiles, new_events, written, known,
                                changed)  # fmt: skip
        done |= more
    return done


@dataclass
class _Unsettled:
    """A member whose re-adjudicated day moved counts that later days depend on."""

    before: core.UnitCounters
    old: dict[tuple[str, str], int]
    new: dict[tuple[str, str], int]
    day: date
    allowance: int
    authorizations: tuple[core.Authorization, ...]


async def _settle(
    session: AsyncSession,
    starts: dict[str, date],
    until: dict[str, date],
    profiles: ProfileRegistry,
    new_events: Mapping[str, dict[str, Any]],
    written: Adjudicated,
    known: repo.Known,
    changed: Mapping[str, dict[str, Any]],
) -> tuple[set[str], dict[str, _Unsettled]]:
    """Re-adjudicate each member's days from ``starts`` through ``until`` (with the kept
    totals around them) and write the members whose later days cannot move; returns those,
    and what is known of the others."""
    mine = {k: v for k, v in new_events.items() if v["member_id"] in starts}
    loaded = await _load(session, starts, mine, known, until=until, changed=changed)
    results = _adjudicate_all(loaded, starts, profiles)
    unsettled: dict[str, _Unsettled] = {}
    for member_id, result in results.items():
        reach = _reach(loaded, member_id, result, until[member_id], profiles)
        if reach is not None:
            unsettled[member_id] = reach
    kept = results.keys() - unsettled.keys()
    if kept:
        mine = {k: v for k, v in mine.items() if v["member_id"] in kept}
        results = {m: results[m] for m in kept}
        written.update(await _write_events(session, loaded, results, mine, changed))
        await _write_lines(session, loaded, {m: starts[m] for m in kept}, results)
    return kept, unsettled


def _reach(
    loaded: _Loaded,
    member_id: str,
    result: core.MemberResult,
    through: date,
    profiles: ProfileRegistry,
) -> _Unsettled | None:
    """None when the member's days after ``through`` bill as before, else what the change
    moved. They do when every count the re-adjudicated days moved is settled
    (claims.units.reach.settled); and also when only units without authorization moved and
    the provider's kept total, before and after the change, stays under the units allowed
    without authorization (billing-rules 1.2, claims.units.holds.authorize): then no later line
    was, or would be, held for want of an authorization. Most single events are one of these
    (a new event adds units), which used to read and re-adjudicate every later day."""
    new = counted(result.lines)
    old = counted(loaded.lines.get(member_id, ()))
    payer_id = loaded.members[member_id].payer_id
    allowance = _payer_settings(loaded, payer_id, profiles).units_without_authorization
    before = _counters(loaded, member_id)
    auths = tuple(map(convert.authorization, loaded.auths.get(member_id, ())))
    if settled(before, old, new, allowance, auths, through) or _under_allowance(
        loaded.kept.get(member_id, {}), old, new, allowance
    ):
        return None
    return _Unsettled(before, old, new, through, allowance, auths)


def _under_allowance(
    kept: dict[str, int], old: dict[tuple[str, str], int], new: dict[tuple[str, str], int],
    allowance: int,
) -> bool:  # fmt: skip
    moved = {key for key in new.keys() | old.keys() if new.get(key, 0) != old.get(key, 0)}
    if any(authorization for _, authorization in moved):
        return False
    for provider_id in {provider for provider, _ in moved}:
        before = kept.get(provider_id, 0)
        after = before + new.get((provider_id, ""), 0) - old.get((provider_id, ""), 0)
        # Strictly under before: a total of exactly the allowance may have held a later line.
        if not (before < allowance and after <= allowance):
            return False
    return True


def _window_ends(
    unsettled: Mapping[str, _Unsettled],
    later: Mapping[str, list[tuple[date, dict[tuple[str, str], int]]]],
    profiles: ProfileRegistry,
) -> dict[str, date]:
    """Each member's estimated last day the change can reach (claims.units.reach.window_end),
    for those whose reach ends before their history does."""
    ends = {}
    for member_id, u in unsettled.items():
        end = window_end(u.before, u.old, u.new, u.day, later.get(member_id, []), u.allowance,
                         u.authorizations)  # fmt: skip
        if end is not None:
            ends[member_id] = end
    return ends


def _adjudicate_all(
    loaded: _Loaded, members: Mapping[str, date], profiles: ProfileRegistry
) -> dict[str, core.MemberResult]:
    return {
        member_id: _expire_events(loaded, member_id, _adjudicate(loaded, member_id, profiles))
        for member_id in members
        if member_id in loaded.members
    }


async def _load(
    session: AsyncSession,
    members: dict[str, date],
    new_events: Mapping[str, dict[str, Any]],
    known: repo.Known,
    until: Mapping[str, date] | None = None,
    changed: Mapping[str, dict[str, Any]] | None = None,
) -> _Loaded:
    """What the members' days from their date on need (through their ``until`` date when
    given, with the units counted after it summed by the database). ``changed`` events are
    read as their new values say (where they are now), not as stored."""
    changed = changed or {}
    member_rows = await repo.members_for(session, members, known)
    payer_ids = {row.payer_id for row in member_rows}
    unstored = [*new_events.values(), *_within(changed.values(), members, until or {})]
    got, whole = await repo.readjudication_reads(session, members, unstored, payer_ids, until)
    stored = [row for row in got["events"] if row.event_id not in changed]
    events = [*stored, *(SimpleNamespace(**values) for values in unstored)]
    if not whole:
        got.update(await repo.provider_reads(session, events, known))
    lines = _group(got["lines"], lambda row: row.member_id)
    later = repo.counted_after(got["later"]) if until else None
    kept: dict[str, dict[str, int]] = {}
    counters = repo.counters_before(got["counters"], lines, later, kept)
    return _Loaded(
        members={row.member_id: row for row in member_rows},
        payers={row.payer_id: row for row in got["payers"]},
        events=_group(events, lambda row: row.member_id),
        staff=_group(_staff_of(events, got["staff"], known), lambda row: row.provider_id),
        reviews=_group(
            {row.review_id: row for row in got["reviews"]}.values(), lambda row: row.provider_id
        ),
        auths=_group(got["auths"], lambda row: row.member_id),
        eipd=_group(got["eipd"], lambda row: row.member_id),
        fees=_group(got["fees"], lambda row: row.payer_id),
        counters=counters,
        lines=lines,
        kept=kept,
    )


def _within(
    events: Iterable[dict[str, Any]], members: Mapping[str, date], until: Mapping[str, date]
) -> list[dict[str, Any]]:
    """The events whose member and date are among those read (``_load``)."""
    return [
        values
        for values in events
        if (since := members.get(values["member_id"])) is not None
        and since <= values["service_date"] <= until.get(values["member_id"], date.max)
    ]


def _staff_of(events: Iterable[Any], read: Iterable[Any], known: repo.Known) -> list[Any]:
    """The staff rows of the events' (provider, staff) pairs: those the caller knew, then those
    read (a pair read twice, by two of the selects, counts once)."""
    pairs = {(event.provider_id, event.staff_id) for event in events}
    found = {pair: known.staff[pair] for pair in sorted(pairs & known.staff.keys())}
    for row in read:
        found.setdefault((row.provider_id, row.staff_id), row)
    return [row for pair, row in found.items() if pair in pairs]


def _settings(payer: orm.Payer | None, profiles: ProfileRegistry) -> core.RuleSettings:
    return profiles.rules_for(payer)


def _payer_settings(loaded: _Loaded, payer_id: str, profiles: ProfileRegistry) -> core.RuleSettings:
    found = loaded.settings.get(payer_id)
    if found is None:
        found = loaded.settings[payer_id] = _settings(loaded.payers.get(payer_id), profiles)
    return found


def _context(loaded: _Loaded, member_id: str, profiles: ProfileRegistry) -> core.MemberContext:
    row = loaded.members[member_id]
    providers = sorted({event.provider_id for event in loaded.events.get(member_id, ())})
    return core.MemberContext(
        member=convert.member(row),
        settings=_payer_settings(loaded, row.payer_id, profiles),
        staff=tuple(s for p in providers for s in _staff(loaded, p)),
        fidelity_reviews=tuple(r for p in providers for r in _reviews(loaded, p)),
        authorizations=tuple(map(convert.authorization, loaded.auths.get(member_id, ()))),
        eipd_authorizations=tuple(map(convert.eipd, loaded.eipd.get(member_id, ()))),
        fee_schedules=loaded.once(
            "fees",
            row.payer_id,
            lambda: tuple(map(convert.fee_schedule, loaded.fees.get(row.payer_id, ()))),
        ),
        counters=_counters(loaded, member_id),
    )


def _counters(loaded: _Loaded, member_id: str) -> core.UnitCounters:
    """The units counted before the member's first date read."""
    by_provider: dict[str, int] = defaultdict(int)
    by_auth: dict[str, int] = defaultdict(int)
    for provider_id, auth_id, units in loaded.counters.get(member_id, ()):
        by_provider[provider_id] += units
        if auth_id:
            by_auth[auth_id] += units
    return core.UnitCounters(tuple(sorted(by_provider.items())), tuple(sorted(by_auth.items())))


def _staff(loaded: _Loaded, provider_id: str) -> tuple[core.Staff, ...]:
    rows = loaded.staff.get(provider_id, [])
    return loaded.once("staff", provider_id, lambda: tuple(map(convert.staff, rows)))


def _reviews(loaded: _Loaded, provider_id: str) -> tuple[core.FidelityReview, ...]:
    rows = loaded.reviews.get(provider_id, [])
    return loaded.once("reviews", provider_id, lambda: tuple(map(convert.fidelity, rows)))


def _adjudicate(loaded: _Loaded, member_id: str, profiles: ProfileRegistry) -> core.MemberResult:
    events = [convert.event(row) for row in loaded.events.get(member_id, ())]
    return adjudicate_member(events, _context(loaded, member_id, profiles))


def _expire_events(loaded: _Loaded, member_id: str, result: core.MemberResult) -> core.MemberResult:
    """Events on a line whose timely filing ran out (found when a batch first tried it) say so:
    billing-rules 1.2, ``timely_filing_expired`` [excluded]."""
    expired = {
        _key(row.provider_id, row.service_date, row.procedure_key)
        for row in loaded.lines.get(member_id, ())
        if row.hold_reason == EXPIRED and row.claim_id is None
    }
    if not expired:
        return result
    events = {
        event_id
        for line in result.lines
        if _key(line.provider_id, line.service_date, line.procedure_key) in expired
        for event_id in line.event_ids
    }
    today = utcnow().date()
    return core.MemberResult(
        tuple(
            expire_adjudication(adj, today) if adj.event_id in events else adj
            for adj in result.adjudications
        ),
        result.lines,
    )


def _inputs(loaded: _Loaded, member_id: str) -> dict[str, Any]:
    """The reference-data versions an adjudication was computed from (for tracing)."""
    row = loaded.members[member_id]
    payer = loaded.payers.get(row.payer_id)
    providers = {event.provider_id for event in loaded.events.get(member_id, ())}
    return {
        "member_version": row.version,
        "payer_version": payer.version if payer else None,
        "edi_profile": payer.edi_profile if payer else None,
        "authorizations": {a.authorization_id: a.version for a in loaded.auths.get(member_id, ())},
        "eipd_authorizations": {
            a.authorization_id: a.version for a in loaded.eipd.get(member_id, ())
        },
        "fee_schedules": {
            f.effective_from.isoformat(): f.version for f in loaded.fees.get(row.payer_id, ())
        },
        "fidelity_reviews": sorted(
            r.review_id for p in providers for r in loaded.reviews.get(p, ())
        ),
    }


def _staff_versions(loaded: _Loaded, member_id: str) -> dict[str, int | None]:
    """Each event's staff record version: the staff role decides what its minutes bill, so a
    staff change shows in the trace of every event it reaches (and such an event is written
    again even when its verdict stays the same)."""
    events = loaded.events.get(member_id, ())
    versions = {
        (row.provider_id, row.staff_id): row.version
        for provider_id in {event.provider_id for event in events}
        for row in loaded.staff.get(provider_id, ())
    }
    return {event.event_id: versions.get((event.provider_id, event.staff_id)) for event in events}


def reason_json(reason: core.Reason) -> dict[str, Any]:
    return {"code": reason.code.value, "minutes": reason.minutes, "detail": reason.detail}


@lru_cache(maxsize=4096)
def _reasons_json(reasons: tuple[core.Reason, ...]) -> tuple[dict[str, Any], ...]:
    """Most events share a handful of reason sets: one object per set, so it is encoded once
    per write (repository.json_texts). Read-only by convention, like the rows it feeds."""
    return tuple(map(reason_json, reasons))


async def _write_events(
    session: AsyncSession,
    loaded: _Loaded,
    results: dict[str, core.MemberResult],
    new_events: Mapping[str, dict[str, Any]],
    changed: Mapping[str, dict[str, Any]] | None = None,
) -> Adjudicated:
    now = utcnow()
    values: list[dict[str, Any]] = []
    for member_id, result in results.items():
        inputs = _inputs(loaded, member_id)
        staff = _staff_versions(loaded, member_id)
        for adj in result.adjudications:
            values.append(
                {
                    "event_id": adj.event_id,
                    "status": adj.status.value,
                    "minutes": adj.minutes,
                    "billable_minutes": adj.billable_minutes,
                    "procedure": adj.procedure,
                    "modifiers": adj.modifiers,  # the engine's shared tuples
                    "reasons": _reasons_json(adj.reasons),
                    "adjudication_inputs": {
                        **inputs,
                        "event_version": adj.event_version,
                        "staff_version": staff.get(adj.event_id),
                    },
                    "adjudicated_at": now,
                }
            )
    written = {row["event_id"]: row for row in values}
    inserts = [{**new_events[key], **written.get(key, _UNADJUDICATED)} for key in new_events]
    await dbkit.bulk_insert(session, orm.ServiceEvent, inserts)
    changed = changed or {}
    updates = [
        {**changed[row["event_id"]], **row} if row["event_id"] in changed else row
        for row in values
        if row["event_id"] not in new_events
    ]
    # An event whose verdict (and body) comes out as stored is not written again (dbkit: stamps).
    await dbkit.bulk_update_by_id(session, orm.ServiceEvent, updates, stamps=("adjudicated_at",))
    return written


# A new event of a member the engine did not see (none is expected: intake checks members
# first) is still stored, held, never dropped; the next re-adjudication settles it.
_UNADJUDICATED: dict[str, Any] = {
    "status": core.EventStatus.HELD.value,
    "minutes": 0,
    "billable_minutes": 0,
    "procedure": core.PROCEDURE,
    "modifiers": (),
    "reasons": (),
    "adjudication_inputs": {},
    "adjudicated_at": None,
}


def _key(provider_id: str, service_date: date, procedure_key: str) -> tuple[str, date, str]:
    return provider_id, service_date, procedure_key


async def _write_lines(
    session: AsyncSession,
    loaded: _Loaded,
    members: dict[str, date],
    results: dict[str, core.MemberResult],
) -> None:
    old_lines = [line for rows in loaded.lines.values() for line in rows]
    numbers = await repo.payer_claim_numbers(
        session, {line.claim_id for line in old_lines if line.claim_id}
    )
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    deletes: list[int] = []
    for member_id in members:
        result = results.get(member_id)
        old = {
            _key(item.provider_id, item.service_date, item.procedure_key): item
            for item in loaded.lines.get(member_id, ())
        }
        pos = _places(loaded.events.get(member_id, []))
        for line in result.lines if result else ():
            key = _key(line.provider_id, line.service_date, line.procedure_key)
            values = _line_values(line, pos.get(key[:2], "99"))
            existing = old.pop(key, None)
            if existing is None:
                inserts.append({**values, "line_ref": _new_line_ref(), "claim_id": None})
            else:
                _apply_claim_state(values, existing, numbers)
                updates.append({"id": existing.id, **values})
        for existing in old.values():
            if existing.claim_id is None:
                deletes.append(existing.id)
            else:  # claimed once: keep it at zero so the next batch voids it
                values = _empty_line_values(existing)
                _apply_claim_state(values, existing, numbers)
                updates.append({"id": existing.id, **values})
    await repo.add_to_counters(session, _counter_deltas(loaded, results))
    await repo.delete_lines(session, deletes)
    await dbkit.bulk_update_by_id(session, orm.UnitLine, updates, stamps=("updated_at",))
    await repo.insert_lines(session, inserts)


def _counter_deltas(
    loaded: _Loaded, results: dict[str, core.MemberResult]
) -> dict[tuple[str, str, str], int]:
    """How each member's kept totals move: its new lines' counted units minus the old ones'."""
    deltas: dict[tuple[str, str, str], int] = defaultdict(int)
    for member_id, result in results.items():
        for key, units in counted(result.lines).items():
            deltas[(member_id, *key)] += units
        for key, units in counted(loaded.lines.get(member_id, [])).items():
            deltas[(member_id, *key)] -= units
    return deltas


def _places(events: list[orm.ServiceEvent]) -> dict[tuple[str, date], str]:
    # The 837P SV105/CLM05-1 place of service of a line: that of its earliest event.
    places: dict[tuple[str, date], str] = {}
    for row in sorted(events, key=lambda e: (e.service_date, e.start_time, e.event_id)):
        places.setdefault((row.provider_id, row.service_date), row.place_of_service)
    return places


def _line_values(line: core.UnitLine, place_of_service: str) -> dict[str, Any]:
    return {
        "member_id": line.member_id,
        "provider_id": line.provider_id,
        "payer_id": line.payer_id,
        "service_date": line.service_date,
        "procedure_key": line.procedure_key,
        "procedure": line.procedure,
        "modifiers": line.modifiers,
        "minutes": line.minutes,
        "units": line.units,
        "held_units": line.held_units,
        "status": line.status.value,
        "hold_reason": line.hold_reason.value if line.hold_reason else None,
        "event_ids": list(line.event_ids),
        "rate": line.rate,
        "charge": line.charge,
        "authorization_id": line.authorization_id,
        "auth_units": line.auth_units,
        "authorization_draws": [list(d) for d in line.authorization_draws] or None,
        "place_of_service": place_of_service,
        "updated_at": utcnow(),
    }


def _empty_line_values(existing: orm.UnitLine) -> dict[str, Any]:
    return {
        "minutes": 0,
        "units": 0,
        "held_units": 0,
        "status": core.LineStatus.EXCLUDED.value,
        "hold_reason": None,
        "event_ids": [],
        "charge": Decimal("0.00"),
        "auth_units": 0,
        "authorization_id": None,
        "authorization_draws": None,
        "updated_at": utcnow(),
    }


def _apply_claim_state(
    values: dict[str, Any], existing: orm.UnitLine, numbers: dict[str, str | None]
) -> None:
    """The stored line's claim history corrects the engine's verdict (claims.claimed)."""
    history = ClaimHistory(
        claim_id=existing.claim_id,
        claimed_units=existing.claimed_units,
        claimed_charge=existing.claimed_charge,
        payer_claim_number_known=numbers.get(existing.claim_id or "") is not None,
        filing_expired=existing.hold_reason == EXPIRED,
    )
    hold = values["hold_reason"]
    state = line_state(
        core.LineStatus(values["status"]),
        core.ReasonCode(hold) if hold else None,
        values["units"],
        values["charge"],
        history,
    )
    values["status"] = state.status.value
    values["hold_reason"] = state.hold_reason.value if state.hold_reason else None
    values["charge"] = state.charge


_LINE_SEQUENCE = itertools.count()


def _new_line_ref() -> str:
    """The 837P REF*6R line id: unique, and rising with time, so the unique index on it grows
    at its right edge. Fully random refs landed on random pages of an index larger than the
    cache, a read per new line once history was large. Milliseconds, then this process's
    counter, then randomness (so two processes in the same millisecond never meet): 22 chars.
    """
    millis = time.time_ns() // 1_000_000
    count = next(_LINE_SEQUENCE) % 0x10000
    return f"L{millis:011X}{count:04X}{secrets.token_hex(3).upper()}"

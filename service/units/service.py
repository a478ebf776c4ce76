"""Re-adjudication: the touched member-days go through the pure engine and back to storage.

Called inside the request's transaction after any change to events or reference data, so an
answer always shows the adjudication of what was just stored, and held lines release by
themselves when what they waited for arrives. Each member is re-adjudicated only as far as its
change can reach (docs/load.md, "A single event costs what its day costs"): what is read and
adjudicated is ``service.units.loading``, what is written back ``service.units.writing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from claims import model as core
from claims.units.reach import counted, settled, under_allowance, window_end
from service import dbkit
from service import models as orm
from service.profiles import ProfileRegistry
from service.units import convert, loading, writing
from service.units import repository as repo
from service.units.touched import Touched
from service.units.writing import Adjudicated

__all__ = ["Adjudicated", "readjudicate"]


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
        loaded = await loading.load(session, members, new_events, known, changed=changed)
        results = loading.adjudicate_all(loaded, members, profiles)
        written.update(await writing.write_events(session, loaded, results, new_events, changed))
        await writing.write_lines(session, loaded, members, results)
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
    ends = _window_ends(unsettled, await repo.counted_by_day(session, starts))
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
    loaded = await loading.load(session, starts, mine, known, until=until, changed=changed)
    results = loading.adjudicate_all(loaded, starts, profiles)
    unsettled: dict[str, _Unsettled] = {}
    for member_id, result in results.items():
        reach = _reach(loaded, member_id, result, until[member_id], profiles)
        if reach is not None:
            unsettled[member_id] = reach
    kept = results.keys() - unsettled.keys()
    if kept:
        mine = {k: v for k, v in mine.items() if v["member_id"] in kept}
        results = {m: results[m] for m in kept}
        written.update(await writing.write_events(session, loaded, results, mine, changed))
        await writing.write_lines(session, loaded, {m: starts[m] for m in kept}, results)
    return kept, unsettled


def _reach(
    loaded: loading.Loaded,
    member_id: str,
    result: core.MemberResult,
    through: date,
    profiles: ProfileRegistry,
) -> _Unsettled | None:
    """None when the member's days after ``through`` bill as before, else what the change
    moved: when every count the re-adjudicated days moved is settled, or the member's kept
    totals stay under the allowance (claims.units.reach.settled, under_allowance). Most single
    events are one of these (a new event adds units)."""
    new = counted(result.lines)
    old = counted(loaded.lines.get(member_id, ()))
    payer_id = loaded.members[member_id].payer_id
    allowance = loading.payer_settings(loaded, payer_id, profiles).units_without_authorization
    before = loading.counters(loaded, member_id)
    auths = tuple(map(convert.authorization, loaded.auths.get(member_id, ())))
    if settled(before, old, new, allowance, auths, through) or under_allowance(
        loaded.kept.get(member_id, {}), old, new, allowance
    ):
        return None
    return _Unsettled(before, old, new, through, allowance, auths)


def _window_ends(
    unsettled: Mapping[str, _Unsettled],
    later: Mapping[str, list[tuple[date, dict[tuple[str, str], int]]]],
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

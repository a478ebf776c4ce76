"""Re-adjudication: the touched member-days go through the pure engine and back to storage.

Called inside the request's transaction after any change to events or reference data, so an
answer always shows the adjudication of what was just stored, and held lines release by
themselves when what they waited for arrives. Each member is re-adjudicated only as far as its
change can reach (docs/load.md, "A single event costs what its day costs"): what is read and
adjudicated is ``service.units.loading``, what is written back ``service.units.writing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from claims import model as core
from claims.units.reach import counted, settled, under_allowance, window_end
from service import dbkit
from service import models as orm
from service.profiles import ProfileRegistry
from service.units import convert, counts, loading, writing
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
    run = _Run(
        session, profiles, new_events or {}, known or repo.Known(), dict(changed_events or {})
    )
    members = await repo.members_touched(session, touched)
    if not members and not run.new_events:
        await dbkit.bulk_update_by_id(session, orm.ServiceEvent, list(run.changed.values()))
        return {}
    await session.flush()
    session.expire_all()  # bulk statements bypass the identity map: read fresh rows
    await dbkit.lock_members(session, members)
    windows = {m: w for m, since in members.items() if (w := touched.window(m)) and w[0] == since}
    if windows:
        kept = await _within_reach(run, windows)
        members = {m: since for m, since in members.items() if m not in kept}
        run.leave_out(kept)
    if members or run.new_events:
        loaded = await loading.load(
            session, members, run.new_events, run.known, changed=run.changed
        )
        results = loading.adjudicate_all(loaded, members, profiles)
        run.written.update(
            await writing.write_events(session, loaded, results, run.new_events, run.changed)
        )
        await writing.write_lines(session, loaded, members, results)
    unwritten = [values for key, values in run.changed.items() if key not in run.written]
    await dbkit.bulk_update_by_id(session, orm.ServiceEvent, unwritten)
    session.expire_all()  # callers that re-query see the new rows
    return run.written


@dataclass
class _Run:
    """What every pass of one re-adjudication reads from and writes to."""

    session: AsyncSession
    profiles: ProfileRegistry
    new_events: Mapping[str, dict[str, Any]]
    known: repo.Known
    changed: dict[str, dict[str, Any]]
    written: Adjudicated = field(default_factory=dict)

    def leave_out(self, done: set[str]) -> None:
        """What is left once the ``done`` members are written."""
        self.new_events = {k: v for k, v in self.new_events.items() if v["member_id"] not in done}
        self.changed = {k: v for k, v in self.changed.items() if k not in self.written}


async def _within_reach(run: _Run, windows: dict[str, tuple[date, date]]) -> set[str]:
    """Members whose events changed on some days only, re-adjudicated as far as the change can
    reach (claims.units.reach, docs/units.md "What a change can move"): the days from the first
    touched through the last, with the kept totals of what came before and after them; when
    later days can move, the days up to the one after which every moved count is settled
    (judged from the stored counts of each later day, confirmed by the re-adjudication);
    members still unsettled are left for the full run from their first day on. A single
    event's window is its day. Returns the members done."""
    starts = {member_id: first for member_id, (first, _) in windows.items()}
    lasts = {member_id: last for member_id, (_, last) in windows.items()}
    done, unsettled = await _settle(run, starts, lasts)
    if not unsettled:
        return done
    after = await counts.counted_by_day(run.session, {m: lasts[m] for m in unsettled})
    ends = _window_ends(unsettled, after)
    if ends:
        more, _ = await _settle(run, {member_id: starts[member_id] for member_id in ends}, ends)
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
    run: _Run, starts: dict[str, date], until: dict[str, date]
) -> tuple[set[str], dict[str, _Unsettled]]:
    """Re-adjudicate each member's days from ``starts`` through ``until`` (with the kept
    totals around them) and write the members whose later days cannot move; returns those,
    and what is known of the others."""
    mine = {k: v for k, v in run.new_events.items() if v["member_id"] in starts}
    loaded = await loading.load(run.session, starts, mine, run.known, until=until,
                                changed=run.changed)  # fmt: skip
    results = loading.adjudicate_all(loaded, starts, run.profiles)
    unsettled: dict[str, _Unsettled] = {}
    for member_id, result in results.items():
        reach = _reach(loaded, member_id, result, until[member_id], run.profiles)
        if reach is not None:
            unsettled[member_id] = reach
    kept = results.keys() - unsettled.keys()
    if kept:
        mine = {k: v for k, v in mine.items() if v["member_id"] in kept}
        results = {m: results[m] for m in kept}
        run.written.update(
            await writing.write_events(run.session, loaded, results, mine, run.changed)
        )
        await writing.write_lines(run.session, loaded, {m: starts[m] for m in kept}, results)
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

"""The YP630 units rules engine (billing-rules.md section 1): one member's events in, every
minute explained and one unit line per member, provider, date and procedure-with-modifiers out.

The result depends only on the set of events, never their order: events are sorted by
(date, start, event_id, version) once, and every later choice follows that order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from itertools import groupby
from operator import attrgetter

from claims.model import (
    MemberContext,
    MemberResult,
    ReasonCode,
    ServiceEvent,
    UnitLine,
)
from claims.units.clock import changing_days, real_minute
from claims.units.day import form_lines, remove_overlap, round_and_cap
from claims.units.dvr import DvrOverlapTable, load_dvr_overlap
from claims.units.exclusions import Exclusions, Finding
from claims.units.holds import Counters, settle_line
from claims.units.ledger import Ledger
from claims.units.lookup import MemberLookup

_ORDER = attrgetter("order")
_DAY = attrgetter("day")


def adjudicate_member(
    events: Sequence[ServiceEvent],
    context: MemberContext,
    dvr_overlap: DvrOverlapTable | None = None,
) -> MemberResult:
    """Adjudicate all of one member's events from some first date onward.

    ``context.counters`` are the units counted before the first date given, so a re-run from a
    date D with counters taken from an earlier result equals the full run for the days >= D.
    """
    look = MemberLookup(context, dvr_overlap if dvr_overlap is not None else load_dvr_overlap())
    first_exclusion = Exclusions(look).first
    counters = Counters(context.counters)
    ledgers = sorted(map(Ledger, events), key=_ORDER)
    lines: list[UnitLine] = []
    zone, year, changing = context.settings.time_zone, 0, frozenset[date]()
    for day, group in groupby(ledgers, key=_DAY):
        if day.year != year:
            year, changing = day.year, changing_days(zone, day.year)
        if day in changing:  # a daylight-saving day: real minutes (units.clock)
            remaining = _in_play(_real_minutes(list(group), zone, day), day, first_exclusion)
        else:
            remaining = _in_play(group, day, first_exclusion)
        if remaining:
            lines.extend(_adjudicate_day(remaining, day, look, counters))
    adjudications = tuple([ledger.result() for ledger in ledgers])
    return MemberResult(adjudications, tuple(lines))


def _real_minutes(group: list[Ledger], zone: str, day: date) -> list[Ledger]:
    """Re-place the day's events at their real minutes from midnight, then re-order them."""
    for ledger in group:
        event = ledger.event
        ledger.start = start = real_minute(zone, day, event.start_time)
        ledger.end = end = max(start, real_minute(zone, day, event.end_time))
        ledger.minutes = ledger.kept = end - start
        ledger.order = (day, start, event.event_id, event.version)
    return sorted(group, key=_ORDER)


def _in_play(
    group: Iterable[Ledger], day: date, first_exclusion: Callable[[ServiceEvent, date], Finding]
) -> list[Ledger]:
    """Steps 1 and 2: a voided event, or one a whole-event rule excludes, loses every minute
    and takes no further part in the day; the others are returned, in order."""
    remaining: list[Ledger] = []
    for ledger in group:
        event = ledger.event
        if event.voided:
            ledger.lose_all(ReasonCode.VOIDED, "event voided")
        elif (finding := first_exclusion(event, day)) is not None:
            ledger.lose_all(*finding)
        else:
            remaining.append(ledger)
    return remaining


def _adjudicate_day(
    remaining: list[Ledger], day: date, look: MemberLookup, counters: Counters
) -> list[UnitLine]:
    """Steps 3 to 6 for the events of one day that no whole-event rule excluded."""
    remove_overlap(remaining)
    lines = form_lines(remaining)
    round_and_cap(lines, look.settings, day)
    return [settle_line(line, day, look, counters) for line in lines]

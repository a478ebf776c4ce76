"""How far a change to a member's days can reach (docs/units.md, "What a change can move").

Days depend on one another only through the units counted before them (claims.units.holds):
per provider toward the first-64 allowance, and per authorization. A change on a day moves the
counts from that day on; a later day bills exactly as before once every count that moved is
*settled* at the start of that day: equal to before, or used up both before and after (a
provider past its allowance bills nothing more without authorization; an authorization with
no units left gives none), or, for an authorization, past its end date (no later day draws
from it). So a re-adjudication reads the member's days from the change up to the first day
after which everything is settled, not the whole rest of its history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from claims.model import Authorization, UnitCounters
from claims.units.holds import Counters

# Units counted per (provider, authorization or "") over some days.
Counted = Mapping[tuple[str, str], int]


def counted(lines: Iterable[Any]) -> dict[tuple[str, str], int]:
    """Units the lines count, per (provider, authorization or ""): ``auth_units``, or each
    authorization's share when a line drew from several (``authorization_draws``). Works on the
    core's UnitLine and on a stored line alike."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        if line.authorization_draws:
            for authorization_id, units in line.authorization_draws:
                sums[(line.provider_id, authorization_id)] += units
        elif line.auth_units:
            sums[(line.provider_id, line.authorization_id or "")] += line.auth_units
    return sums


def totals(before: UnitCounters, days: Counted) -> tuple[dict[str, int], dict[str, int]]:
    """The counters after ``days``: (per provider, per authorization), counted as the engine
    counts them (holds.Counters: a provider's count includes its authorized units)."""
    counters = Counters(before)
    for (provider_id, authorization_id), units in days.items():
        counters.count(provider_id, authorization_id or None, units)
    return counters.by_provider, counters.by_authorization


def settled(
    before: UnitCounters,
    old: Counted,
    new: Counted,
    allowance: int,
    authorizations: Iterable[Authorization],
    through: date,
) -> bool:
    """Whether every day after ``through`` bills as before, when the days from some date
    through ``through`` counted ``old`` before the change and ``new`` after it, on top of
    ``before`` (the counters at the start of those days)."""
    old_provider, old_authorization = totals(before, old)
    new_provider, new_authorization = totals(before, new)
    for provider_id in old_provider.keys() | new_provider.keys():
        was, now = old_provider.get(provider_id, 0), new_provider.get(provider_id, 0)
        if was != now and not (was >= allowance and now >= allowance):
            return False
    limits = {auth.authorization_id: auth for auth in authorizations}
    for authorization_id in old_authorization.keys() | new_authorization.keys():
        was = old_authorization.get(authorization_id, 0)
        now = new_authorization.get(authorization_id, 0)
        auth = limits.get(authorization_id)
        if was != now and not (auth is not None and _spent(auth, was, now, through)):
            return False
    return True


def _spent(auth: Authorization, was: int, now: int, through: date) -> bool:
    """No later day can draw from ``auth`` differently: it has ended, or has no units left
    either way."""
    return auth.end_date <= through or (was >= auth.units and now >= auth.units)


def under_allowance(kept: Mapping[str, int], old: Counted, new: Counted, allowance: int) -> bool:
    """Whether no day of the member can move: only units without authorization moved, and each
    moved provider's kept total (all its days) was under the allowance before the change and
    is at most the allowance after it (billing-rules 1.2, holds.authorize): no line was, or
    would be, held for want of an authorization, whatever the counts before it. A total of
    exactly the allowance before may have held part of a later line, so it is not enough."""
    moved = {key for key in new.keys() | old.keys() if new.get(key, 0) != old.get(key, 0)}
    if any(authorization_id for _, authorization_id in moved):
        return False
    for provider_id in {provider_id for provider_id, _ in moved}:
        before = kept.get(provider_id, 0)
        after = before + new.get((provider_id, ""), 0) - old.get((provider_id, ""), 0)
        if not (before < allowance and after <= allowance):
            return False
    return True


def window_end(
    before: UnitCounters,
    old_day: Counted,
    new_day: Counted,
    day: date,
    later: Sequence[tuple[date, Counted]],
    allowance: int,
    authorizations: Sequence[Authorization],
) -> date | None:
    """The first date from ``day`` on after which a change of ``day``'s counts (``old_day`` to
    ``new_day``) should be settled, judged from the stored counts of the later days (``later``,
    in date order) as if each counted the same after the change: an estimate, to be confirmed
    with ``settled`` once the days up to it are re-adjudicated. None: not within the days known.
    """
    old, new = dict(old_day), dict(new_day)
    if settled(before, old, new, allowance, authorizations, day):
        return day
    for later_day, counts in later:
        for key, units in counts.items():
            old[key] = old.get(key, 0) + units
            new[key] = new.get(key, 0) + units
        if settled(before, old, new, allowance, authorizations, later_day):
            return later_day
    return None

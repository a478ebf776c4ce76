"""Real elapsed minutes in the payer's time zone (docs/units.md, "Real minutes").

An event's times are wall-clock times of its service date in the payer's zone. On most days a
wall-clock minute is a real minute and the engine's minute-of-day arithmetic is exact; on a day
whose UTC offset changes (daylight saving), each time is placed at its real distance from local
midnight, so 01:30-03:30 on the spring-forward day is 60 minutes and 00:30-03:30 on the
fall-back day is 240. An ambiguous time (fall back) is its first occurrence; a time inside the
skipped hour reads at the offset before the change (zoneinfo's fold=0); an end read before its
start counts 0 minutes, never fewer.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_MIDNIGHT = time(0)
_DAY = timedelta(days=1)


def offset_changes(zone: str, day: date) -> bool:
    """Whether ``day`` is not 24 hours long in ``zone``."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, _MIDNIGHT, tzinfo=tz)
    end = datetime.combine(day + _DAY, _MIDNIGHT, tzinfo=tz)
    return start.utcoffset() != end.utcoffset()


@lru_cache(maxsize=256)
def changing_days(zone: str, year: int) -> frozenset[date]:
    """The days of ``year`` whose UTC offset changes in ``zone``, worked out once per zone and
    year: the engine asks per member-day, and a set look-up is what that can afford."""
    first = date(year, 1, 1)
    days = (first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days))
    return frozenset(day for day in days if offset_changes(zone, day))


@lru_cache(maxsize=1024)
def _change(zone: str, day: date) -> tuple[int, int]:
    """The first wall-clock minute of ``day`` read at the new offset (fold=0), and the change in
    minutes: (1440, 0) when none. Found by bisection, about 11 offset look-ups per day."""
    tz = ZoneInfo(zone)

    def offset(minute: int) -> timedelta | None:
        return datetime.combine(day, time(*divmod(minute, 60)), tzinfo=tz).utcoffset()

    before, low, high = offset(0), 0, 24 * 60
    while low < high:
        middle = (low + high) // 2
        if offset(middle) != before:
            high = middle
        else:
            low = middle + 1
    after = offset(low) if low < 24 * 60 else before
    if after is None or before is None:
        return 24 * 60, 0
    return low, int((after - before).total_seconds()) // 60


def real_minute(zone: str, day: date, at: time) -> int:
    """Real minutes from local midnight of ``day`` to the wall-clock time ``at``."""
    first_changed, change = _change(zone, day)
    minute = at.hour * 60 + at.minute
    return minute - change if minute >= first_changed else minute

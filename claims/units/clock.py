"""Real elapsed minutes in the payer's time zone (docs/billing-rules.md, "Real minutes").

An event's times are wall-clock times of its service date in the payer's zone. On most days a
wall-clock minute is a real minute and the engine's minute-of-day arithmetic is exact; on a day
whose UTC offset changes (daylight saving), each time is placed at its real distance from local
midnight, so 01:30-03:30 on the spring-forward day is 60 minutes and 00:30-03:30 on the
fall-back day is 240. An ambiguous time (fall back) is its first occurrence; a time inside the
skipped hour reads at the offset before the change (zoneinfo's fold=0); an end read before its
start counts 0 minutes, never fewer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_MIDNIGHT = time(0)
_DAY = timedelta(days=1)


@lru_cache(maxsize=8192)
def offset_changes(zone: str, day: date) -> bool:
    """Whether ``day`` is not 24 hours long in ``zone`` (asked once per zone and day)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, _MIDNIGHT, tzinfo=tz)
    end = datetime.combine(day + _DAY, _MIDNIGHT, tzinfo=tz)
    return start.utcoffset() != end.utcoffset()


def real_minute(zone: str, day: date, at: time) -> int:
    """Real minutes from local midnight of ``day`` to the wall-clock time ``at``."""
    tz = ZoneInfo(zone)
    # Aware datetimes of one tzinfo subtract as wall times: compare in UTC instead.
    midnight = datetime.combine(day, _MIDNIGHT, tzinfo=tz).astimezone(UTC)
    moment = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=tz).astimezone(UTC)
    return int((moment - midnight).total_seconds()) // 60

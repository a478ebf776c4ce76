"""One member-day's arithmetic: overlap, lines, rounding and the daily cap (billing-rules 1.1)."""

from __future__ import annotations

from datetime import date

from claims.model import ReasonCode, RuleSettings
from claims.units.ledger import Ledger, Line, take_latest_first
from claims.units.rounding import UNIT_MINUTES, units_for_minutes


def remove_overlap(ledgers: list[Ledger]) -> None:
    """Count overlapping minutes once (billing-rules 1.1.4).

    ``ledgers`` are in priority order (start, event_id): the earlier-starting event keeps the
    minutes, the later one loses them as ``overlapping_time``. Because starts only grow, the
    time already covered that a new event can meet is one interval ending at ``reach``, so a
    chain of three or more events loses exactly the union already covered.
    """
    reach = -1
    for index, ledger in enumerate(ledgers):
        start, end = ledger.start, ledger.end
        lost = (end if end < reach else reach) - start
        if lost > 0:
            others = [o.event.event_id for o in ledgers[:index] if o.end > start]
            ledger.lose(ReasonCode.OVERLAPPING_TIME, lost, "overlaps event " + ", ".join(others))
        if end > reach:
            reach = end


def form_lines(ledgers: list[Ledger]) -> list[Line]:
    """One line per provider and procedure-with-modifiers, from events with minutes left."""
    if len(ledgers) == 1 and ledgers[0].kept > 0:  # the common quiet day: one event, one line
        only = ledgers[0]
        single = Line(only.event.provider_id, only.modifiers)
        single.ledgers.append(only)
        single.minutes = only.kept
        return [single]
    lines: dict[tuple[str, tuple[str, ...]], Line] = {}
    for ledger in ledgers:
        if ledger.kept <= 0:
            continue  # wholly overlapped: it adds nothing to any line
        key = (ledger.event.provider_id, ledger.modifiers)
        line = lines.get(key)
        if line is None:
            line = lines[key] = Line(*key)
        line.ledgers.append(ledger)
        line.minutes += ledger.kept
    return [lines[key] for key in sorted(lines)]


def round_and_cap(lines: list[Line], settings: RuleSettings, day: date) -> None:
    """Units from each line's day total, then the member's daily cap over all lines."""
    total = 0
    for line in lines:
        line.rounded = line.units = units = units_for_minutes(line.minutes, settings.rounding)
        total += units
    if total > settings.daily_unit_cap:
        _apply_cap(lines, total - settings.daily_unit_cap)
    for line in lines:
        if line.units < line.rounded:
            cap_detail = f"member reached {settings.daily_unit_cap} units on {day.isoformat()}"
            # A capped line keeps units*15 minutes; the rest, rounding remainder included, is
            # the cap's (YP630 def., Attachment A: "up to 32 units a day").
            take_latest_first(line.ledgers, line.minutes - line.units * UNIT_MINUTES,
                              ReasonCode.DAILY_CAP, cap_detail)  # fmt: skip
        else:
            _drop_remainder(line, settings)


def _apply_cap(lines: list[Line], excess: int) -> None:
    # billing-rules 1.1.6: units come off the line(s) whose minutes came last in the day.
    for line in sorted(lines, key=Line.last_in_day, reverse=True):
        cut = min(excess, line.units)
        line.units -= cut
        excess -= cut
        if excess == 0:
            return


def _drop_remainder(line: Line, settings: RuleSettings) -> None:
    # billing-rules 1.1.5: minutes that rounding drops go on the day's last event of the line;
    # when rounding rounds up (23 minutes -> 2 units) nothing is dropped.
    dropped = line.minutes - line.units * UNIT_MINUTES
    if dropped > 0:
        detail = (
            f"{dropped} of the line's {line.minutes} min dropped by {settings.rounding} rounding"
        )
        take_latest_first(line.ledgers, dropped, ReasonCode.BELOW_UNIT_THRESHOLD, detail)

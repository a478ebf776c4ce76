"""One member-day's arithmetic: overlap, lines, rounding and the daily cap (billing-rules 1.1).

Every minute is accounted for on a ledger per event: what stays in play (``kept``) and why the
rest left (reasons). Deductions that belong to a line as a whole are taken from its latest
events first ("units are removed from the line(s) whose minutes came last in the day").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from claims.model import (
    BC_MODIFIER,
    PROCEDURE,
    Activity,
    Reason,
    ReasonCode,
    Rounding,
    ServiceEvent,
)

UNIT_MINUTES = 15
BC_MODIFIER_TUPLE = (BC_MODIFIER,)
BC_KEY = f"{PROCEDURE}:{BC_MODIFIER}"


@dataclass(slots=True)
class Ledger:
    event: ServiceEvent
    kept: int
    reasons: list[Reason] = field(default_factory=list)
    billable: int = 0
    start: int = 0  # minutes after midnight, read once from the event (hot path)
    end: int = 0

    @classmethod
    def of(cls, event: ServiceEvent) -> Ledger:
        start, end = event.start_minute, event.end_minute
        return cls(event, end - start, [], 0, start, end)

    def lose(self, code: ReasonCode, minutes: int, detail: str) -> None:
        if minutes > 0:
            self.kept -= minutes
            self.reasons.append(Reason(code, minutes, detail))

    def note(self, code: ReasonCode, detail: str) -> None:
        self.reasons.append(Reason(code, 0, detail))


@dataclass(slots=True)
class Line:
    provider_id: str
    modifiers: tuple[str, ...]
    ledgers: list[Ledger]  # in time order
    procedure_key: str = PROCEDURE
    minutes: int = 0
    units: int = 0  # after rounding, then after the cap

    @property
    def latest_first(self) -> list[Ledger]:
        return self.ledgers[::-1]

    @property
    def last_end(self) -> tuple[int, int, str]:
        last = max(self.ledgers, key=lambda x: (x.end, x.start))
        return last.end, last.start, self.procedure_key


def units_for_minutes(minutes: int, rounding: Rounding) -> int:
    """billing-rules 1.1.5: ``midpoint`` needs 8 minutes for a unit (the CMS/CPT timed-code
    rule, floor((m + 7) / 15)); ``whole`` counts whole quarter hours only."""
    if rounding is Rounding.MIDPOINT:
        return (minutes + 7) // UNIT_MINUTES
    return minutes // UNIT_MINUTES


def take(ledgers: list[Ledger], minutes: int, code: ReasonCode, detail: str) -> None:
    """Take ``minutes`` from the given ledgers in order, each giving what it still keeps."""
    for ledger in ledgers:
        if minutes <= 0:
            return
        part = min(ledger.kept, minutes)
        ledger.lose(code, part, detail)
        minutes -= part


def remove_overlap(ledgers: list[Ledger]) -> None:
    """billing-rules 1.1.4: overlapping minutes count once, kept on the earlier-starting event
    (ties: the lower event_id); the other loses them as ``overlapping_time``.

    ``ledgers`` come in (start, event_id) order, the engine's sort of the day."""
    covered: list[tuple[int, int, str]] = []
    reach = -1  # the latest end so far: an event starting at or after it overlaps nothing
    for ledger in ledgers:
        start, end = ledger.start, ledger.end
        if start < reach:
            lost, owners = _covered_minutes(start, end, covered)
            if lost:
                detail = f"overlaps {', '.join(sorted(owners))}: counted once"
                ledger.lose(ReasonCode.OVERLAPPING_TIME, lost, detail)
        covered.append((start, end, ledger.event.event_id))
        reach = max(reach, end)


def _covered_minutes(
    start: int, end: int, covered: list[tuple[int, int, str]]
) -> tuple[int, set[str]]:
    spans = sorted(
        (max(start, s), min(end, e), owner) for s, e, owner in covered if s < end and e > start
    )
    lost, cursor, owners = 0, start, set()
    for s, e, owner in spans:
        owners.add(owner)
        if e > cursor:
            lost += e - max(s, cursor)
            cursor = e
    return lost, owners


def build_lines(ledgers: list[Ledger], rounding: Rounding) -> list[Line]:
    """billing-rules 1.1.3 and 1.1.5: one line per provider and procedure-with-modifiers, units
    from the day's total minutes on that line; dropped minutes go to its last event."""
    lines: dict[tuple[str, bool], Line] = {}
    for ledger in ledgers:
        if ledger.kept <= 0:
            continue
        event = ledger.event
        key = (event.provider_id, event.activity is Activity.BENEFITS_COUNSELING)
        line = lines.get(key)
        if line is None:
            line = lines[key] = _new_line(*key)
        line.ledgers.append(ledger)
        line.minutes += ledger.kept
    for line in lines.values():
        line.units = units_for_minutes(line.minutes, rounding)
    if len(lines) == 1:
        return list(lines.values())
    return sorted(lines.values(), key=lambda x: (x.provider_id, x.procedure_key))


def _new_line(provider_id: str, benefits_counseling: bool) -> Line:
    # billing-rules 1.1.3: benefits counseling is YP630 with modifier BC, its own line.
    if benefits_counseling:
        return Line(provider_id, BC_MODIFIER_TUPLE, [], BC_KEY)
    return Line(provider_id, (), [], PROCEDURE)


def apply_rounding(line: Line) -> None:
    """After the cap: a capped line already gave its remainder up as ``daily_cap``."""
    dropped = sum(x.kept for x in line.ledgers) - line.units * UNIT_MINUTES
    if dropped > 0:
        take(
            line.latest_first,
            dropped,
            ReasonCode.BELOW_UNIT_THRESHOLD,
            f"{line.minutes} minutes make {line.units} unit(s); {dropped} below a unit",
        )


def apply_cap(lines: list[Line], cap: int, day: date) -> None:
    """billing-rules 1.1.6: at most ``daily_unit_cap`` units a member-day over all lines; the
    excess comes off the line(s) whose minutes came last in the day."""
    excess = sum(line.units for line in lines) - cap
    if excess <= 0:
        return
    for line in sorted(lines, key=lambda x: x.last_end, reverse=True):
        if excess <= 0:
            break
        removed = min(excess, line.units)
        if removed == 0:
            continue  # a line with no unit gives none; its minutes stay a rounding drop
        line.units -= removed
        excess -= removed
        keep = line.units * UNIT_MINUTES
        kept_now = sum(x.kept for x in line.ledgers)
        take(
            line.latest_first,
            kept_now - keep,
            ReasonCode.DAILY_CAP,
            f"member reached {cap} units on {day.isoformat()}",
        )

"""Working state of one adjudication: a minute ledger per event and the lines of a day.

Every event's minutes are accounted for: ``kept`` is what is still billable, and every minute
that leaves it is written under a reason. At the end billable_minutes == kept, which makes the
invariant minutes == billable_minutes + sum(reason minutes) hold by construction.
"""

from __future__ import annotations

from claims.model import (
    HOLD_REASONS,
    PROCEDURE,
    Adjudication,
    EventStatus,
    Reason,
    ReasonCode,
    ServiceEvent,
)
from claims.units.rounding import modifiers_for, procedure_key


class Ledger:
    __slots__ = ("event", "day", "start", "end", "order", "minutes", "kept", "modifiers", "reasons")

    def __init__(self, event: ServiceEvent) -> None:
        self.event = event
        self.day = day = event.service_date
        start, end = event.start_time, event.end_time
        self.start = first = start.hour * 60 + start.minute
        self.end = last = end.hour * 60 + end.minute
        # The one order every later choice follows: date, start, event_id (then version).
        self.order = (day, first, event.event_id, event.version)
        self.minutes = self.kept = last - first
        self.modifiers = modifiers_for(event.activity)
        # Made at the first loss: most events lose nothing, and a dict each was measurable.
        self.reasons: dict[ReasonCode, tuple[int, str]] | None = None

    def lose(self, code: ReasonCode, minutes: int, detail: str) -> None:
        """Move ``minutes`` of the kept time under ``code``; 0 records the reason only."""
        self.kept -= minutes
        reasons = self.reasons
        if reasons is None:
            self.reasons = {code: (minutes, detail)}
            return
        known = reasons.get(code)
        if known is None:
            reasons[code] = (minutes, detail)
        else:  # one Reason per code and event: minutes summed, details listed once
            text = known[1] if detail in known[1].split("; ") else f"{known[1]}; {detail}"
            reasons[code] = (known[0] + minutes, text)

    def lose_all(self, code: ReasonCode, detail: str) -> None:
        self.lose(code, self.kept, detail)

    def result(self) -> Adjudication:
        event, reasons, kept, minutes = self.event, self.reasons, self.kept, self.minutes
        if reasons is None:  # nothing lost: kept == minutes
            status = EventStatus.EXCLUDED if kept <= 0 else EventStatus.BILLABLE
            return Adjudication(event.event_id, event.version, status, minutes, kept, (),
                                PROCEDURE, self.modifiers)  # fmt: skip
        if kept > 0:
            status = EventStatus.BILLABLE if kept == minutes else EventStatus.PARTIAL
        else:
            status = _held_or_excluded(reasons)
        found = [Reason(code, lost, detail) for code, (lost, detail) in reasons.items()]
        return Adjudication(event.event_id, event.version, status, minutes, kept, tuple(found),
                            PROCEDURE, self.modifiers)  # fmt: skip


def _held_or_excluded(reasons: dict[ReasonCode, tuple[int, str]]) -> EventStatus:
    """Nothing billable: held while a hold reason has minutes (they may still be released)."""
    for code, (lost, _) in reasons.items():
        if lost > 0 and code in HOLD_REASONS:
            return EventStatus.HELD
    return EventStatus.EXCLUDED


class Line:
    """One (provider, procedure-with-modifiers) group of a member-day; ledgers in time order."""

    __slots__ = ("provider_id", "modifiers", "key", "ledgers", "minutes", "units", "rounded")

    def __init__(self, provider_id: str, modifiers: tuple[str, ...]) -> None:
        self.provider_id = provider_id
        self.modifiers = modifiers
        self.key = procedure_key(modifiers)
        self.ledgers: list[Ledger] = []
        self.minutes = 0  # the day's kept minutes after overlap (UnitLine.minutes)
        self.rounded = 0  # units after rounding
        self.units = 0  # units after the daily cap

    def retained(self) -> int:
        kept = 0
        for ledger in self.ledgers:  # a plain loop: cheaper than sum() over a generator
            kept += ledger.kept
        return kept

    def last_in_day(self) -> tuple[int, int, str, tuple[str, ...]]:
        """Sort key for the cap: the line's last event's end, then its start, then the key."""
        last = max(self.ledgers, key=lambda ledger: (ledger.end, ledger.start))
        return (last.end, last.start, self.provider_id, self.modifiers)


def take_latest_first(ledgers: list[Ledger], minutes: int, code: ReasonCode, detail: str) -> None:
    """Deduct a line-level loss from its latest events first (latest start, then higher id)."""
    for ledger in reversed(ledgers):
        if minutes <= 0:
            return
        taken = minutes if minutes < ledger.kept else ledger.kept  # min() is a call per event
        if taken > 0:
            ledger.lose(code, taken, detail)
            minutes -= taken

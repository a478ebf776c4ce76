"""Working state of one adjudication: a minute ledger per event and the lines of a day.

Every event's minutes are accounted for: ``kept`` is what is still billable, and every minute
that leaves it is written under a reason. At the end billable_minutes == kept, which makes the
invariant minutes == billable_minutes + sum(reason minutes) hold by construction.
"""

from __future__ import annotations

from claims.model import HOLD_REASONS, Adjudication, EventStatus, Reason, ReasonCode, ServiceEvent
from claims.units.rounding import modifiers_for, procedure_key


class Ledger:
    __slots__ = ("event", "start", "end", "minutes", "kept", "modifiers", "reasons")

    def __init__(self, event: ServiceEvent) -> None:
        self.event = event
        self.start = event.start_minute
        self.end = event.end_minute
        self.minutes = self.end - self.start
        self.kept = self.minutes
        self.modifiers = modifiers_for(event.activity)
        self.reasons: dict[ReasonCode, tuple[int, str]] = {}

    def lose(self, code: ReasonCode, minutes: int, detail: str) -> None:
        """Move ``minutes`` of the kept time under ``code``; 0 records the reason only."""
        self.kept -= minutes
        known = self.reasons.get(code)
        if known is None:
            self.reasons[code] = (minutes, detail)
        else:  # one Reason per code and event: minutes summed, details listed once
            text = known[1] if detail in known[1].split("; ") else f"{known[1]}; {detail}"
            self.reasons[code] = (known[0] + minutes, text)

    def lose_all(self, code: ReasonCode, detail: str) -> None:
        self.lose(code, self.kept, detail)

    def result(self) -> Adjudication:
        reasons = tuple(Reason(code, m, detail) for code, (m, detail) in self.reasons.items())
        return Adjudication(
            event_id=self.event.event_id,
            event_version=self.event.version,
            status=self._status(),
            minutes=self.minutes,
            billable_minutes=self.kept,
            reasons=reasons,
            modifiers=self.modifiers,
        )

    def _status(self) -> EventStatus:
        if self.kept == self.minutes and self.kept > 0:
            return EventStatus.BILLABLE
        if self.kept > 0:
            return EventStatus.PARTIAL
        held = any(m > 0 for code, (m, _) in self.reasons.items() if code in HOLD_REASONS)
        return EventStatus.HELD if held else EventStatus.EXCLUDED


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
        return sum(ledger.kept for ledger in self.ledgers)

    def last_in_day(self) -> tuple[int, int, str, tuple[str, ...]]:
        """Sort key for the cap: the line's last event's end, then its start, then the key."""
        last = max(self.ledgers, key=lambda ledger: (ledger.end, ledger.start))
        return (last.end, last.start, self.provider_id, self.modifiers)


def take_latest_first(ledgers: list[Ledger], minutes: int, code: ReasonCode, detail: str) -> None:
    """Deduct a line-level loss from its latest events first (latest start, then higher id)."""
    for ledger in reversed(ledgers):
        if minutes <= 0:
            return
        taken = min(minutes, ledger.kept)
        if taken > 0:
            ledger.lose(code, taken, detail)
            minutes -= taken

"""The member-days a change can affect: each member from the earliest date touched onward.

Only these are re-adjudicated. Later days of a touched member are included because the
first-64-units allowance and authorizations are counted in date-of-service order
(billing-rules.md 1.2), so a change on one day can move what later days may bill.

An event's change is local to its own day (``add_day``): days depend on one another only
through those counts (claims.units.engine.adjudicate_member), so when the days' counted units
come out as before, the later days cannot move and are not re-read
(service.units.service.readjudicate; several days: their ``window``, first to last). A change
of reference data (``add``) can move every day from a date on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Touched:
    members: dict[str, date] = field(default_factory=dict)
    payers: dict[str, date] = field(default_factory=dict)  # each member of the payer from then
    providers: dict[str, date] = field(default_factory=dict)  # members with its events from then
    days: dict[str, set[date]] = field(default_factory=dict)  # changed on these days only
    onward: set[str] = field(default_factory=set)  # changed from members[...] onward

    def add(self, member_id: str, since: date) -> None:
        self._since(member_id, since)
        self.onward.add(member_id)

    def add_day(self, member_id: str, day: date) -> None:
        self._since(member_id, day)
        self.days.setdefault(member_id, set()).add(day)

    def _since(self, member_id: str, since: date) -> None:
        current = self.members.get(member_id)
        if current is None or since < current:
            self.members[member_id] = since

    def window(self, member_id: str) -> tuple[date, date] | None:
        """The member's first and last touched days, when only days of it changed (events),
        not everything from a date on (reference data): the days between them are read and
        re-adjudicated whole, and the days after them only as far as the change can reach."""
        days = self.days.get(member_id)
        if member_id in self.onward or not days:
            return None
        return min(days), max(days)

    def add_payer(self, payer_id: str, since: date) -> None:
        current = self.payers.get(payer_id)
        if current is None or since < current:
            self.payers[payer_id] = since

    def add_provider(self, provider_id: str, since: date) -> None:
        """The members with an event of the provider from ``since``: found when re-adjudicated
        (service.units.repository.members_touched), not by the write that names them."""
        current = self.providers.get(provider_id)
        if current is None or since < current:
            self.providers[provider_id] = since

    def __bool__(self) -> bool:
        return bool(self.members or self.payers or self.providers)

"""The member-days a change can affect: each member from the earliest date touched onward.

Only these are re-adjudicated. Later days of a touched member are included because the
first-64-units allowance and authorizations are counted in date-of-service order
(billing-rules.md 1.2), so a change on one day can move what later days may bill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Touched:
    members: dict[str, date] = field(default_factory=dict)
    payers: dict[str, date] = field(default_factory=dict)

    def add(self, member_id: str, since: date) -> None:
        current = self.members.get(member_id)
        if current is None or since < current:
            self.members[member_id] = since

    def add_payer(self, payer_id: str, since: date) -> None:
        current = self.payers.get(payer_id)
        if current is None or since < current:
            self.payers[payer_id] = since

    def __bool__(self) -> bool:
        return bool(self.members or self.payers)

"""A claim of a batch being built: what it carries while its page is written and recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from claims.lifecycle import Frequency
from service import models as orm


@dataclass(slots=True)
class PlannedClaim:
    """Held for every claim of the batch while it is written: slots and shared empty tuples
    keep it small (a 50,000-claim plan was 28 MB more than a 10,000-claim one, now about 9)."""

    member_id: str
    provider_id: str
    month: str
    frequency: str
    lines: Sequence[orm.UnitLine]
    replaces: orm.Claim | None = None
    claim_id: str = ""
    st_number: int = 0
    original_lines: Sequence[orm.ClaimLine] = ()
    dropped: Sequence[orm.UnitLine] = ()  # replaced lines now at 0 units
    # A new claim's lines are loaded with its page: lines [offset, offset + size) of its member,
    # provider and month in billing order (service date, procedure), and let go once written.
    offset: int = 0
    size: int = 0

    @property
    def is_new(self) -> bool:
        return self.replaces is None

    @property
    def total(self) -> Decimal:
        if self.frequency == Frequency.VOID:
            return sum((line.charge for line in self.original_lines), Decimal("0.00"))
        return sum((line.charge for line in self.lines), Decimal("0.00"))

    @property
    def line_count(self) -> int:
        return len(self.original_lines) if self.frequency == Frequency.VOID else len(self.lines)

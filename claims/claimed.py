"""What a freshly adjudicated line becomes given its claim history (billing-rules.md 1.2, 2).

Pure: the service passes what it stored about the line and the claim; this decides the status.
"""

from __future__ import annotations

from decimal import Decimal

from msgspec import Struct

from claims.model import LineStatus, ReasonCode


class ClaimHistory(Struct, frozen=True, gc=False):
    """What is stored about a line's earlier claim (or its expiry), if anything."""

    claim_id: str | None
    claimed_units: int | None
    claimed_charge: Decimal | None
    payer_claim_number_known: bool
    filing_expired: bool  # timely filing ran out when a batch first tried the line


class LineState(Struct, frozen=True, gc=False):
    status: LineStatus
    hold_reason: ReasonCode | None
    charge: Decimal


# billing-rules 1.2: a line past timely filing when a batch first tries it. The batch writes
# exactly this onto the lines its cut-off query finds (claims.units.timely.filing_cutoff), and
# every later re-adjudication of the day keeps it (``line_state``): one verdict, one place.
EXPIRED_LINE = LineState(LineStatus.EXCLUDED, ReasonCode.TIMELY_FILING_EXPIRED, Decimal("0.00"))


def line_state(
    status: LineStatus,
    hold_reason: ReasonCode | None,
    units: int,
    charge: Decimal,
    history: ClaimHistory,
) -> LineState:
    """The engine's verdict on a line, corrected by what happened to it at claim time."""
    if history.claim_id is None:
        if history.filing_expired and status is LineStatus.BILLABLE:
            # billing-rules 1.2: timely_filing_expired [excluded]; a later correction of the
            # day's events does not bring an expired date back.
            return EXPIRED_LINE
        return LineState(status, hold_reason, charge)
    if units == history.claimed_units and charge == history.claimed_charge:
        return LineState(LineStatus.CLAIMED, None, charge)
    if not history.payer_claim_number_known:
        # billing-rules 2: "a claimed day whose units change before that number is known is
        # held as awaiting_payer_claim_number" (replacements and voids carry REF*F8).
        return LineState(LineStatus.HELD, ReasonCode.AWAITING_PAYER_CLAIM_NUMBER, charge)
    return LineState(status, hold_reason, charge)

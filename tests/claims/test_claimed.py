"""A line's state after claiming: unchanged stays claimed; a change waits for the payer's number."""

from __future__ import annotations

from decimal import Decimal

from claims.claimed import ClaimHistory, line_state
from claims.model import LineStatus, ReasonCode

RATE = Decimal("6.50")


def history(
    claim_id: str | None = "IPS1", units: int | None = 3, known: bool = False, expired: bool = False
) -> ClaimHistory:
    charge = None if units is None else RATE * units
    return ClaimHistory(claim_id, units, charge, known, expired)


def test_unchanged_claimed_line_stays_claimed() -> None:
    state = line_state(LineStatus.BILLABLE, None, 3, RATE * 3, history())
    assert (state.status, state.hold_reason) == (LineStatus.CLAIMED, None)


def test_changed_line_waits_for_the_payer_claim_number() -> None:
    state = line_state(LineStatus.BILLABLE, None, 4, RATE * 4, history())
    assert (state.status, state.hold_reason) == (
        LineStatus.HELD,
        ReasonCode.AWAITING_PAYER_CLAIM_NUMBER,
    )


def test_changed_line_is_billable_again_once_the_number_is_known() -> None:
    state = line_state(LineStatus.BILLABLE, None, 4, RATE * 4, history(known=True))
    assert (state.status, state.hold_reason) == (LineStatus.BILLABLE, None)


def test_a_line_dropped_to_zero_after_claiming_also_waits() -> None:
    state = line_state(LineStatus.EXCLUDED, None, 0, Decimal("0.00"), history())
    assert state.hold_reason is ReasonCode.AWAITING_PAYER_CLAIM_NUMBER


def test_an_expired_unclaimed_line_never_comes_back() -> None:
    state = line_state(
        LineStatus.BILLABLE, None, 3, RATE * 3, history(claim_id=None, units=None, expired=True)
    )
    assert (state.status, state.hold_reason, state.charge) == (
        LineStatus.EXCLUDED,
        ReasonCode.TIMELY_FILING_EXPIRED,
        Decimal("0.00"),
    )


def test_a_held_expired_line_keeps_its_hold_until_it_would_bill() -> None:
    state = line_state(
        LineStatus.HELD,
        ReasonCode.MISSING_SERVICE_NOTE,
        0,
        Decimal("0.00"),
        history(claim_id=None, units=None, expired=True),
    )
    assert state.hold_reason is ReasonCode.MISSING_SERVICE_NOTE

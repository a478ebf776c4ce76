"""Claim and invoice statuses move only as claims.lifecycle's table says (docs/edi.md, "Claim
statuses"): every allowed transition is taken, every other event leaves the status alone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.inbound.model import Payment, RemitClaim, RemitOutcome
from claims.inbound.remit_checks import BilledClaim, failed_checks
from claims.invoices import InvoiceStatus
from claims.lifecycle import (
    REMIT_EVENT,
    TRANSITIONS,
    BatchStatus,
    ClaimEvent,
    ClaimStatus,
    Frequency,
    InvoiceEvent,
    invoice_payment,
    transition,
)

# docs/edi.md, "Claim statuses", transcribed: event -> (from, to), by the stored values.
UNDECIDED = {"generated", "accepted", "rejected"}
CLAIM_TABLE = {
    "ta1_rejected": ({"generated"}, "rejected"),
    "999_rejected": ({"generated"}, "rejected"),
    "277ca_accepted": ({"generated", "rejected"}, "accepted"),
    "277ca_rejected": (UNDECIDED, "rejected"),
    "835_paid": (UNDECIDED, "paid"),
    "835_partially_paid": (UNDECIDED, "partially_paid"),
    "835_denied": (UNDECIDED, "denied"),
    "835_reversed": ({"paid", "partially_paid", "denied"}, "accepted"),
}
INVOICE_TABLE = {
    "invoice_paid_in_part": ({"sent", "partially_paid"}, "partially_paid"),
    "invoice_paid_in_full": ({"sent", "partially_paid"}, "paid"),
}


def test_the_stored_and_wire_values_never_change() -> None:
    assert [s.value for s in ClaimStatus] == [
        "generated", "accepted", "rejected", "paid", "partially_paid", "denied", "void",
    ]  # fmt: skip
    assert [s.value for s in BatchStatus] == [
        "released", "accepted", "partially_accepted", "rejected",
    ]  # fmt: skip
    assert [s.value for s in InvoiceStatus] == ["sent", "partially_paid", "paid"]
    assert [f.value for f in Frequency] == ["1", "7", "8"]


def test_the_table_is_the_documented_one_and_names_every_event() -> None:
    assert set(TRANSITIONS) == set(ClaimEvent) | set(InvoiceEvent)
    both = {**CLAIM_TABLE, **INVOICE_TABLE}
    assert {e.value: ({s.value for s in f}, t.value) for e, (f, t) in TRANSITIONS.items()} == both


@given(st.sampled_from(ClaimStatus), st.sampled_from(ClaimEvent))
def test_a_claim_moves_exactly_as_the_table_says(status: ClaimStatus, event: ClaimEvent) -> None:
    sources, target = CLAIM_TABLE[event.value]
    moved = transition(status, event)
    if status.value in sources:
        assert moved is ClaimStatus(target)
    else:
        assert moved is None  # refused: the claim keeps its status


@given(st.sampled_from(InvoiceStatus), st.sampled_from(InvoiceEvent))
def test_an_invoice_moves_exactly_as_the_table_says(
    status: InvoiceStatus, event: InvoiceEvent
) -> None:
    sources, target = INVOICE_TABLE[event.value]
    moved = transition(status, event)
    assert moved == (InvoiceStatus(target) if status.value in sources else None)


def test_a_stored_string_moves_like_its_member() -> None:
    assert transition(ClaimStatus("generated"), ClaimEvent.ACK_ACCEPTED) is ClaimStatus.ACCEPTED


def test_nothing_moves_a_void_or_a_paid_invoice() -> None:
    assert all(transition(ClaimStatus.VOID, e) is None for e in ClaimEvent)
    assert all(transition(InvoiceStatus.PAID, e) is None for e in InvoiceEvent)


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_a_payment_is_in_full_exactly_when_nothing_is_outstanding(paid: int, total: int) -> None:
    event = invoice_payment(Decimal(paid) / 100, Decimal(total) / 100)
    assert (event is InvoiceEvent.PAID_IN_FULL) == (paid >= total)


def test_every_remittance_outcome_has_its_event() -> None:
    assert set(REMIT_EVENT) == set(RemitOutcome)


PAYMENT = Payment(
    "0001", "I", Decimal("0"), "C", "ACH", None, "T1", "1", "PAYER", "NCLMEMCO", "P", "1234567893",
    None, (), (), payer_ids=("NCLMEMCO",), payee_id_qualifier="XX",
)  # fmt: skip


@pytest.mark.parametrize("status", list(ClaimStatus))
@pytest.mark.parametrize("outcome", list(RemitOutcome))
def test_a_remittance_is_held_when_the_claims_status_does_not_take_it(
    status: ClaimStatus, outcome: RemitOutcome
) -> None:
    charge = Decimal("-78.00") if outcome is RemitOutcome.REVERSED else Decimal("78.00")
    billed = BilledClaim(
        "IPS1", frozenset({"NCLMEMCO"}), "1234567893", "561234567", Decimal("78.00"),
        frozenset(), status,
    )  # fmt: skip
    remit = RemitClaim("IPS1", "1", charge, Decimal(0), Decimal(0), "ZZ", "", "", (), (), outcome)
    checks = [f.check for f in failed_checks(billed, remit, PAYMENT)]
    takes = status.value in CLAIM_TABLE[REMIT_EVENT[outcome].value][0]
    assert checks == ([] if takes else ["claim_status"])

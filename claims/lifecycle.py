"""Claim and invoice statuses, claim frequency codes, and the one function that moves a status
(docs/edi.md, "Claim statuses"; docs/milestones.md, "Invoices").

The values are those stored in the database and sent over the API: never renamed. What may move
a status, and from where, is data (``TRANSITIONS``); the service asks ``transition`` every time
an acknowledgment, a remittance or a payment would change one, and a status the table does not
list for that event stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import overload

from claims.inbound.model import RemitOutcome
from claims.invoices.model import InvoiceStatus


class ClaimStatus(StrEnum):
    GENERATED = "generated"  # written into a released 837P, no answer yet
    ACCEPTED = "accepted"  # taken into adjudication (277CA), or a payment taken back (835)
    REJECTED = "rejected"  # returned unprocessed (TA1, 999, 277CA)
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    VOID = "void"  # an API filter value; no answer sets it (a voided claim keeps its status)


class BatchStatus(StrEnum):
    RELEASED = "released"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"


class Frequency(StrEnum):
    """CLM05-3, the claim frequency type code (docs/billing-rules.md 2)."""

    ORIGINAL = "1"
    REPLACEMENT = "7"
    VOID = "8"


class ClaimEvent(StrEnum):
    """What can move a claim's status: an answer from the payer."""

    TA1_REJECTED = "ta1_rejected"  # TA104 R: the interchange was rejected
    SET_REJECTED = "999_rejected"  # the claim's transaction set (or group) rejected by a 999
    ACK_ACCEPTED = "277ca_accepted"  # 277CA: accepted into adjudication
    ACK_REJECTED = "277ca_rejected"  # 277CA: rejected, at the claim's level or one above it
    REMIT_PAID = "835_paid"  # claims.inbound.model.RemitOutcome, read from CLP02
    REMIT_PARTIALLY_PAID = "835_partially_paid"
    REMIT_DENIED = "835_denied"
    REMIT_REVERSED = "835_reversed"  # CLP02 22, a take-back of an earlier payment


class InvoiceEvent(StrEnum):
    """What can move an invoice's status: a payment recorded against it."""

    PAID_IN_PART = "invoice_paid_in_part"  # something is still outstanding after it
    PAID_IN_FULL = "invoice_paid_in_full"  # nothing is outstanding after it


_G, _A, _R = ClaimStatus.GENERATED, ClaimStatus.ACCEPTED, ClaimStatus.REJECTED
_UNDECIDED = frozenset({_G, _A, _R})  # no payment or denial yet
_DECIDED = frozenset({ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID, ClaimStatus.DENIED})
_OPEN = frozenset({InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID})

# event -> (the statuses it applies to, the status it leaves). The same status again is a
# transition like any other: it writes no history (service.edi.applied.set_status).
TRANSITIONS: Mapping[ClaimEvent | InvoiceEvent, tuple[frozenset[StrEnum], StrEnum]] = {
    ClaimEvent.TA1_REJECTED: (frozenset({_G}), _R),
    ClaimEvent.SET_REJECTED: (frozenset({_G}), _R),
    ClaimEvent.ACK_ACCEPTED: (frozenset({_G, _R}), _A),
    ClaimEvent.ACK_REJECTED: (_UNDECIDED, _R),
    ClaimEvent.REMIT_PAID: (_UNDECIDED, ClaimStatus.PAID),
    ClaimEvent.REMIT_PARTIALLY_PAID: (_UNDECIDED, ClaimStatus.PARTIALLY_PAID),
    ClaimEvent.REMIT_DENIED: (_UNDECIDED, ClaimStatus.DENIED),
    ClaimEvent.REMIT_REVERSED: (_DECIDED, _A),
    InvoiceEvent.PAID_IN_PART: (_OPEN, InvoiceStatus.PARTIALLY_PAID),
    InvoiceEvent.PAID_IN_FULL: (_OPEN, InvoiceStatus.PAID),
}

REMIT_EVENT: Mapping[RemitOutcome, ClaimEvent] = {
    RemitOutcome.PAID: ClaimEvent.REMIT_PAID,
    RemitOutcome.PARTIALLY_PAID: ClaimEvent.REMIT_PARTIALLY_PAID,
    RemitOutcome.DENIED: ClaimEvent.REMIT_DENIED,
    RemitOutcome.REVERSED: ClaimEvent.REMIT_REVERSED,
}


def invoice_payment(paid_amount: Decimal, total: Decimal) -> InvoiceEvent:
    """What a payment that brings an invoice's paid amount to ``paid_amount`` is."""
    return InvoiceEvent.PAID_IN_FULL if paid_amount >= total else InvoiceEvent.PAID_IN_PART


@overload
def transition(current: ClaimStatus, event: ClaimEvent) -> ClaimStatus | None: ...
@overload
def transition(current: InvoiceStatus, event: InvoiceEvent) -> InvoiceStatus | None: ...
def transition(current: StrEnum, event: ClaimEvent | InvoiceEvent) -> StrEnum | None:
    """The status ``event`` leaves a record in ``current`` with, or None when the event does
    not apply to a record in that status (it is then left as it is)."""
    applies_to, target = TRANSITIONS[event]
    return target if current in applies_to else None


def applies_to(event: ClaimEvent | InvoiceEvent) -> frozenset[StrEnum]:
    """The statuses ``event`` may move (for messages that say why it did not apply)."""
    return TRANSITIONS[event][0]

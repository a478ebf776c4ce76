"""A milestone invoice as a finance office sends it: parties, lines, totals, payment terms.

Lines name the member by record number only (the payer's subscriber id, else the member id):
never a name, birth date or diagnosis, which have no place on an invoice that travels by email.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum

from msgspec import Struct

from claims.milestones.catalog import MilestoneCatalog
from claims.milestones.invoicing import LineKind, PlannedLine
from claims.model import Member
from claims.money import to_money


class InvoiceStatus(StrEnum):
    SENT = "sent"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"


class ProviderBlock(Struct, frozen=True, gc=False):
    name: str
    address_lines: tuple[str, ...]
    npi: str
    tax_id: str


class PayerBlock(Struct, frozen=True, gc=False):
    name: str
    address_lines: tuple[str, ...] = ()


class InvoiceLineItem(Struct, frozen=True, gc=False):
    member_record: str  # subscriber id or member id, never a name
    milestone: str
    milestone_name: str
    occurrence: int
    earned_on: date
    amount: Decimal  # negative on a credit line
    eipd_authorization_id: str | None = None
    kind: LineKind = LineKind.CHARGE


class InvoiceDocument(Struct, frozen=True, gc=False):
    invoice_number: str
    invoice_date: date
    provider: ProviderBlock
    payer: PayerBlock
    remit_to: tuple[str, ...]
    lines: tuple[InvoiceLineItem, ...]
    paid_amount: Decimal = Decimal("0.00")
    status: InvoiceStatus = InvoiceStatus.SENT
    payment_terms: str = "Net 30 days from the invoice date"
    through_date: date | None = None
    # docs/milestones.md, "Invoices": the date the payer's terms make it due, and the sign the
    # amounts print with (US dollars).
    due_date: date | None = None
    currency_sign: str = "$"

    @property
    def total(self) -> Decimal:
        return to_money(sum((line.amount for line in self.lines), Decimal(0)))

    @property
    def balance_due(self) -> Decimal:
        return to_money(self.total - self.paid_amount)


def member_record(member: Member) -> str:
    """What identifies the member to the payer on paper: the subscriber id when known."""
    return member.subscriber_id or member.member_id


def line_items(
    planned: Iterable[PlannedLine], records: Mapping[str, str], catalog: MilestoneCatalog
) -> tuple[InvoiceLineItem, ...]:
    """Invoice lines from planned lines; ``records`` maps member_id to its member record."""
    return tuple(
        InvoiceLineItem(
            member_record=records.get(p.member_id, p.member_id),
            milestone=p.milestone,
            milestone_name=catalog.get(p.milestone).name,
            occurrence=p.occurrence,
            earned_on=p.earned_on,
            amount=to_money(p.amount),
            eipd_authorization_id=p.eipd_authorization_id,
            kind=p.kind,
        )
        for p in planned
    )

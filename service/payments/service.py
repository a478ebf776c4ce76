"""A provider's view of its money: claims and invoices by status, with the records behind each.

Only claims in force count: a claim replaced by a later one, and a void with its original,
are history, not money owed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.invoices import InvoiceStatus
from claims.lifecycle import ClaimStatus, Frequency
from service import models as orm

ZERO = Decimal("0.00")
PAID = frozenset({ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID})
ANSWERED = PAID | {ClaimStatus.ACCEPTED, ClaimStatus.DENIED}  # taken into adjudication
CLAIM_BUCKETS: dict[str, Callable[[orm.Claim], bool]] = {
    "billed": lambda c: True,
    "accepted": lambda c: c.status in ANSWERED,
    "rejected": lambda c: c.status == ClaimStatus.REJECTED,
    "paid": lambda c: c.status in PAID,
    "denied": lambda c: c.status == ClaimStatus.DENIED,
    "outstanding": lambda c: c.status in (ClaimStatus.GENERATED, ClaimStatus.ACCEPTED),
}
INVOICE_BUCKETS: dict[str, Callable[[orm.Invoice], bool]] = {
    "billed": lambda i: True,
    "paid": lambda i: i.status in (InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID),
    "outstanding": lambda i: i.status in (InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID),
}


def _bucket(rows: Iterable[Any], amount: Callable[[Any], Decimal], key: str) -> dict[str, Any]:
    chosen = list(rows)
    return {
        "count": len(chosen),
        "amount": sum((amount(r) for r in chosen), ZERO),
        key: [getattr(r, key[:-1]) for r in chosen],
    }


def _claim_amount(bucket: str) -> Callable[[orm.Claim], Decimal]:
    return (lambda c: c.paid_amount) if bucket == "paid" else (lambda c: c.total_charge)


def _invoice_amount(bucket: str) -> Callable[[orm.Invoice], Decimal]:
    if bucket == "paid":
        return lambda i: i.paid_amount
    if bucket == "outstanding":
        return lambda i: i.total - i.paid_amount
    return lambda i: i.total


async def payment_status(
    session: AsyncSession,
    provider_id: str,
    payer_id: str | None,
    start: date | None,
    end: date | None,
) -> dict[str, Any]:
    claims = await _claims_in_force(session, provider_id, payer_id, start, end)
    invoices = await _invoices(session, provider_id, payer_id, start, end)
    adjustments = await _provider_adjustments(session, provider_id, payer_id, start, end)
    return {
        "provider_id": provider_id,
        "from": start,
        "to": end,
        "claims": {
            name: _bucket(filter(test, claims), _claim_amount(name), "claim_ids")
            for name, test in CLAIM_BUCKETS.items()
        },
        "invoices": {
            name: _bucket(filter(test, invoices), _invoice_amount(name), "invoice_ids")
            for name, test in INVOICE_BUCKETS.items()
        },
        "provider_adjustments": {
            "count": len(adjustments),
            "amount": sum((row.amount for row in adjustments), ZERO),
            "items": adjustments,
        },
    }


async def _provider_adjustments(
    session: AsyncSession,
    provider_id: str,
    payer_id: str | None,
    start: date | None,
    end: date | None,
) -> list[orm.ProviderAdjustmentRow]:
    """PLB amounts of 835 payments to this provider (docs/edi.md), by payment date."""
    row = orm.ProviderAdjustmentRow
    stmt = select(row).where(row.provider_id == provider_id)
    if payer_id:
        stmt = stmt.where(row.payer_id == payer_id)
    if start:
        stmt = stmt.where(row.payment_date >= start)
    if end:
        stmt = stmt.where(row.payment_date <= end)
    return list((await session.execute(stmt.order_by(row.id))).scalars())


async def _claims_in_force(
    session: AsyncSession,
    provider_id: str,
    payer_id: str | None,
    start: date | None,
    end: date | None,
) -> list[orm.Claim]:
    claim = orm.Claim
    stmt = select(claim).where(
        claim.provider_id == provider_id,
        claim.frequency != Frequency.VOID.value,
        claim.replaced_by_claim_id.is_(None),
    )
    if payer_id:
        stmt = stmt.where(claim.payer_id == payer_id)
    if start:
        stmt = stmt.where(claim.service_month >= start.isoformat()[:7])
    if end:
        stmt = stmt.where(claim.service_month <= end.isoformat()[:7])
    return list((await session.execute(stmt.order_by(claim.claim_id))).scalars())


async def _invoices(
    session: AsyncSession,
    provider_id: str,
    payer_id: str | None,
    start: date | None,
    end: date | None,
) -> list[orm.Invoice]:
    invoice = orm.Invoice
    stmt = select(invoice).where(invoice.provider_id == provider_id)
    if payer_id:
        stmt = stmt.where(invoice.payer_id == payer_id)
    if start:
        stmt = stmt.where(invoice.invoice_date >= start)
    if end:
        stmt = stmt.where(invoice.invoice_date <= end)
    return list((await session.execute(stmt.order_by(invoice.invoice_id))).scalars())

"""Remittances held back by a failed check, and provider-level adjustments (PLB) of an 835."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, Money, UtcDateTime, utcnow
from service.models.reference import ID


class RemittanceException(Base):
    """One 835 claim payment that failed a remittance check: stored, listed, never applied."""

    __tablename__ = "remittance_exceptions"
    __table_args__ = (Index(None, "payer_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inbound_digest: Mapped[str] = mapped_column(String(64), index=True)
    claim_id: Mapped[str] = mapped_column(String(20))  # CLP01, one of our claims
    payer_id: Mapped[str] = mapped_column(ID)  # the claim's payer: who may see it
    provider_id: Mapped[str] = mapped_column(ID)
    payment_trace: Mapped[str] = mapped_column(String(50))  # TRN02 of the payment
    payer_claim_number: Mapped[str] = mapped_column(String(50))  # CLP07
    status_code: Mapped[str] = mapped_column(String(4))  # CLP02
    charge: Mapped[Decimal] = mapped_column(Money)  # CLP03
    paid: Mapped[Decimal] = mapped_column(Money)  # CLP04
    failed_checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The CLP loop and the payment's trace and date, so a person may apply it later (0012)
    remittance: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(16), nullable=True)  # apply, dismiss
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the key id
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolution_note: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ProviderAdjustmentRow(Base):
    """A PLB amount: taken from (positive) or added to (negative) one payment to a provider."""

    __tablename__ = "provider_adjustments"
    __table_args__ = (Index(None, "provider_id", "id"), Index(None, "payer_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inbound_digest: Mapped[str] = mapped_column(String(64), index=True)
    payer_id: Mapped[str | None] = mapped_column(ID, nullable=True)  # our payer, when known
    provider_id: Mapped[str | None] = mapped_column(ID, nullable=True)  # ours, when PLB01 matched
    provider_identifier: Mapped[str] = mapped_column(String(50))  # PLB01 as sent
    payment_trace: Mapped[str] = mapped_column(String(50))  # TRN02
    payment_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # BPR16
    fiscal_period_end: Mapped[date | None] = mapped_column(Date, nullable=True)  # PLB02
    reason_code: Mapped[str] = mapped_column(String(4))  # PLB03-1
    reference: Mapped[str] = mapped_column(String(50))  # PLB03-2
    amount: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

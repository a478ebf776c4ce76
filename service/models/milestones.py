"""Milestone evidence, invoices, their lines and payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, Money, UtcDateTime, utcnow
from service.models.reference import ID, Versioned


class MilestoneEvidence(Versioned, Base):
    __tablename__ = "milestone_evidence"
    __table_args__ = (Index(None, "member_id", "date"),)

    evidence_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ID)
    provider_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(40))
    date: Mapped[date] = mapped_column(Date)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)


class Invoice(Base):
    """A sent invoice never changes; later corrections are credit lines on the next one."""

    __tablename__ = "invoices"

    invoice_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(30), unique=True)
    payer_id: Mapped[str] = mapped_column(ID, index=True)
    provider_id: Mapped[str] = mapped_column(ID, index=True)
    invoice_date: Mapped[date] = mapped_column(Date)
    through_date: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Money)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (Index(None, "member_id", "milestone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(String(40), index=True)
    member_id: Mapped[str] = mapped_column(ID)
    provider_id: Mapped[str] = mapped_column(ID)
    milestone: Mapped[str] = mapped_column(String(8))
    occurrence: Mapped[int] = mapped_column(Integer)
    earned_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    kind: Mapped[str] = mapped_column(String(8), default="charge")  # charge | credit
    eipd_authorization_id: Mapped[str | None] = mapped_column(ID, nullable=True)


class InvoicePayment(Base):
    __tablename__ = "invoice_payments"
    __table_args__ = (UniqueConstraint("invoice_id", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

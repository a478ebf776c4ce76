"""837P batches, the claims and lines in them, their status history, and control numbers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, Money, UtcDateTime, utcnow
from service.models.reference import ID


class ControlCounter(Base):
    """Monotonic counters (ISA13, GS06, ST02, claim sequence) per sender: never reused.

    Incremented with a row lock (UPDATE ... RETURNING) inside the batch's transaction, so two
    concurrent batch runs serialize on the counter and a rolled-back run reuses nothing
    released (its numbers were never published).
    """

    __tablename__ = "control_counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class ClaimBatch(Base):
    __tablename__ = "claim_batches"
    __table_args__ = (UniqueConstraint("sender_id", "interchange_control_number"),)

    batch_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payer_id: Mapped[str] = mapped_column(ID, index=True)
    provider_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    through_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    sender_id: Mapped[str] = mapped_column(String(15))
    # ISA08 as sent: a 999 or TA1 names it as its sender (None for batches before 0006).
    receiver_id: Mapped[str | None] = mapped_column(String(15), nullable=True)
    interchange_control_number: Mapped[int] = mapped_column(Integer)
    group_control_number: Mapped[int] = mapped_column(Integer)
    transaction_control_numbers: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(24))  # released, accepted, partially_accepted, ...
    claim_count: Mapped[int] = mapped_column(Integer, default=0)
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    total_charge: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    acknowledgment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ClaimBatchPart(Base):
    """The released 837P of a batch, in order: written page by page as the batch is built, so
    no process ever holds the whole file (50,000 claims are about 55 MB of text). The download
    sends ``content`` in ``seq`` order; the batch's ``content_sha256`` is that text's digest."""

    __tablename__ = "claim_batch_parts"

    batch_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    content: Mapped[str] = mapped_column(Text)


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        Index(None, "provider_id", "status"),
        Index(None, "member_id"),
        Index(None, "batch_id"),
    )

    claim_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[str] = mapped_column(ID)
    provider_id: Mapped[str] = mapped_column(ID)
    payer_id: Mapped[str] = mapped_column(ID)
    service_month: Mapped[str] = mapped_column(String(7))
    frequency: Mapped[str] = mapped_column(String(1))
    replaces_claim_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    replaced_by_claim_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    payer_claim_number: Mapped[str | None] = mapped_column(String(50), nullable=True)
    transaction_control_number: Mapped[int] = mapped_column(Integer)
    total_charge: Mapped[Decimal] = mapped_column(Money)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    status: Mapped[str] = mapped_column(String(16))
    status_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    payment_reference: Mapped[str | None] = mapped_column(String(50), nullable=True)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ClaimTotal(Base):
    """Claims summed by payer, month, status, batch and in force, kept by database triggers on
    ``claims`` (migration 0011): read it, never write it."""

    __tablename__ = "claim_totals"
    payer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_month: Mapped[str] = mapped_column(String(7), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    in_force: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    claims: Mapped[int] = mapped_column(Integer)
    charge_cents: Mapped[int] = mapped_column(BigInteger)
    paid_cents: Mapped[int] = mapped_column(BigInteger)


class ClaimLine(Base):
    __tablename__ = "claim_lines"
    __table_args__ = (Index(None, "claim_id"), Index(None, "line_ref"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(String(20))
    line_number: Mapped[int] = mapped_column(Integer)
    line_ref: Mapped[str] = mapped_column(String(30))
    unit_line_id: Mapped[int] = mapped_column(Integer)
    service_date: Mapped[date] = mapped_column(Date)
    procedure: Mapped[str] = mapped_column(String(16))
    modifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    units: Mapped[int] = mapped_column(Integer)
    charge: Mapped[Decimal] = mapped_column(Money)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    adjustments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    event_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class ClaimHistory(Base):
    """Every status change of a claim, with its time and the file or request that caused it."""

    __tablename__ = "claim_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(String(20), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class InboundFile(Base):
    """Every 999, 277CA and 835 received; the digest makes a re-posted file a no-op."""

    __tablename__ = "inbound_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    content: Mapped[str] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # poster's scope

"""Service events with their current adjudication, and the unit lines computed from them."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, Money, UtcDateTime, utcnow
from service.models.reference import ID, Versioned


class ServiceEvent(Versioned, Base):
    """The current version of an event (history in ``record_versions``) and its adjudication.

    ``adjudication_inputs`` names the event version and the reference-data versions the
    adjudication was computed from, so every figure can be traced back.
    """

    __tablename__ = "service_events"
    __table_args__ = (
        Index(None, "member_id", "service_date"),
        Index(None, "provider_id", "service_date"),
    )

    event_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ID)
    provider_id: Mapped[str] = mapped_column(ID)
    staff_id: Mapped[str] = mapped_column(ID)
    payer_id: Mapped[str] = mapped_column(ID)
    service_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    activity: Mapped[str] = mapped_column(String(32))
    contact: Mapped[str] = mapped_column(String(16))
    setting: Mapped[str] = mapped_column(String(16))
    place_of_service: Mapped[str] = mapped_column(String(2), default="99")
    note_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="held")
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    billable_minutes: Mapped[int] = mapped_column(Integer, default=0)
    procedure: Mapped[str] = mapped_column(String(16), default="YP630")
    modifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    adjudication_inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    adjudicated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


CHANGED_CLAIMED = "claim_id IS NOT NULL AND status <> 'claimed'"


class UnitLine(Base):
    """One member, provider, date of service and procedure-with-modifiers: a claim line's worth.

    A line once claimed is never deleted: ``claimed_units`` and ``claim_id`` stay, so a later
    change of units becomes a replacement claim and a drop to zero becomes a void.
    """

    __tablename__ = "unit_lines"
    __table_args__ = (
        UniqueConstraint("member_id", "provider_id", "service_date", "procedure_key"),
        Index(None, "payer_id", "status", "service_date"),
        Index(None, "claim_id"),
        Index(None, "member_id", "service_date"),
        # Claimed lines whose units or charge changed: what a batch corrects (migration 0007).
        Index(
            "ix_unit_lines_changed_claimed",
            "payer_id",
            "claim_id",
            postgresql_where=text(CHANGED_CLAIMED),
            sqlite_where=text(CHANGED_CLAIMED),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    line_ref: Mapped[str] = mapped_column(String(30), unique=True)
    member_id: Mapped[str] = mapped_column(ID)
    provider_id: Mapped[str] = mapped_column(ID)
    payer_id: Mapped[str] = mapped_column(ID)
    service_date: Mapped[date] = mapped_column(Date)
    procedure_key: Mapped[str] = mapped_column(String(24))
    procedure: Mapped[str] = mapped_column(String(16))
    modifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)
    held_units: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    hold_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    event_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    rate: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    charge: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    authorization_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    auth_units: Mapped[int] = mapped_column(Integer, default=0)
    # [[authorization_id, units], ...] when the line drew from more than one authorization
    # (docs/units.md, "Overlapping authorizations"); null otherwise.
    authorization_draws: Mapped[list[list[Any]] | None] = mapped_column(JSON, nullable=True)
    place_of_service: Mapped[str] = mapped_column(String(2), default="99")
    claim_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    claimed_units: Mapped[int | None] = mapped_column(Integer, nullable=True)
    claimed_charge: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class UnitCounter(Base):
    """Each member's units counted so far, per provider and authorization ('' for none): the sum
    of ``auth_units`` over all its lines, kept by re-adjudication with each write.

    Units before a date = these totals minus the lines from that date on (which re-adjudication
    reads anyway), so the first-64 allowance never needs the member's history scanned.
    """

    __tablename__ = "unit_counters"

    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    provider_id: Mapped[str] = mapped_column(ID, primary_key=True)
    authorization_id: Mapped[str] = mapped_column(ID, primary_key=True)
    units: Mapped[int] = mapped_column(Integer, default=0)

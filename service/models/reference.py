"""Reference data from the LME-MCO integrations: payers, rates, providers, staff, members, auths.

Every upserted record keeps its ``version``; each version's body is also kept in
``record_versions`` so an adjudication can be traced to the exact reference data it used.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, UtcDateTime, utcnow

ID = String(64)


class Versioned:
    version: Mapped[int] = mapped_column(Integer, default=1)
    body_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RecordVersion(Base):
    """Append-only history of every version of every upserted record (events included)."""

    __tablename__ = "record_versions"
    __table_args__ = (UniqueConstraint("entity", "record_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(140))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    key_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Payer(Versioned, Base):
    __tablename__ = "payers"

    payer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    edi_profile: Mapped[str] = mapped_column(String(64), default="default")
    timely_filing_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The 837P's NM1*PR NM109 and NM1*40 receiver; the profile's values when not given.
    edi_payer_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    edi_receiver_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    edi_receiver_name: Mapped[str | None] = mapped_column(String(60), nullable=True)


class FeeSchedule(Versioned, Base):
    __tablename__ = "fee_schedules"

    payer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    rates: Mapped[dict[str, str]] = mapped_column(JSON)


class Provider(Versioned, Base):
    __tablename__ = "providers"

    provider_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    npi: Mapped[str] = mapped_column(String(10))
    tax_id: Mapped[str] = mapped_column(String(9))
    taxonomy: Mapped[str | None] = mapped_column(String(10), nullable=True)
    address: Mapped[dict[str, str]] = mapped_column(JSON)
    program_start_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class Staff(Versioned, Base):
    __tablename__ = "staff"

    provider_id: Mapped[str] = mapped_column(ID, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(8))
    npi: Mapped[str | None] = mapped_column(String(10), nullable=True)


class FidelityReview(Base):
    __tablename__ = "fidelity_reviews"
    __table_args__ = (UniqueConstraint("provider_id", "final_report_date"),)

    review_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ID, index=True)
    score: Mapped[int] = mapped_column(Integer)
    final_report_date: Mapped[date] = mapped_column(Date)
    # docs/units.md "Fidelity": a 65-73 review's re-evaluation request defers its gate.
    reevaluation_requested_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Member(Versioned, Base):
    __tablename__ = "members"

    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    payer_id: Mapped[str] = mapped_column(ID, index=True)
    subscriber_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    address: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    diagnoses: Mapped[list[str]] = mapped_column(JSON, default=list)
    dvr_shared_case: Mapped[bool] = mapped_column(Boolean, default=False)
    act_periods: Mapped[list[dict[str, str | None]]] = mapped_column(JSON, default=list)


class Authorization(Versioned, Base):
    __tablename__ = "authorizations"
    __table_args__ = (Index(None, "member_id", "start_date"),)

    authorization_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ID)
    provider_id: Mapped[str] = mapped_column(ID)
    payer_id: Mapped[str] = mapped_column(ID)
    procedure: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    units: Mapped[int] = mapped_column(Integer)


class EipdAuthorization(Versioned, Base):
    __tablename__ = "eipd_authorizations"
    __table_args__ = (Index(None, "member_id", "start_date"),)

    authorization_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ID)
    provider_id: Mapped[str] = mapped_column(ID)
    milestone: Mapped[str] = mapped_column(String(8))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)

"""Console users (argon2 password hashes) and their server-side sign-in sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, UtcDateTime, utcnow
from service.models.claims import Claim
from service.models.events import UnitLine
from service.models.reference import ID


class ConsoleUser(Base):
    """A person who signs in to /console; role and scope exactly as an API key's."""

    __tablename__ = "console_users"

    username: Mapped[str] = mapped_column(String(32), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    payer_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    provider_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ConsoleSession(Base):
    """A signed-in browser. Only the token's SHA-256 is stored; the cookie holds the token."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(32), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# The console's queues read these sets on every page; both indexes are small next to the tables.
HELD = text("status = 'held'")
Index(
    "ix_unit_lines_held",
    UnitLine.hold_reason,
    UnitLine.held_units,
    postgresql_where=HELD,
    sqlite_where=HELD,
)  # held units by reason: only held lines are indexed, so intake of billable ones pays nothing
Index("ix_claims_status_service_month", Claim.status, Claim.service_month)

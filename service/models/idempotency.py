"""Answers kept for ``Idempotency-Key`` (service/idempotency.py), one per API key and key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, UtcDateTime


class IdempotentRequest(Base):
    """A POST sent with an Idempotency-Key: running (``status`` null) or its first answer."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (Index("ix_idempotent_requests_expires_at", "expires_at"),)

    # SHA-256 of the API key, as api_keys.key_hash stores it: answers are never shared by keys.
    key_scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path, query and body
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    headers: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)

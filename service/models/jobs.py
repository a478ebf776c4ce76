"""Long work run by the job runner (service/jobs): its state, progress, result and lease."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from service.models.base import Base, UtcDateTime, utcnow
from service.models.reference import ID


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_created_at", "state", "created_at"),)

    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))  # queued, running, succeeded, failed
    payer_id: Mapped[str | None] = mapped_column(ID, nullable=True)  # whose work: the scope
    provider_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # An inbound file's raw text until its job applies it (up to 50 MiB): loaded only by the
    # job itself, never by a poll of GET /v1/jobs/{id} (docs/jobs.md, "Inbound files").
    payload: Mapped[str | None] = deferred(mapped_column(Text, nullable=True))
    made: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # links, when several
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

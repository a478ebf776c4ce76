"""A job as the API shows it (contract, "Jobs (long work)")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

JobState = Literal["queued", "running", "succeeded", "failed"]


class Progress(BaseModel):
    done: int
    total: int | None  # unknown until the job has planned its work


class JobOut(BaseModel):
    job_id: str
    kind: str
    state: JobState
    progress: Progress
    result: str | None  # the link of what it made, e.g. /v1/claim-batches/B000000001
    made: list[str] | None = None  # each thing's link when it made several (invoices)
    error: dict[str, Any] | None  # a problem object (RFC 9457) when failed
    created_at: datetime
    finished_at: datetime | None

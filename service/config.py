"""Settings from ``IPSBILL_*`` environment variables and an optional ``.env`` file."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./ipsbill.db"
DEFAULT_POOL_SIZE, DEFAULT_MAX_OVERFLOW = 30, 5  # docs/load.md, "Connections"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IPSBILL_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    submitter_id: str = "IPSBILL"
    # Remit-to block printed on milestone invoices.
    remit_to: str = "Remit to the provider address above"
    log_level: str = "INFO"
    # Workers that validate a claim batch with pyx12 in parallel (0: one per core).
    validation_workers: int = 0
    # Jobs (service/jobs): run them in this process, and how long a runner's claim on a job
    # lasts without a heartbeat before another runner takes the job over (after a crash).
    job_runner: bool = True
    job_lease_seconds: float = 30.0
    # A job's pause after each chunk of its work (a page of claims, a hundred members, a
    # provider's invoice, a step of a re-pricing or an inbound file): requests served by the
    # same process get the event loop meanwhile (docs/jobs.md, "Pacing"). 0 still yields once.
    job_pause_seconds: float = 0.0
    # An inbound X12 file larger than this is applied by a job (202 + Location), as with
    # `Prefer: respond-async`: a 10 MB 835 holds a request for seconds (docs/jobs.md).
    inbound_async_bytes: int = 1024 * 1024
    # Request body limits, checked as the bytes arrive (service/gate.py, docs/access.md): JSON
    # routes take 4 MiB, about three times the largest 1,000-event batch (every id 64
    # characters, indented); raw X12 uploads (POST /v1/edi/inbound) take 50 MiB.
    # A batch of service events is written this many members at a time, each part its own
    # transaction (docs/load.md, "A batch holds its locks one part at a time"): fewer members,
    # shorter waits for single events of the same members, slower batches.
    batch_part_members: int = Field(50, ge=1)
    # PostgreSQL connections each process keeps open, and how many more it may open under a
    # burst (docs/load.md, "Connections"). A connection opened beyond the kept ones is closed
    # again when it is returned to a full pool, and a new one costs the database a process, the
    # driver a round of type introspection and every statement a new prepare: keep enough for
    # the requests a process serves at once.
    db_pool_size: int = Field(DEFAULT_POOL_SIZE, ge=1)
    db_max_overflow: int = Field(DEFAULT_MAX_OVERFLOW, ge=0)
    max_json_bytes: int = 4 * 1024 * 1024
    max_edi_bytes: int = 50 * 1024 * 1024
    # Console (docs/console.md): sign-out after this many idle minutes; `ipsbill serve` on an
    # empty embedded database loads the demo month and a `demo` console user when true.
    console_idle_minutes: float = 15.0
    demo_on_empty: bool = True

    @property
    def validation_processes(self) -> int:
        """The pyx12 pool's size: ``validation_workers``, or one process per core."""
        return self.validation_workers or os.cpu_count() or 1

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

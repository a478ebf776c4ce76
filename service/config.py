"""Settings from ``IPSBILL_*`` environment variables and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./ipsbill.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IPSBILL_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    submitter_id: str = "IPSBILL"
    # Remit-to block printed on milestone invoices.
    remit_to: str = "Remit to the provider address above"
    log_level: str = "INFO"
    # Workers that validate a claim batch with pyx12 in parallel (0: one per core).
    validation_workers: int = 0
    # Console (docs/console.md): sign-out after this many idle minutes; `ipsbill serve` on an
    # empty embedded database loads the demo month and a `demo` console user when true.
    console_idle_minutes: float = 15.0
    demo_on_empty: bool = True

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

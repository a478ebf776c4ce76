"""A fresh PostgreSQL database for a benchmark (the local server, trust auth)."""

from __future__ import annotations

import asyncpg

PG = "postgresql://postgres@127.0.0.1:5432"


# The unit-line columns the benchmarks fill, in the order of ``copy_unit_lines``'s records.
UNIT_LINE_COLUMNS = (
    "line_ref", "member_id", "provider_id", "payer_id", "service_date", "procedure_key",
    "procedure", "modifiers", "minutes", "units", "held_units", "status", "event_ids", "rate",
    "charge", "authorization_id", "auth_units", "place_of_service", "updated_at",
)  # fmt: skip


async def copy_unit_lines(conn: asyncpg.Connection, records: list[tuple[object, ...]]) -> None:
    """Unit lines as intake leaves them, bulk-loaded (COPY) straight into the table."""
    await conn.copy_records_to_table("unit_lines", records=records, columns=list(UNIT_LINE_COLUMNS))


# PostgreSQL's own databases and the suite's: a bench never drops them.
KEPT = ("postgres", "template0", "template1", "test")


async def fresh_database(name: str) -> None:
    """Drop and create ``name``; the caller migrates it (``ipsbill migrate`` or ``upgrade``)."""
    if name in KEPT or name.startswith("test_"):
        raise SystemExit(f"{name} is not a bench database: give --db a name of its own")
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()

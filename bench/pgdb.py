"""A fresh PostgreSQL database for a benchmark (the local server, trust auth)."""

from __future__ import annotations

import asyncpg

PG = "postgresql://postgres@127.0.0.1:5432"


async def fresh_database(name: str) -> None:
    """Drop and create ``name``; the caller migrates it (``ipsbill migrate`` or ``upgrade``)."""
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()

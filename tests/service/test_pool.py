"""The pool's connections on PostgreSQL: pinged only after an idle spell, and a key read or an
audit entry outside any transaction (service/db.py, docs/load.md "Round trips of one event")."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from service import db
from service.db import make_engine, make_sessionmaker, single_statement


async def test_a_connection_closed_while_idle_is_replaced(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server closed a pooled connection (restart, idle timeout): the next checkout after
    an idle spell pings it, finds it gone and takes a fresh one; the request never sees it."""
    engine, killer = make_engine(postgres_url), make_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with killer.connect() as conn:
            await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        await engine.dispose()
        await killer.dispose()


async def test_a_single_statement_runs_outside_a_transaction(postgres_url: str) -> None:
    """The key read and the audit entry: autocommit, no BEGIN (no transaction id is open)."""
    engine = make_engine(postgres_url)
    try:
        async with make_sessionmaker(engine)() as session:
            await single_statement(session)
            assert await session.scalar(text("SELECT 1")) == 1
            raw = await (await session.connection()).get_raw_connection()
            assert not raw.driver_connection.is_in_transaction()  # type: ignore[union-attr]
        async with make_sessionmaker(engine)() as session:  # without it: BEGIN first
            assert await session.scalar(text("SELECT 1")) == 1
            raw = await (await session.connection()).get_raw_connection()
            assert raw.driver_connection.is_in_transaction()  # type: ignore[union-attr]
    finally:
        await engine.dispose()

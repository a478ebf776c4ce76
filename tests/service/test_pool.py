"""The pool's connections on PostgreSQL: pinged only after an idle spell, and a key read or an
audit entry outside any transaction (service/db.py, docs/load.md "Round trips of one event")."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service import db
from service.config import Settings
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


async def test_a_burst_within_the_kept_connections_opens_none(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IPSBILL_DB_POOL_SIZE sizes each process's pool: a burst of that many requests at once
    reuses the connections of the last burst (a connection opened beyond the pool was closed
    at its return, and a new one cost the database a process and the driver a prepare of every
    statement: docs/load.md, "Connections"). One more than the pool gets a new one each time."""
    monkeypatch.setenv("IPSBILL_DB_POOL_SIZE", "4")
    monkeypatch.setenv("IPSBILL_DB_MAX_OVERFLOW", "1")
    engine = db.engine_for(Settings(database_url=postgres_url))
    try:
        first = await _burst(engine, 4)
        assert await _burst(engine, 4) == first  # kept, reused
        beyond = await _burst(engine, 5)
        assert len(beyond - first) == 1
        again = await _burst(engine, 5)  # the fifth was closed at its return: a new one again
        assert len(again - beyond) == 1
    finally:
        await engine.dispose()


async def _burst(engine: AsyncEngine, size: int) -> set[int]:
    """The server process ids of ``size`` connections held at the same time."""
    held = asyncio.Event()

    async def one() -> int:
        async with engine.connect() as conn:
            pid = int(await conn.scalar(text("SELECT pg_backend_pid()")))
            await held.wait()
            return pid

    tasks = [asyncio.create_task(one()) for _ in range(size)]
    await asyncio.sleep(0.2)
    held.set()
    return set(await asyncio.gather(*tasks))

"""Engine, sessions and the one-transaction-per-request dependency.

Repositories ``flush()``; only ``session_scope`` commits, once, when the request succeeded.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from service.config import DEFAULT_MAX_OVERFLOW, DEFAULT_POOL_SIZE, Settings


def engine_for(settings: Settings) -> AsyncEngine:
    """The engine of a process (serve's workers, the job worker, the CLI), sized by settings."""
    return make_engine(settings.database_url, settings.db_pool_size, settings.db_max_overflow)


def make_engine(
    url: str,
    pool_size: int = DEFAULT_POOL_SIZE,
    max_overflow: int = DEFAULT_MAX_OVERFLOW,
    **kwargs: Any,
) -> AsyncEngine:
    """``pool_size``/``max_overflow``: PostgreSQL connections kept / allowed beyond them
    (IPSBILL_DB_POOL_SIZE, docs/operations.md); ignored for SQLite."""
    # Bound values can be PHI: keep them out of every exception message and log line.
    kwargs.setdefault("hide_parameters", True)
    # JSON columns (line event ids, modifiers, diagnoses) are decoded by orjson: the same values
    # as json.loads, several times faster; decoding them was ~4 CPU-s of a 10,000-claim batch.
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    # JIT off, SQLAlchemy's documented recipe: a connection's first statements make asyncpg
    # introspect array types, which JIT compiles (tens of ms) for no gain in short statements.
    kwargs.setdefault("connect_args", {"server_settings": {"jit": "off"}})
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow, **kwargs)
    event.listen(engine.sync_engine.pool, "checkin", _stamp_idle)
    event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
    return engine


# A connection idle longer than this is pinged before use (the server may have closed it).
# pool_pre_ping pinged at every checkout: with asyncpg a ping is BEGIN, ";", ROLLBACK, three
# round trips, and a request checks out up to three connections (its key, its transaction,
# its audit entry): nine of a single event's ~35 round trips. A connection in steady use was
# just proven alive; one that broke mid-use is invalidated by SQLAlchemy anyway.
IDLE_PING_SECONDS = 10.0


def _stamp_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:  # the pool drops it and checks out another (SQLAlchemy's recipe)
        raise exc.DisconnectionError() from error


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented recipe is
    # to switch it off and emit BEGIN ourselves (_sqlite_begin).
    dbapi_connection.isolation_level = None
    # WAL lets readers run beside the single writer; busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking;
    # a read-only caller (readiness probe) asks for DEFERRED and never waits for a writer.
    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    connection.exec_driver_sql(f"BEGIN {mode}")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def single_statement(session: AsyncSession, read: bool = True) -> None:
    """The session's one statement runs alone, outside a transaction (PostgreSQL: autocommit):
    the read of the caller's key or the insert of an audit entry needs no BEGIN and COMMIT,
    two round trips of the three it took. Called before the session's first statement.
    SQLite: a read asks for DEFERRED, so it never queues behind a writer. A session bound to a
    connection (tests join an outer transaction) stays in it."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        if isinstance(bind, AsyncEngine):  # not a session joined to an outer transaction
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    elif read:
        await session.connection(execution_options={"sqlite_begin": "DEFERRED"})


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block succeeds, rolled back when it raises."""
    async with factory() as session, session.begin():
        yield session

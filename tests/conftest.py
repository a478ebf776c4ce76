"""Test databases: every service test runs on SQLite and on PostgreSQL (asyncpg).

Each backend's schema comes from ``alembic upgrade head`` once per run; each test then runs in a
transaction that is rolled back at its end (requests inside it use savepoints), through an
httpx client speaking ASGI to the real app. With CI=true an unreachable PostgreSQL fails the
run; elsewhere its tests skip with a loud message.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from starlette.datastructures import State

from service.app import create_app, system_clock
from service.config import Settings
from service.db import make_engine
from service.migrate import upgrade
from service.profiles import ProfileRegistry
from service.validation import shutdown_pools, warm_pool

SUITE_PG_URL = os.environ.get(
    "IPSBILL_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
# Under pytest-xdist each worker (gw0, gw1, ...) has a database of its own, named after the
# suite's, so workers never drop each other's schema.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
PG_URL = f"{SUITE_PG_URL}_{WORKER}" if WORKER else SUITE_PG_URL
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_reachable() -> bool:
    host_port = PG_URL.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 5432)), timeout=2):
            return True
    except OSError:
        return False


def _create_worker_database() -> None:
    base, _, name = PG_URL.rpartition("/")

    async def create() -> None:
        admin = make_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            query = text("SELECT 1 FROM pg_database WHERE datname = :name")
            if not await conn.scalar(query, {"name": name}):
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()

    asyncio.run(create())


def _reset_pg_schema() -> None:
    async def reset() -> None:
        engine = make_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())


def _migrated_url(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'test.db'}"
    else:
        if not _pg_reachable():
            message = f"PostgreSQL at {PG_URL} is not reachable"
            if IN_CI:
                pytest.fail(f"{message}; CI=true requires it", pytrace=False)
            print(f"\n!!! SKIPPING POSTGRESQL TESTS: {message} !!!\n", file=sys.stderr)
            pytest.skip(message)
        if WORKER:
            _create_worker_database()
        _reset_pg_schema()
        url = PG_URL
    upgrade(url)  # the schema comes from the migrations, never from create_all
    return url


@pytest.fixture(scope="session")
def _tmpdir() -> AsyncIterator[Path]:  # type: ignore[misc]
    with tempfile.TemporaryDirectory(prefix="ipsbill-test-") as folder:
        yield Path(folder)


_URLS: dict[str, str] = {}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, _tmpdir: Path) -> str:
    backend = request.param
    if backend not in _URLS:
        _URLS[backend] = _migrated_url(backend, _tmpdir)
    return _URLS[backend]


@pytest.fixture(scope="session")
def postgres_url(_tmpdir: Path) -> str:
    """PostgreSQL only, for what only PostgreSQL can show (true write concurrency)."""
    if "postgresql" not in _URLS:
        _URLS["postgresql"] = _migrated_url("postgresql", _tmpdir)
    return _URLS["postgresql"]


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(database_url)
    yield eng
    await eng.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


_APPS: dict[str, FastAPI] = {}
_PROFILES: dict[str, ProfileRegistry] = {}  # read once: a registry is never changed in place


def _shared_app(database_url: str) -> FastAPI:
    """One app per worker and database, built on first use. FastAPI builds each included
    router's routes (dependencies, parameter models) on the app's first request through it,
    ~75 ms CPU for an API request and ~40 ms more for the console, and the 401 and 413 answers
    build the OpenAPI document (~0.4 s): a new app per test paid both in every test. What a
    test may change lives in ``app.state``, which the ``app`` fixture gives each test afresh.

    ASGITransport runs no lifespan, so the pyx12 pool is started here, as a served app starts it:
    without it every claim batch was validated in this process by unpatched pyx12, which parses
    its XML maps again for each file (about a quarter of the suite's CPU)."""
    found = _APPS.get(database_url)
    if found is None:
        settings = Settings(database_url=database_url)
        found = create_app(settings, migrate_embedded=False)
        _APPS[database_url], _PROFILES[database_url] = found, found.state.profiles
        warm_pool(settings.validation_processes)
    return found


@pytest.fixture
def app(connection: AsyncConnection, database_url: str):  # type: ignore[no-untyped-def]
    """The worker's app for this database, with a state of the test's own: fresh settings
    (a test may change them), the system clock, the profiles, and sessions joined to the test's
    transaction (rolled back at its end). Nothing a test sets in the state outlives it."""
    application = _shared_app(database_url)
    application.state = State(
        {
            "settings": Settings(database_url=database_url),
            "clock": system_clock,
            "profiles": _PROFILES[database_url],
            "engine": connection.engine,
            "sessionmaker": async_sessionmaker(
                bind=connection,
                expire_on_commit=False,
                autoflush=False,
                join_transaction_mode="create_savepoint",
            ),
        }
    )
    return application


@pytest.fixture
async def client(app) -> AsyncIterator[AsyncClient]:  # type: ignore[no-untyped-def]
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://ipsbill.test") as http:
        yield http


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first (a stable sort: same order on every xdist worker), so the longest ones
    start at once instead of ending the run alone on one worker."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_sessionfinish(session: pytest.Session) -> None:
    shutdown_pools()  # the pyx12 pool the shared apps started (a no-op when none was)


def pytest_configure(config: pytest.Config) -> None:
    import logging

    from service.validation import keep_pyx12_out_of_logs

    keep_pyx12_out_of_logs()  # as the service does: pyx12 logs the values it refuses

    # Tracebacks of unexpected errors are logged at DEBUG (never PHI: parameters are hidden).
    logging.getLogger("ipsbill.errors").setLevel(logging.DEBUG)

"""The FastAPI application: wiring only. Rules live in ``claims``; storage in the domains."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service import errors
from service.audit import middleware as audit
from service.audit.router import router as audit_router
from service.claims.router import router as claims_router
from service.config import Settings, get_settings
from service.db import make_engine, make_sessionmaker
from service.edi.router import router as edi_router
from service.events.router import router as events_router
from service.health.router import router as health_router
from service.migrate import upgrade
from service.milestones.router import router as milestones_router
from service.payments.router import router as payments_router
from service.profiles import ProfileRegistry
from service.reference.router import router as reference_router
from service.serving import tune_garbage_collector
from service.units.router import router as units_router
from service.validation import shutdown_pools, warm_pool

DESCRIPTION = """Milestone billing and 837P claims for North Carolina IPS (YP630) providers.

Money is a decimal string with two places. Errors are application/problem+json. Every route
under /v1 needs `Authorization: Bearer <api key>`; a record outside the key's scope answers 404.
"""


def create_app(settings: Settings | None = None, migrate_embedded: bool = True) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.is_sqlite and migrate_embedded:
            # The embedded default migrates itself (contract, "Operations": serve).
            await asyncio.to_thread(upgrade, settings.database_url)
        app.state.engine = make_engine(settings.database_url)
        app.state.sessionmaker = make_sessionmaker(app.state.engine)
        # pyx12's workers start and load their maps now, in the background, not in the first
        # claim batch request (which would wait for them only if it came first).
        workers = settings.validation_workers or os.cpu_count() or 1
        app.state.validation_pool = asyncio.create_task(asyncio.to_thread(warm_pool, workers))
        yield
        await app.state.engine.dispose()
        # The pool's processes would outlive a stopped server (orphans, found after benches).
        await asyncio.to_thread(shutdown_pools)

    app = FastAPI(title="ipsbill", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.profiles = ProfileRegistry.load()
    errors.install(app)
    audit.install(app)
    for router in (
        health_router,
        reference_router,
        events_router,
        units_router,
        claims_router,
        edi_router,
        payments_router,
        milestones_router,
        audit_router,
    ):
        app.include_router(router)
    logging.getLogger("ipsbill").setLevel(settings.log_level)
    quiet_parameter_loggers()
    return app


def create_served_app() -> FastAPI:
    """The app ``ipsbill serve`` runs in each worker; the command has migrated already."""
    app = create_app(migrate_embedded=False)
    tune_garbage_collector()
    return app


# Loggers that echo SQL parameters or X12 segments (names, birth dates, diagnoses) at DEBUG.
PARAMETER_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool", "pyx12")


def quiet_parameter_loggers() -> None:
    """PHI never reaches a log: these stay at WARNING whatever the root level is set to."""
    for name in PARAMETER_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

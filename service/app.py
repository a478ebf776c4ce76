"""The FastAPI application: wiring only. Rules live in ``claims``; storage in the domains."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import Depends, FastAPI

from service import errors, etag, idempotency, location, openapi, request_id
from service.audit import middleware as audit
from service.audit.router import router as audit_router
from service.claims.router import router as claims_router
from service.config import Settings, get_settings
from service.console import web as console
from service.db import engine_for, make_sessionmaker
from service.edi.router import router as edi_router
from service.events.router import router as events_router
from service.health.router import router as health_router
from service.jobs.router import router as jobs_router
from service.jobs.runner import runner_for
from service.jobs.service import JobContext
from service.maintenance import tend
from service.migrate import upgrade
from service.milestones.router import router as milestones_router
from service.payments.router import router as payments_router
from service.profiles import ProfileRegistry
from service.reference.router import router as reference_router
from service.serving import trim_memory, tune_garbage_collector
from service.strict import check_query
from service.units.router import router as units_router
from service.validation import keep_pyx12_out_of_logs, shutdown_pools, warm_pool

DESCRIPTION = """Milestone billing and 837P claims for North Carolina IPS (YP630) providers.

Money is a decimal string with two places. Errors are application/problem+json. Every route
under /v1 needs `Authorization: Bearer <api key>`; a record outside the key's scope answers 404.
"""


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None,
    migrate_embedded: bool = True,
    clock: Callable[[], datetime] = system_clock,
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.is_sqlite and migrate_embedded:
            # The embedded default migrates itself (contract, "Operations": serve).
            await asyncio.to_thread(upgrade, settings.database_url)
        app.state.engine = engine_for(settings)
        app.state.sessionmaker = make_sessionmaker(app.state.engine)
        # pyx12's workers start and load their maps now, in the background, not in the first
        # claim batch request (which would wait for them only if it came first).
        app.state.validation_pool = asyncio.create_task(
            asyncio.to_thread(warm_pool, settings.validation_processes)
        )
        if settings.job_runner:  # long work (service/jobs) runs beside the requests
            app.state.jobs = runner_for(
                app.state.sessionmaker, JobContext(settings, app.state.profiles)
            )
            app.state.jobs.start()
        tending = None if settings.is_sqlite else asyncio.create_task(tend(app.state.engine))
        trimming = asyncio.create_task(trim_memory())  # docs/operations.md, "Memory"
        yield
        trimming.cancel()
        if tending is not None:
            tending.cancel()
        if settings.job_runner:
            await app.state.jobs.stop()
        await app.state.engine.dispose()
        # The pool's processes would outlive a stopped server (orphans, found after benches).
        await asyncio.to_thread(shutdown_pools)

    app = FastAPI(
        title="ipsbill",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(check_query)],
        docs_url=None,  # served by the console from local assets: no CDN (service.console.web)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock  # "today" (future service dates) comes from here; tests fix it
    app.state.profiles = ProfileRegistry.load()
    errors.install(app)
    # Innermost first: an idempotent answer is kept with its Location and ETag; the request id
    # wraps everything, the audit trail sees replayed answers too.
    location.install(app)
    etag.install(app)
    idempotency.install(app)
    audit.install(app)
    request_id.install(app)
    openapi.install(app)
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
        jobs_router,
    ):
        app.include_router(router)
    console.install(app)
    logging.getLogger("ipsbill").setLevel(settings.log_level)
    keep_pyx12_out_of_logs()  # inbound files are read here (pyx12's advice): no values in logs
    quiet_parameter_loggers()
    return app


def create_served_app() -> FastAPI:
    """The app ``ipsbill serve`` runs in each worker; the command has migrated already."""
    app = create_app(migrate_embedded=False)
    tune_garbage_collector()
    return app


# Loggers that echo SQL parameters or X12 segments (names, birth dates, diagnoses) at DEBUG.
# pyx12 is silenced outright instead (keep_pyx12_out_of_logs): it quotes the values it refuses.
PARAMETER_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")


def quiet_parameter_loggers() -> None:
    """PHI never reaches a log: these stay at WARNING whatever the root level is set to."""
    for name in PARAMETER_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

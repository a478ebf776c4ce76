"""``/healthz`` (the process is up) and ``/readyz`` (database reachable, migrations current)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from service.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> Any:
    url = request.app.state.settings.database_url
    try:
        async with request.app.state.engine.connect() as connection:
            reader = await connection.execution_options(sqlite_begin="DEFERRED")
            current = await reader.run_sync(current_revision)
    except (SQLAlchemyError, OSError) as exc:
        return JSONResponse(
            {"status": "unavailable", "database": type(exc).__name__}, status_code=503
        )
    head = head_revision(url)
    if current != head:
        return JSONResponse(
            {"status": "migrations_pending", "current": current, "head": head}, status_code=503
        )
    return {"status": "ready", "revision": current, "validation_workers": _pool_state(request)}


def _pool_state(request: Request) -> str:
    """pyx12's workers start in the background at start-up (service.app): "starting" until
    they have loaded their maps. Requests are served meanwhile; a claim batch would wait."""
    task = getattr(request.app.state, "validation_pool", None)
    if task is None:
        return "not_started"
    if not task.done():
        return "starting"
    return "failed" if task.cancelled() or task.exception() is not None else "ready"

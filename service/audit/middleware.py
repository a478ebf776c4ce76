"""The audit trail: every /v1 request and console page, who made it, what it touched, its end.

Written in its own transaction after the answer is known, so refused and failed requests are
recorded too (the request's own transaction may have been rolled back). Only ids are kept,
never bodies: the trail itself must not become a store of PHI.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from service.models import AuditEntry
from service.models.base import utcnow

log = logging.getLogger("ipsbill.audit")


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    return {401: "unauthenticated", 403: "forbidden", 404: "not_found"}.get(
        status, "refused" if status < 500 else "error"
    )


async def record(request: Request, status: int) -> None:
    route = request.scope.get("route")
    params = {key: str(value) for key, value in request.path_params.items()}
    member_id = getattr(request.state, "audit_member_id", None) or params.get("member_id")
    entry = AuditEntry(
        at=utcnow(),
        key_id=getattr(request.state, "key_id", None),
        method=request.method,
        route=getattr(route, "path", request.url.path),
        path=request.url.path[:400],
        member_id=member_id,
        record_ids=params,
        status_code=status,
        outcome=_outcome(status),
    )
    factory = request.app.state.sessionmaker
    async with factory() as session, session.begin():
        session.add(entry)


def _audited(path: str) -> bool:
    """API calls, and console pages (they show the same records); not the console's assets."""
    if path.startswith("/v1/"):
        return True
    unaudited = ("/console/static", "/console/login")
    return path.startswith("/console") and not path.startswith(unaudited)


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def audit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if _audited(request.url.path):
            try:
                await record(request, response.status_code)
            except Exception as exc:  # the answer stands; the gap is logged loudly
                log.error("audit entry not written: %s", type(exc).__name__)
        return response

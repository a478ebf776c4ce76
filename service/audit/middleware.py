"""The audit trail: every /v1 request and console page, who made it, what it touched, its end.

Written in its own short transaction at the moment the answer starts (its status is known then),
before the first byte of the answer is sent. By then the request's own transaction has ended
(committed or rolled back: the session is function-scoped), and a streamed answer (an 837P
download) has not yet opened the session it streams from, so the entry never waits on the
request it records: refused and failed requests are recorded too. Before this, the entry was
written after a streamed download had taken SQLite's write lock and waited out the 30 s busy
timeout, then was lost.

Only ids are kept, never bodies: the trail itself must not become a store of PHI. An id that
does not fit its column is stored cut, with its full length noted (``<name>_length``); text a
database cannot store (NUL) is replaced, so the entry is never lost to its own content.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI
from sqlalchemy import insert

from service.db import single_statement
from service.gate import ASGIApp, Gate, Message, Receive, Scope, Send
from service.models import AuditEntry
from service.models.base import utcnow
from service.schemas_common import UNSTORABLE

log = logging.getLogger("ipsbill.audit")
ID_LENGTH = 64  # service.models.reference.ID


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    return {401: "unauthenticated", 403: "forbidden", 404: "not_found"}.get(
        status, "refused" if status < 500 else "error"
    )


def storable(text: str, length: int) -> str:
    return UNSTORABLE.sub("\ufffd", text)[:length]


def _record_ids(params: dict[str, Any]) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    for key, value in params.items():
        text = str(value)
        ids[key] = storable(text, ID_LENGTH)
        if len(text) > ID_LENGTH:
            ids[f"{key}_length"] = len(text)
    return ids


def entry(scope: MutableMapping[str, Any], status: int) -> AuditEntry:
    state = scope.get("state") or {}
    route = scope.get("route")
    params = {str(key): value for key, value in (scope.get("path_params") or {}).items()}
    member_id = state.get("audit_member_id") or params.get("member_id")
    return AuditEntry(
        at=utcnow(),
        key_id=state.get("key_id"),
        method=storable(scope["method"], 8),
        route=storable(getattr(route, "path", scope["path"]), 120),
        path=storable(scope["path"], 400),
        member_id=storable(str(member_id), ID_LENGTH) if member_id else None,
        record_ids=_record_ids(params),
        status_code=status,
        outcome=_outcome(status),
    )


# The audit insert, built once, run as a Core statement: the ORM's unit of work (an object
# added, flushed, its id fetched back) was a share of every request's CPU for a row never read.
_INSERT = insert(AuditEntry)


async def record(app: FastAPI, scope: MutableMapping[str, Any], status: int) -> None:
    try:
        async with app.state.sessionmaker() as session, session.begin():
            await single_statement(session, read=False)
            await (await session.connection()).execute(_INSERT, _values(entry(scope, status)))
    except Exception as exc:  # the answer stands; the gap is logged loudly
        log.error("audit entry not written: %s", type(exc).__name__)


def _values(row: AuditEntry) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in _COLUMNS}


_COLUMNS = [column for column in AuditEntry.__table__.columns if column.key != "id"]


class AuditTrail:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _audited(scope["path"]):
            await self.app(scope, receive, send)
            return
        started = False

        async def send_audited(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and not started:
                started = True
                await record(scope["app"], scope, int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_audited)
        except Exception:
            if not started:  # the error answer (500) is sent by Starlette's outer middleware
                await record(scope["app"], scope, 500)
            raise


def _audited(path: str) -> bool:
    """API calls, and console pages (they show the same records); not the console's assets."""
    if path.startswith("/v1/"):
        return True
    unaudited = ("/console/static", "/console/login")
    return path.startswith("/console") and not path.startswith(unaudited)


def install(app: FastAPI) -> None:
    # Starlette wraps in reverse order: the audit trail sits outside the gate, so the gate's
    # own answers (401, 413) are recorded too.
    settings = app.state.settings
    app.add_middleware(Gate, json_limit=settings.max_json_bytes, edi_limit=settings.max_edi_bytes)
    app.add_middleware(AuditTrail)

"""``ETag`` and ``If-Match`` on reference data, so two editors cannot overwrite each other.

A record's entity tag is its ``version`` in quotes (``"3"``): every read and write of one
record answers it as ``ETag``. A ``PUT`` sent with ``If-Match`` is carried out only while the
record is still at that version (``*``: while it exists); otherwise it answers 412
``precondition-failed`` and changes nothing. The check runs in the request's own transaction,
on the row locked for update (SQLite: the transaction holds the write lock from its start),
so a concurrent change cannot slip in between the check and the write. Without ``If-Match``
a PUT is an upsert, as before. A fee schedule's record is the payer's schedule effective from
the body's ``effective_from``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import orjson
from fastapi import Depends, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from claims.errors import InvalidInput
from service import models as orm
from service.deps import PrincipalDep, SessionDep
from service.errors import ProblemException
from service.schemas_common import ID_PATTERN

# Route of one reference record -> its table and the path parameters naming it.
RECORDS: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "/v1/payers/{payer_id}": (orm.Payer, ("payer_id",)),
    "/v1/fee-schedules/{payer_id}": (orm.FeeSchedule, ("payer_id",)),
    "/v1/providers/{provider_id}": (orm.Provider, ("provider_id",)),
    "/v1/providers/{provider_id}/staff/{staff_id}": (orm.Staff, ("provider_id", "staff_id")),
    "/v1/members/{member_id}": (orm.Member, ("member_id",)),
    "/v1/authorizations/{authorization_id}": (orm.Authorization, ("authorization_id",)),
    "/v1/eipd-authorizations/{authorization_id}": (
        orm.EipdAuthorization,
        ("authorization_id",),
    ),
}


_ID = re.compile(ID_PATTERN)
# What If-Match may hold: `*` or ETags this service gives out (the OpenAPI document says so too).
ENTITY_TAGS = r'^(\*|"[0-9]+"( *, *"[0-9]+")*)$'
_TAGS = re.compile(ENTITY_TAGS)


def entity_tag(version: int) -> str:
    return f'"{version}"'


def _route(scope: Scope) -> str:
    return getattr(scope.get("route"), "path", None) or ""


async def _check_if_match(request: Request, session: SessionDep, _caller: PrincipalDep) -> None:
    wanted = request.headers.get("if-match")
    rule = RECORDS.get(_route(request.scope))
    if wanted is None or request.method != "PUT" or rule is None or not await request.body():
        return  # (no body: its 422 comes first)
    if not _TAGS.fullmatch(wanted.strip()):  # no version can match it: a malformed header
        msg = 'If-Match is * or ETags this service gave out, such as "3"'
        raise InvalidInput(f"{msg}; nothing was changed", [(("header", "If-Match"), msg)])
    model, names = rule
    key: list[Any] = [request.path_params[name] for name in names]
    if not all(_ID.fullmatch(part) for part in key):
        return  # the path's own 422 comes first
    if model is orm.FeeSchedule:
        key.append(await _effective_from(request))
    row = None if None in key else await session.get(model, tuple(key), with_for_update=True)
    tags = {tag.strip() for tag in wanted.split(",")}
    if row is not None and ("*" in tags or entity_tag(row.version) in tags):
        return
    current = "it does not exist" if row is None else f"it is at {entity_tag(row.version)}"
    raise ProblemException(
        412, f"If-Match {wanted.strip()[:80]} is not current: {current}; nothing was changed",
        "precondition-failed",
    )  # fmt: skip


async def _effective_from(request: Request) -> date | None:
    try:
        text = orjson.loads(await request.body()).get("effective_from")
        return date.fromisoformat(text) if isinstance(text, str) else None
    except (orjson.JSONDecodeError, AttributeError, ValueError):
        return None  # the body's own validation answers for it


IF_MATCH = Depends(_check_if_match)


class ETagMiddleware:
    """Adds ``ETag`` to a successful GET or PUT of one reference record (its ``version``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "PUT"):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] in (200, 201) and _route(scope) in RECORDS:
                    held.append(message)
                else:
                    await send(message)
            elif not held:
                await send(message)
            else:
                held.append(message)
                if not message.get("more_body", False):
                    await _send_tagged(held, send)

        await self.app(scope, receive, send_tagged)


async def _send_tagged(held: list[Message], send: Send) -> None:
    start, body = held[0], b"".join(m.get("body", b"") for m in held[1:])
    try:
        answer: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        answer = None
    version = answer.get("version") if isinstance(answer, dict) else None
    if isinstance(version, int):
        MutableHeaders(scope=start)["ETag"] = entity_tag(version)
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def install(app: Any) -> None:
    app.add_middleware(ETagMiddleware)

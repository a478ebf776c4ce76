"""``Idempotency-Key`` on every ``POST``: a retried request gets its first answer back.

The same key with the same request (method, path, query and body) answers the first answer
again, status, headers and body, with ``Idempotent-Replayed: true``; with another request it
answers 422 ``idempotency-key-reused``. Keys are kept 24 hours, per API key (two keys never see
each other's answers). The key is claimed in the database before the request runs (the
primary key of ``idempotent_requests``), so of two concurrent requests with one key only the
first runs; the other answers 409 ``idempotency-key-in-use`` with ``Retry-After``.

An answer that says "try again" is not kept, so the retry runs: 401 (no key to scope by),
409 for a concurrent change, and 5xx (nothing was changed).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
import orjson
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth.keys import digest
from service.errors import problem
from service.models.base import utcnow
from service.models.idempotency import IdempotentRequest

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
RETRY_AFTER_SECONDS = 1
# Not replayed: answers that tell the client to send the request again.
_TRANSIENT_CODES = {"concurrent-change", "idempotency-key-in-use"}
log = logging.getLogger("ipsbill.idempotency")


@dataclass(frozen=True, slots=True)
class Claim:
    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Stored:
    fingerprint: str
    status: int | None  # None: still running
    headers: list[Any]
    body: bytes


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and all(" " <= char <= "~" for char in key)


def _key_scope(headers: Headers) -> str | None:
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    return digest(credential.strip()) if scheme.lower() == "bearer" and credential else None


def _fingerprint(scope: Scope, body: bytes) -> str:
    request = b"\0".join(
        (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body)
    )
    return hashlib.sha256(request).hexdigest()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _valid_key(key):
            detail = "an Idempotency-Key is 1 to 255 printable ASCII characters"
            await problem(400, detail, code="invalid-idempotency-key")(scope, receive, send)
            return
        key_scope = _key_scope(headers)
        if key_scope is None:  # refused (401) before anything runs: nothing to keep
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        claim = Claim(key_scope, key, _fingerprint(scope, body))
        factory: async_sessionmaker[AsyncSession] = scope["app"].state.sessionmaker
        stored = await _claim(factory, claim)
        if stored is not None:
            await _answer_again(stored, claim, scope, receive, send)
            return
        await _run_once(self.app, factory, claim, scope, _replay(body, receive), send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the client's own messages (a disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def _claim(
    factory: async_sessionmaker[AsyncSession], claim: Claim, again: bool = True
) -> Stored | None:
    """Claims the key (None: this request runs) or answers what is stored under it."""
    try:
        async with factory() as session, session.begin():
            now = utcnow()
            table = IdempotentRequest
            await session.execute(delete(table).where(table.expires_at < now))
            row = await session.get(table, (claim.scope, claim.key))
            if row is not None:
                return Stored(row.fingerprint, row.status, row.headers or [], row.body or b"")
            session.add(
                table(
                    key_scope=claim.scope,
                    idempotency_key=claim.key,
                    fingerprint=claim.fingerprint,
                    created_at=now,
                    expires_at=now + KEPT_FOR,
                )
            )
    except IntegrityError:  # a concurrent request claimed it first: read what it stored
        if again:
            return await _claim(factory, claim, again=False)
        return Stored(claim.fingerprint, None, [], b"")
    return None


async def _answer_again(
    stored: Stored, claim: Claim, scope: Scope, receive: Receive, send: Send
) -> None:
    if stored.fingerprint != claim.fingerprint:
        detail = f"the {HEADER} was used before with another request; use a new key"
        await problem(422, detail, code="idempotency-key-reused")(scope, receive, send)
    elif stored.status is None:
        detail = f"a request with this {HEADER} is still running; send it again shortly"
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        answer = problem(409, detail, headers=retry, code="idempotency-key-in-use")
        await answer(scope, receive, send)
    else:
        log.info("answered again for an Idempotency-Key (first status %d)", stored.status)
        headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in stored.headers]
        headers.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": stored.status, "headers": headers})
        await send({"type": "http.response.body", "body": stored.body, "more_body": False})


async def _run_once(
    app: ASGIApp,
    factory: async_sessionmaker[AsyncSession],
    claim: Claim,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Runs the request, keeps its answer, then sends it (a retry arriving just after the
    answer finds it kept, never the key still "running")."""
    answer: list[Message] = []

    async def keep(message: Message) -> None:
        answer.append(message)

    try:
        await app(scope, receive, keep)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await _finish(factory, claim, None)
        raise
    await _finish(factory, claim, answer)
    for message in answer:
        await send(message)


def _kept(status: int, body: bytes) -> bool:
    if status >= 500 or status == 401:
        return False
    if status == 409:
        try:
            return orjson.loads(body).get("code") not in _TRANSIENT_CODES
        except (orjson.JSONDecodeError, AttributeError):
            return True
    return True


async def _finish(
    factory: async_sessionmaker[AsyncSession], claim: Claim, answer: list[Message] | None
) -> None:
    start = answer[0] if answer and answer[0]["type"] == "http.response.start" else None
    body = b"".join(m.get("body", b"") for m in (answer or []) if m["type"] == "http.response.body")
    async with factory() as session, session.begin():
        row = await session.get(IdempotentRequest, (claim.scope, claim.key))
        if row is None:
            return
        if start is None or not _kept(start["status"], body):
            await session.delete(row)
            return
        row.status = start["status"]
        row.headers = [
            [name.decode("latin-1"), value.decode("latin-1")]
            for name, value in start.get("headers", [])
            if name.lower() != b"x-request-id"
        ]
        row.body = body


def install(app: Any) -> None:
    app.add_middleware(IdempotencyMiddleware)

"""The gate every request passes before its body is read: the key (/v1), then the body's size.

A body is read only for a caller with a valid key, and only up to the route's limit: no key (or
an unknown one) answers 401 with the body unread; a body past the limit answers 413 as soon as
the bytes received pass it, whatever Content-Length says (or when it is absent). Both answers
close the connection, so the rest of an unread body is never read either. Without this, four
concurrent 100 MB bodies with no key were parsed as JSON before the key was looked at and
stalled the workers past uvicorn's health check (docs/access.md, "Bounded requests").

Pure ASGI (no BaseHTTPMiddleware): the body is counted as it arrives, then handed on whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers

from service.auth.keys import authenticate
from service.auth.principal import Principal
from service.db import single_statement
from service.errors import problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Routes taking raw X12 files: the EDI limit applies; every other route takes JSON.
EDI_PATHS = ("/v1/edi/",)


class BodyTooLarge(Exception):
    pass


class Gate:
    def __init__(self, app: ASGIApp, json_limit: int, edi_limit: int) -> None:
        self.app, self.json_limit, self.edi_limit = app, json_limit, edi_limit

    def limit_for(self, path: str) -> int:
        return self.edi_limit if path.startswith(EDI_PATHS) else self.json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["path"].startswith("/v1/"):  # the API; other pages (console) sign in their way
            principal = await _principal(scope, headers)
            if principal is None:
                bearer = {"WWW-Authenticate": "Bearer"}
                await _refuse(scope, receive, send, 401, _UNAUTHORIZED, bearer)
                return
            state = scope.setdefault("state", {})
            state["principal"], state["key_id"] = principal, principal.key_id
        limit = self.limit_for(scope["path"])
        try:
            _check_declared(headers, limit)
            body = await _read_body(receive, limit)
        except BodyTooLarge:
            detail = f"the body is larger than this route takes ({limit} bytes)"
            await _refuse(scope, receive, send, 413, detail)
            return
        await self.app(scope, _replay(body, receive), send)


_UNAUTHORIZED = "a valid API key is required: Authorization: Bearer <key>"


async def _principal(scope: Scope, headers: Headers) -> Principal | None:
    scheme, _, key = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip() or not key.isascii():
        return None
    async with scope["app"].state.sessionmaker() as session:
        # A read: on SQLite it must not queue for the write lock behind a long write; on
        # PostgreSQL it needs no transaction around it.
        await single_statement(session)
        return await authenticate(session, key.strip())


def _check_declared(headers: Headers, limit: int) -> None:
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The body as it arrives, refused the moment it passes ``limit`` (Content-Length may lie)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: the app sees an empty body and then the disconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return replay


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    # Connection: close, so the server never reads the rest of a body it refused.
    response = problem(status, detail, headers={**(headers or {}), "Connection": "close"})
    await response(scope, receive, send)

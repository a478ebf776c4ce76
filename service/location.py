"""``Location`` on every 201: where the created record can be read.

An upsert is a ``PUT`` to the record's own URL, so its Location is the request's path. A
``POST`` creates a record named in its answer: ``CREATED_BY_POST`` says where each one lives
(tests/service/test_http_habits.py holds every documented 201 to a rule here).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# POST route -> (Location template, field of the answer that fills it; None: the route's own
# path, a collection that lists what was added).
CREATED_BY_POST: dict[str, tuple[str, str | None]] = {
    "/v1/claim-batches": ("/v1/claim-batches/{}", "batch_id"),
    "/v1/invoices": ("/v1/invoices/{}", "invoice_id"),
    "/v1/invoices/{invoice_id}/payments": ("/v1/invoices/{}", "invoice_id"),
    "/v1/providers/{provider_id}/fidelity-reviews": ("{}", None),
}


class LocationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("PUT", "POST"):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def send_located(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] != 201 or "location" in MutableHeaders(scope=message):
                    await send(message)
                elif scope["method"] == "PUT":
                    MutableHeaders(scope=message)["Location"] = _path(scope)
                    await send(message)
                else:
                    held.append(message)  # the answer's body names the record
                return
            if not held:
                await send(message)
                return
            held.append(message)
            if not message.get("more_body", False):
                await _send_with_location(scope, held, send)

        await self.app(scope, receive, send_located)


def _path(scope: Scope) -> str:
    return str(scope.get("root_path", "")) + str(scope["path"])


async def _send_with_location(scope: Scope, held: list[Message], send: Send) -> None:
    start, body = held[0], b"".join(m.get("body", b"") for m in held[1:])
    location = _post_location(scope, body)
    if location is not None:
        MutableHeaders(scope=start)["Location"] = location
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _post_location(scope: Scope, body: bytes) -> str | None:
    route = getattr(scope.get("route"), "path", None)
    rule = CREATED_BY_POST.get(route or "")
    if rule is None:
        return None
    template, field = rule
    if field is None:
        return template.format(_path(scope))
    try:
        answer: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    value = answer.get(field) if isinstance(answer, dict) else None
    return template.format(value) if isinstance(value, str) else None


def install(app: Any) -> None:
    app.add_middleware(LocationMiddleware)

"""``X-Request-ID``: one id per request, on its answer and on every log line written for it.

A client may send its own id (so its logs and ours share one); one that is not a plain token
(1-128 letters, digits, ``._:-``) is replaced, since it would end up in log lines verbatim.
The id lives in a context variable; ``ipsbill serve``'s log handlers give every record it as
``request_id`` and print it on each line (``log_config``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from copy import deepcopy
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current: ContextVar[str] = ContextVar("request_id", default="-")
access_log = logging.getLogger("ipsbill.access")


def current_request_id() -> str:
    """The id of the request being served ("-" outside one)."""
    return _current.get()


def accepted_or_new(sent: str | None) -> str:
    return sent if sent is not None and _SANE.fullmatch(sent) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Outermost: set before anything logs, on every answer (errors included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_or_new(Headers(scope=scope).get(HEADER))
        # Not reset afterwards: the 500 handler, outside this middleware, still reads it.
        _current.set(request_id)

        started = time.perf_counter()
        status = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _log_access(scope, status[0], time.perf_counter() - started)


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    """One line per request: the route's template, never the path or query (ids, dates)."""
    route = getattr(scope.get("route"), "path", None) or _template_of(scope) or "(no route)"
    access_log.info("%s %s -> %d in %.0f ms", scope["method"], route, status, seconds * 1000)


def _template_of(scope: Scope) -> str | None:
    """The documented path a request answered before routing (the key gate's 401 or 413) was
    meant for: the OpenAPI template whose segments match, so no id reaches the log."""
    app = scope.get("app")
    if app is None or not hasattr(app, "openapi"):
        return None
    for template in app.openapi()["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))  # {id}: one segment
        if re.fullmatch(pattern, scope["path"]):
            return str(template)
    return None


class RequestIdFilter(logging.Filter):
    """Gives each record ``request_id`` (a handler filter, so it works in every worker
    process and for records made before the app exists)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


def log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's logging configuration with the request id on every line, and a handler for
    the service's own loggers (``ipsbill.*``)."""
    from uvicorn.config import LOGGING_CONFIG

    config = deepcopy(LOGGING_CONFIG)
    config["formatters"]["default"]["fmt"] = "%(levelprefix)s [%(request_id)s] %(message)s"
    config["formatters"]["access"]["fmt"] = (
        '%(levelprefix)s [%(request_id)s] %(client_addr)s - "%(request_line)s" %(status_code)s'
    )
    config["filters"] = {"request_id": {"()": "service.request_id.RequestIdFilter"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["request_id"]
    config["loggers"]["ipsbill"] = {"handlers": ["default"], "level": level, "propagate": False}
    return config


def install(app: Any) -> None:
    app.add_middleware(RequestIdMiddleware)

"""Every error becomes application/problem+json (RFC 9457), mapped here and only here.

Error bodies name the offending field and id, never its content: a rejected member record must
not echo a name, birth date or diagnosis back into logs or proxies.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from asyncpg.exceptions import PostgresError  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from claims.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    UnknownReference,
    ValidationFailed,
)

log = logging.getLogger("ipsbill.errors")
PROBLEM = "application/problem+json"
_STATUS: dict[type[DomainError], tuple[int, str]] = {
    InvalidInput: (422, "Invalid input"),
    UnknownReference: (422, "Unknown reference"),
    NotFound: (404, "Not found"),
    Conflict: (409, "Conflict"),
    ValidationFailed: (422, "Release checks failed"),
}
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    500: "Internal error",
}


def problem(
    status: int,
    detail: str,
    errors: Sequence[dict[str, Any]] = (),
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "type": f"https://ipsbill.invalid/problems/{status}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": list(errors),
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _clean_loc(loc: Sequence[Any]) -> list[Any]:
    return [part for part in loc if part != "body"] or list(loc)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # pydantic's "input" and "ctx" would echo the caller's values (possibly PHI): drop them.
    return [
        {"loc": _clean_loc(err.get("loc", ())), "msg": err.get("msg", "invalid")}
        for err in exc.errors()
    ]


async def _on_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = _validation_errors(exc)
    if any(err["msg"].startswith("JSON decode error") for err in errors):
        return problem(400, "the body is not valid JSON", errors)
    return problem(422, f"{len(errors)} field problem(s) in the request", errors)


async def _on_domain(_request: Request, exc: DomainError) -> JSONResponse:
    status, title = _STATUS.get(type(exc), (422, "Invalid input"))
    errors = [{"loc": list(loc), "msg": msg} for loc, msg in exc.errors]
    return problem(status, exc.detail, errors, title=title)


async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:  # Starlette lists only the first matching route's methods
        headers = {**(headers or {}), "Allow": _allowed(request)}
    return problem(exc.status_code, str(exc.detail), headers=headers)


def _allowed(request: Request) -> str:
    """Every method the OpenAPI document lists at this path (RFC 9110 15.5.6)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))  # {id}: one segment
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The type only: an exception message may carry data from the request.
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    log.debug("traceback of the unhandled error", exc_info=exc)
    return problem(500, "the server could not complete the request; nothing was changed")


# SQLSTATEs of a write that lost a race with another request: unique_violation, deadlock,
# serialization failure. The transaction is rolled back; the same request sent again succeeds.
RACE_STATES = {"23505", "40P01", "40001"}


def _sqlstate(exc: BaseException | None) -> str | None:
    """asyncpg errors carry ``sqlstate``; SQLAlchemy wraps them (``orig``, whose ``__cause__``
    is the driver's error): the first state found along that chain."""
    while exc is not None:
        state = getattr(exc, "sqlstate", None)
        if isinstance(state, str):
            return state
        exc = getattr(exc, "orig", None) or exc.__cause__
    return None


async def _on_database(request: Request, exc: Exception) -> JSONResponse:
    if _sqlstate(exc) in RACE_STATES:
        log.warning("write race on %s %s: %s", request.method, request.url.path, _sqlstate(exc))
        return problem(
            409, "a concurrent request changed the same records; nothing was changed, retry"
        )
    return await _on_unexpected(request, exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, _on_database)
    app.add_exception_handler(PostgresError, _on_database)
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _on_domain)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)

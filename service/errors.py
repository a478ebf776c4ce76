"""Every error becomes application/problem+json (RFC 9457), mapped here and only here.

Error bodies name the offending field and id, never its content: a rejected member record must
not echo a name, birth date or diagnosis back into logs or proxies.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from asyncpg.exceptions import PostgresError  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from claims.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    UnknownReference,
    ValidationFailed,
)
from service import request_id
from service.problems import (
    PROBLEM_MEDIA_TYPE,
    domain_problem,
    field_errors,
    field_problem,
    problem_body,
)

log = logging.getLogger("ipsbill.errors")
PROBLEM = PROBLEM_MEDIA_TYPE
_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    UnknownReference: 422,
    NotFound: 404,
    Conflict: 409,
    ValidationFailed: 422,
}


def problem(
    status: int,
    detail: str,
    errors: Sequence[dict[str, Any]] = (),
    title: str | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> JSONResponse:
    """The one way an error is answered; ``code`` names its kind (service/data/problems.toml),
    else the status's generic kind."""
    body = problem_body(status, detail, errors, code=code, title=title)
    # A 500 is answered outside the request-id middleware: it names the id itself.
    headers = {request_id.HEADER: request_id.current_request_id(), **(headers or {})}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def status_of(exc: DomainError) -> int:
    return _STATUS.get(type(exc)) or next(
        (status for cls, status in _STATUS.items() if isinstance(exc, cls)), 422
    )


async def on_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    raw = exc.errors()
    if any(err.get("type") == "json_invalid" for err in raw):
        return problem(400, "the body is not valid JSON", field_errors(raw), code="malformed-json")
    return JSONResponse(field_problem(raw), status_code=422, media_type=PROBLEM)


async def _on_domain(_request: Request, exc: DomainError) -> JSONResponse:
    status = status_of(exc)
    return JSONResponse(domain_problem(exc, status), status_code=status, media_type=PROBLEM)


def problem_of(exc: DomainError) -> dict[str, Any]:
    """The problem object of a domain error told later, not in an answer (a failed job)."""
    return domain_problem(exc, status_of(exc))


class ProblemException(StarletteHTTPException):
    """An HTTP error of a named kind (service/data/problems.toml), raised outside the domain."""

    def __init__(
        self, status: int, detail: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, detail, headers)
        self.problem_code = code


async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers) if exc.headers else None
    code = getattr(exc, "problem_code", None)
    if exc.status_code == 405:  # Starlette names the methods of one route; the path has more
        headers = {**(headers or {}), "Allow": ", ".join(_methods_of(request))}
    return problem(exc.status_code, str(exc.detail), headers=headers, code=code)


_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE", "PATCH")


def _methods_of(request: Request) -> list[str]:
    """The methods some route of the path takes (``Allow`` of a 405)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


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
            409,
            "a concurrent request changed the same records; nothing was changed, retry",
            code="concurrent-change",
        )
    return await _on_unexpected(request, exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, _on_database)
    app.add_exception_handler(PostgresError, _on_database)
    app.add_exception_handler(RequestValidationError, on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _on_domain)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)

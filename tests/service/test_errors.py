"""A write that lost a race with another request is a 409 to retry, never a 500."""

from __future__ import annotations

import json

from asyncpg.exceptions import (  # type: ignore[import-untyped]
    DeadlockDetectedError,
    NotNullViolationError,
    UniqueViolationError,
)
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request

from service.errors import _on_database, _sqlstate


def _request() -> Request:
    return Request({"type": "http", "method": "POST", "path": "/v1/x", "headers": []})


def _wrapped(cause: Exception) -> IntegrityError:
    """As SQLAlchemy's asyncpg adapter raises it: the driver's error is the DBAPI error's cause."""
    dbapi_error = Exception("adapted")
    dbapi_error.__cause__ = cause
    return IntegrityError("INSERT ...", {}, dbapi_error)


def test_the_sqlstate_is_found_raw_and_wrapped() -> None:
    assert _sqlstate(UniqueViolationError("dup")) == "23505"
    assert _sqlstate(_wrapped(DeadlockDetectedError("deadlock"))) == "40P01"
    assert _sqlstate(ValueError("no state")) is None


async def test_a_lost_race_is_409_and_anything_else_stays_500() -> None:
    for error in (UniqueViolationError("dup"), _wrapped(UniqueViolationError("dup"))):
        answer = await _on_database(_request(), error)
        assert answer.status_code == 409
        assert "retry" in json.loads(bytes(answer.body))["detail"]
    other = await _on_database(_request(), _wrapped(NotNullViolationError("null")))
    assert other.status_code == 500
    assert "null" not in bytes(other.body).decode()  # the driver's text never reaches the client

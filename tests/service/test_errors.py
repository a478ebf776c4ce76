"""A write that lost a race with another request is a 409 to retry, never a 500."""

from __future__ import annotations

import json

from asyncpg.exceptions import (  # type: ignore[import-untyped]
    DeadlockDetectedError,
    UniqueViolationError,
)
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request

from service.db import make_engine
from service.errors import _on_database, _sqlstate


def _request() -> Request:
    return Request({"type": "http", "method": "POST", "path": "/v1/x", "headers": []})


async def _raised_by_postgresql(url: str, statement: str) -> DBAPIError:
    """The error SQLAlchemy raises for ``statement`` on a real PostgreSQL connection."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CREATE TEMP TABLE race (id int PRIMARY KEY, note text)"))
            await conn.execute(text("ALTER TABLE race ALTER COLUMN note SET NOT NULL"))
            await conn.execute(text("INSERT INTO race VALUES (1, 'first')"))
            try:
                await conn.execute(text(statement))
            except DBAPIError as exc:
                return exc
    finally:
        await engine.dispose()
    raise AssertionError(f"{statement} did not fail")


async def test_the_sqlstate_is_found_raw_and_wrapped(postgres_url: str) -> None:
    # Raw: what the COPY path (asyncpg directly) raises.
    assert _sqlstate(UniqueViolationError("dup")) == "23505"
    assert _sqlstate(DeadlockDetectedError("deadlock")) == "40P01"
    # Wrapped: what SQLAlchemy raises for a statement.
    duplicate = "INSERT INTO race VALUES (1, 'second')"
    assert _sqlstate(await _raised_by_postgresql(postgres_url, duplicate)) == "23505"
    assert _sqlstate(ValueError("no state")) is None


async def test_a_lost_race_is_409_and_anything_else_stays_500(postgres_url: str) -> None:
    duplicate = "INSERT INTO race VALUES (1, 'second')"
    wrapped = await _raised_by_postgresql(postgres_url, duplicate)
    for error in (UniqueViolationError("dup"), wrapped):
        answer = await _on_database(_request(), error)
        assert answer.status_code == 409
        assert "retry" in json.loads(bytes(answer.body))["detail"]
    missing = await _raised_by_postgresql(postgres_url, "INSERT INTO race VALUES (2, NULL)")
    other = await _on_database(_request(), missing)
    assert other.status_code == 500
    assert "null" not in bytes(other.body).decode()  # the driver's text never reaches the client

"""Keyset pagination with an opaque cursor: stable under inserts, cheap at any depth."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from claims.errors import InvalidInput


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([str(value) for value in values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            "the cursor is not one this service gave out", [(("query", "cursor"), "invalid cursor")]
        ) from exc
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise InvalidInput(
            "the cursor is not one this service gave out", [(("query", "cursor"), "invalid cursor")]
        )
    return values


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    keys: Sequence[InstrumentedAttribute[Any]],
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """Rows of ``stmt`` ordered by ``keys`` (unique together) after ``cursor``; next cursor."""
    if cursor:
        values = decode_cursor(cursor)
        if len(values) != len(keys):
            raise InvalidInput(
                "the cursor does not fit this list", [(("query", "cursor"), "invalid cursor")]
            )
        typed = [_typed(key, value) for key, value in zip(keys, values, strict=True)]
        stmt = stmt.where(tuple_(*keys) > tuple_(*typed))
    rows = list((await session.execute(stmt.order_by(*keys).limit(limit + 1))).scalars())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor([getattr(last, key.key) for key in keys])


def _typed(key: InstrumentedAttribute[Any], value: str) -> Any:
    python_type = key.type.python_type
    try:
        if python_type is int:
            return int(value)
        if hasattr(python_type, "fromisoformat"):
            return python_type.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            "the cursor is not one this service gave out", [(("query", "cursor"), "invalid cursor")]
        ) from exc
    return value


def filtered(stmt: Select[Any], pairs: Sequence[tuple[Any, Any]]) -> Select[Any]:
    """``column == value`` for each pair whose value was given (query filters and scopes)."""
    for column, value in pairs:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def date_range(stmt: Select[Any], column: Any, start: Any, end: Any) -> Select[Any]:
    """``from``/``to`` on ``column``, both optional; ``to`` before ``from`` is a 422."""
    if start and end and end < start:
        raise InvalidInput("to is before from", [(("query", "to"), "before from")])
    if start:
        stmt = stmt.where(column >= start)
    if end:
        stmt = stmt.where(column <= end)
    return stmt

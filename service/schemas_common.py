"""Types shared by every domain's request and response schemas (contract, "Conventions")."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar, get_args

from fastapi import Path, Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from claims.money import to_money

ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=64)]


def IdPath(description: str = "the caller's own id") -> Any:  # noqa: N802 - reads like a type
    return Path(pattern=ID_PATTERN, min_length=1, max_length=64, description=description)


def _money_in(value: Any) -> Decimal:
    # Contract: money is a decimal string with two places, never a float, in and out.
    if isinstance(value, Decimal):
        return to_money(value)
    if not isinstance(value, str):
        raise ValueError('money must be a decimal string such as "6.50", not a number')
    text = value.strip()
    head, _, tail = text.lstrip("-").partition(".")
    if not head.isdigit() or len(head) > 10 or (tail and (not tail.isdigit() or len(tail) > 2)):
        raise ValueError('money must look like "6.50": digits, at most two decimal places')
    return to_money(text)


MoneyStr = Annotated[
    Decimal,
    BeforeValidator(_money_in),
    PlainSerializer(lambda value: str(to_money(value)), return_type=str),
    Field(json_schema_extra={"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "6.50"}),
]


# Text PostgreSQL cannot store (NUL) or UTF-8 cannot encode (a lone surrogate, which JSON's
# "\\ud800" escape can carry). SQLite would store both: refusing them here keeps the answer the
# same on every database (docs/input.md).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MSG = "contains a character that cannot be stored (NUL or a lone surrogate)"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_MSG = "a date is a string YYYY-MM-DD"


def unstorable(value: Any) -> bool:
    """Does this JSON value hold unstorable text anywhere (keys included)?"""
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(unstorable(key) or unstorable(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(unstorable(item) for item in value)
    return False


def strict_date(value: Any) -> Any:
    """Dates only as YYYY-MM-DD strings: pydantic alone takes 1792800000 (or "1792800000")
    for a date, counting seconds since 1970."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise ValueError(DATE_MSG)
    return value


def _strict_type(annotation: Any) -> type | None:
    """date, bool or int when the field is one of them (or optional): JSON gives these exactly,
    and pydantic's lax mode would also take 1792800000 for a date, false for 0, "96" for 96."""
    for kind in (date, bool, int):
        if annotation is kind or kind in get_args(annotation):
            return kind
    return None


def _strict(kind: type, value: Any) -> Any:
    if kind is date:
        return strict_date(value)
    if value is None or (type(value) is kind):
        return value
    if kind is int and type(value) is float and value.is_integer():
        return value  # 96.0 is an integer to JSON Schema
    raise ValueError("true or false" if kind is bool else "a whole number, not text or true/false")


class StorableInput(BaseModel):
    """Every request body: no unstorable text in any field; dates only as YYYY-MM-DD strings,
    numbers and booleans only as JSON numbers and booleans."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        if unstorable(value):
            raise ValueError(UNSTORABLE_MSG)
        key = (cls, info.field_name or "")
        if key not in _KINDS:
            field = cls.model_fields.get(key[1])
            _KINDS[key] = _strict_type(field.annotation) if field is not None else None
        kind = _KINDS[key]
        return value if kind is None else _strict(kind, value)


_KINDS: dict[tuple[type, str], type | None] = {}  # (model, field) -> its strict type, found once


class Body(StorableInput):
    """Request bodies: unknown fields are refused so a misspelt field never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


LimitQuery = Annotated[int, Query(ge=1, le=1000, description="page size (max 1000)")]
# A stored row's numeric id (an INTEGER column). Past PostgreSQL's integer range no row can
# exist, and asking for one failed in the database (a 500) instead of answering 422.
ROW_ID_MAX = 2**31 - 1
RowIdPath = Annotated[int, Path(ge=1, le=ROW_ID_MAX, description="a stored row's id")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="opaque cursor")]
DateQuery = Annotated[date | None, BeforeValidator(strict_date), Query()]

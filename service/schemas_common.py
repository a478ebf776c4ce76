"""Types shared by every domain's request and response schemas (contract, "Conventions")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
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


class Body(BaseModel):
    """Request bodies: unknown fields are refused so a misspelt field never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


LimitQuery = Annotated[int, Query(ge=1, le=1000, description="page size (max 1000)")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="opaque cursor")]
DateQuery = Annotated[date | None, Query()]

"""Fast constructors for the values the engine emits per event, reason and line.

A frozen dataclass's ``__init__`` goes through ``object.__setattr__`` once per field, which made
building ``Adjudication`` and ``UnitLine`` most of the engine's time (bench/engine.py). Setting
the slots through their member descriptors halved that, but each such call still packs its
arguments in a tuple. These builders fill a *draft*, a plain class with exactly the model
class's slots, by ordinary attribute stores (CPython's fastest), then assign ``__class__``:
CPython allows that only between classes of the same layout, and checks it on every
assignment. The result is an ordinary frozen instance, equal to one built by the constructor
(tests/claims/test_units_tables.py checks both the equality and that the field lists still
match the model).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any

from claims.model import (
    Adjudication,
    EventStatus,
    LineStatus,
    Reason,
    ReasonCode,
    UnitLine,
)

REASON_FIELDS = ("code", "minutes", "detail")
ADJUDICATION_FIELDS = (
    "event_id", "event_version", "status", "minutes", "billable_minutes", "reasons",
    "procedure", "modifiers",
)  # fmt: skip
UNIT_LINE_FIELDS = (
    "member_id", "provider_id", "payer_id", "service_date", "procedure", "modifiers", "minutes",
    "units", "held_units", "status", "event_ids", "rate", "charge", "hold_reason",
    "authorization_id", "auth_units", "authorization_draws",
)  # fmt: skip


def _draft(cls: type, names: tuple[str, ...]) -> Any:
    """A plain class with the slots of the frozen dataclass ``cls``, in the same order."""
    if tuple(f.name for f in fields(cls)) != names or getattr(cls, "__slots__", None) != names:
        raise RuntimeError(f"{cls.__name__} fields changed: update claims/units/build.py")
    return type(f"{cls.__name__}Draft", (), {"__slots__": names})


_NEW = object.__new__
_REASON = _draft(Reason, REASON_FIELDS)
_ADJUDICATION = _draft(Adjudication, ADJUDICATION_FIELDS)
_UNIT_LINE = _draft(UnitLine, UNIT_LINE_FIELDS)


def reason(code: ReasonCode, minutes: int, detail: str) -> Reason:
    obj = _NEW(_REASON)
    obj.code = code
    obj.minutes = minutes
    obj.detail = detail
    obj.__class__ = Reason
    return obj  # type: ignore[no-any-return]


def adjudication(
    event_id: str,
    event_version: int,
    status: EventStatus,
    minutes: int,
    billable_minutes: int,
    reasons: tuple[Reason, ...],
    procedure: str,
    modifiers: tuple[str, ...],
) -> Adjudication:
    obj = _NEW(_ADJUDICATION)
    obj.event_id = event_id
    obj.event_version = event_version
    obj.status = status
    obj.minutes = minutes
    obj.billable_minutes = billable_minutes
    obj.reasons = reasons
    obj.procedure = procedure
    obj.modifiers = modifiers
    obj.__class__ = Adjudication
    return obj  # type: ignore[no-any-return]


def unit_line(
    member_id: str,
    provider_id: str,
    payer_id: str,
    service_date: date,
    procedure: str,
    modifiers: tuple[str, ...],
    minutes: int,
    units: int,
    held_units: int,
    status: LineStatus,
    event_ids: tuple[str, ...],
    rate: Decimal | None,
    charge: Decimal,
    hold_reason: ReasonCode | None,
    authorization_id: str | None,
    auth_units: int,
    authorization_draws: tuple[tuple[str, int], ...] = (),
) -> UnitLine:
    obj = _NEW(_UNIT_LINE)
    obj.member_id = member_id
    obj.provider_id = provider_id
    obj.payer_id = payer_id
    obj.service_date = service_date
    obj.procedure = procedure
    obj.modifiers = modifiers
    obj.minutes = minutes
    obj.units = units
    obj.held_units = held_units
    obj.status = status
    obj.event_ids = event_ids
    obj.rate = rate
    obj.charge = charge
    obj.hold_reason = hold_reason
    obj.authorization_id = authorization_id
    obj.auth_units = auth_units
    obj.authorization_draws = authorization_draws
    obj.__class__ = UnitLine
    return obj  # type: ignore[no-any-return]

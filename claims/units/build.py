"""Fast constructors for the values the engine emits per event, reason and line.

A frozen dataclass's ``__init__`` goes through ``object.__setattr__`` once per field, which made
building ``Adjudication`` and ``UnitLine`` most of the engine's time (bench/engine.py). These
builders set the same slots through their member descriptors instead: the result is an
ordinary instance, equal to one built by the constructor (tests/claims/test_units_tables.py
checks both the equality and that the field lists still match the model).
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
    "authorization_id", "auth_units",
)  # fmt: skip


def _setters(cls: type, names: tuple[str, ...]) -> list[Any]:
    if tuple(f.name for f in fields(cls)) != names:
        raise RuntimeError(f"{cls.__name__} fields changed: update claims/units/build.py")
    return [cls.__dict__[name].__set__ for name in names]


_NEW = object.__new__
_r0, _r1, _r2 = _setters(Reason, REASON_FIELDS)
_a0, _a1, _a2, _a3, _a4, _a5, _a6, _a7 = _setters(Adjudication, ADJUDICATION_FIELDS)
_l0, _l1, _l2, _l3, _l4, _l5, _l6, _l7, _l8, _l9, _l10, _l11, _l12, _l13, _l14, _l15 = _setters(
    UnitLine, UNIT_LINE_FIELDS
)


def reason(code: ReasonCode, minutes: int, detail: str) -> Reason:
    obj: Reason = _NEW(Reason)
    _r0(obj, code)
    _r1(obj, minutes)
    _r2(obj, detail)
    return obj


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
    obj: Adjudication = _NEW(Adjudication)
    # Unrolled on purpose: a loop over the setters costs most of what the descriptors save.
    _a0(obj, event_id)
    _a1(obj, event_version)
    _a2(obj, status)
    _a3(obj, minutes)
    _a4(obj, billable_minutes)
    _a5(obj, reasons)
    _a6(obj, procedure)
    _a7(obj, modifiers)
    return obj


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
) -> UnitLine:
    obj: UnitLine = _NEW(UnitLine)
    _l0(obj, member_id)
    _l1(obj, provider_id)
    _l2(obj, payer_id)
    _l3(obj, service_date)
    _l4(obj, procedure)
    _l5(obj, modifiers)
    _l6(obj, minutes)
    _l7(obj, units)
    _l8(obj, held_units)
    _l9(obj, status)
    _l10(obj, event_ids)
    _l11(obj, rate)
    _l12(obj, charge)
    _l13(obj, hold_reason)
    _l14(obj, authorization_id)
    _l15(obj, auth_units)
    return obj

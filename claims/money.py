"""Money is Decimal, two places, half-up; strings on the wire, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    """Quantize to cents, half-up. Rejects floats so binary rounding never reaches a claim."""
    if isinstance(value, float):  # pragma: no cover - guarded by typing, kept for safety
        raise TypeError("money must not be a float")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not a money amount: {value!r}") from exc


def money_str(value: Decimal) -> str:
    return str(to_money(value))


def line_charge(units: int, rate: Decimal) -> Decimal:
    # billing-rules.md 1.4: units x rate, two places, half-up.
    return to_money(rate * units)

"""Remittance exceptions resolved by a person: the stored claim payment applied as if it had
passed its checks, or dismissed; either way who, when and why is kept (docs/edi.md,
"Resolving an exception").

The CLP loop is stored with the exception as plain JSON (amounts and dates as strings), so
applying it later reads nothing but the row and the claim.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import Conflict, NotFound
from claims.inbound import model as edi
from claims.lifecycle import REMIT_EVENT, ClaimStatus, applies_to, transition
from service import models as orm
from service.auth.principal import Principal
from service.models.base import utcnow


def stored_payment(remit: edi.RemitClaim, payment: edi.Payment) -> dict[str, Any]:
    """What applying the claim payment later needs: the CLP loop, the trace and the date."""
    when = payment.payment_date
    return {
        "trace": payment.trace_number,
        "payment_date": None if when is None else when.isoformat(),
        # Structs to dicts, tuples to lists, amounts, dates and enums to their strings.
        "claim": msgspec.to_builtins(remit),
    }


def remit_claim(data: dict[str, Any]) -> edi.RemitClaim:
    amounts = {key: Decimal(data[key]) for key in ("charge", "paid", "patient_responsibility")}
    return edi.RemitClaim(**{
        **data, **amounts,
        "adjustments": _adjustments(data["adjustments"]),
        "lines": tuple(_line(line) for line in data["lines"]),
        "outcome": edi.RemitOutcome(data["outcome"]),
    })  # fmt: skip


def _line(data: dict[str, Any]) -> edi.RemitLine:
    amounts = {key: Decimal(data[key]) for key in ("charge", "paid", "units")}
    return edi.RemitLine(**{
        **data, **amounts,
        "modifiers": tuple(data["modifiers"]),
        "service_date": _date(data["service_date"]),
        "allowed": None if data["allowed"] is None else Decimal(data["allowed"]),
        "adjustments": _adjustments(data["adjustments"]),
        "remark_codes": tuple(data["remark_codes"]),
    })  # fmt: skip


def _adjustments(items: list[dict[str, Any]]) -> tuple[edi.Adjustment, ...]:
    return tuple(
        edi.Adjustment(
            item["group_code"],
            item["reason_code"],
            Decimal(item["amount"]),
            None if item["quantity"] is None else Decimal(item["quantity"]),
        )  # fmt: skip
        for item in items
    )


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


async def held(
    session: AsyncSession, principal: Principal, exception_id: int
) -> orm.RemittanceException:
    """The exception, locked for this resolution; outside the caller's payer it does not exist."""
    stmt = (
        select(orm.RemittanceException)
        .where(orm.RemittanceException.id == exception_id)
        .with_for_update()
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None or not principal.sees_payer(row.payer_id):
        raise NotFound(f"no remittance exception {exception_id}")
    return row


def already_resolved(row: orm.RemittanceException, action: str) -> bool:
    """A retry of the same resolution answers what was decided; another one is a conflict."""
    if row.status != "resolved":
        return False
    if row.resolution == action:
        return True
    raise Conflict(
        f"remittance exception {row.id} was already resolved ({row.resolution}"
        f" by {row.resolved_by} at {row.resolved_at:%Y-%m-%dT%H:%M:%SZ})"
    )


def why_not_applicable(row: orm.RemittanceException, claim: orm.Claim | None) -> str | None:
    """None when the stored payment may be applied to the claim as it is now."""
    if row.remittance is None:
        return (
            "the exception was stored before its claim payment was kept; it can only be dismissed"
        )
    if claim is None:
        return f"claim {row.claim_id} no longer exists"
    outcome = edi.RemitOutcome(row.remittance["claim"]["outcome"])
    event = REMIT_EVENT[outcome]  # claims.lifecycle: the same rule as a passing payment's
    if transition(ClaimStatus(claim.status), event) is None:
        kind = outcome.value.replace("_", " ")
        allowed = ", ".join(sorted(applies_to(event)))
        return (
            f"claim {claim.claim_id} is {claim.status} now (payment"
            f" {claim.payment_reference or '-'}); a {kind} remittance applies only to a claim"
            f" that is {allowed}"
        )
    return None


def record_resolution(
    row: orm.RemittanceException, principal: Principal, action: str, note: str
) -> None:
    row.status, row.resolution = "resolved", action
    row.resolved_by, row.resolved_at, row.resolution_note = principal.key_id, utcnow(), note

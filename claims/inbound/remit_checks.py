"""Remittance checks: is this 835 claim payment really about the claim we billed?

An 835 is applied only when it passes every check below; otherwise it is kept as an exception
for a person to resolve (docs/edi.md, "Remittance checks"). The wording of each check is data
(``data/remittance_checks.toml``); the rules are plain functions of frozen values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from importlib import resources

from msgspec import Struct

from claims.inbound.model import Adjustment, Payment, RemitClaim, RemitOutcome
from claims.lifecycle import REMIT_EVENT, ClaimStatus, applies_to, transition


class BilledClaim(Struct, frozen=True, gc=False):
    """What we sent for one claim, as far as a remittance can be checked against it."""

    claim_id: str
    payer_ids: frozenset[str]  # every id we name the payer by (NM1*PR NM109, the payer record)
    provider_npi: str
    provider_tax_id: str
    total_charge: Decimal
    line_ids: frozenset[str]  # the REF*6R of each line we sent
    status: ClaimStatus = ClaimStatus.GENERATED  # the claim's status now


class FailedCheck(Struct, frozen=True, gc=False):
    check: str  # a key of data/remittance_checks.toml
    message: str  # what it means
    detail: str  # what was found, without member data


@cache
def check_texts() -> dict[str, str]:
    text = resources.files("claims.inbound").joinpath("data", "remittance_checks.toml")
    checks: dict[str, str] = tomllib.loads(text.read_text("utf-8"))["checks"]
    return checks


def failed_checks(
    billed: BilledClaim, remit: RemitClaim, payment: Payment
) -> tuple[FailedCheck, ...]:
    """Every check the remittance fails, in a fixed order; () when it may be applied."""
    found = []
    for check, rule in CHECKS:
        detail = rule(billed, remit, payment)
        if detail is not None:
            found.append(FailedCheck(check, check_texts()[check], detail))
    return tuple(found)


def _payer(billed: BilledClaim, remit: RemitClaim, payment: Payment) -> str | None:
    if billed.payer_ids & set(payment.payer_ids):
        return None
    named = ", ".join(payment.payer_ids) or "no payer id"
    return f"the 835 names {named}; the claim was billed to {', '.join(sorted(billed.payer_ids))}"


def _payee(billed: BilledClaim, remit: RemitClaim, payment: Payment) -> str | None:
    named = []
    if payment.payee_id_qualifier == "XX":
        named.append(("NPI", payment.payee_id, billed.provider_npi))
    elif payment.payee_id_qualifier == "FI":
        named.append(("tax id", payment.payee_id, billed.provider_tax_id))
    if payment.payee_tax_id:
        named.append(("tax id", payment.payee_tax_id, billed.provider_tax_id))
    if not named:
        return "the 835 names the payee by neither NPI nor tax id"
    wrong = [f"{kind} {got} (ours {ours})" for kind, got, ours in named if got != ours]
    return "the 835's payee has " + "; ".join(wrong) if wrong else None


def _charge(billed: BilledClaim, remit: RemitClaim, payment: Payment) -> str | None:
    # A reversal (CLP02 22) repeats the original charge with its sign turned.
    charge = abs(remit.charge) if remit.outcome is RemitOutcome.REVERSED else remit.charge
    if charge == billed.total_charge:
        return None
    return f"CLP03 {remit.charge} against a billed charge of {billed.total_charge}"


def _line_ids(billed: BilledClaim, remit: RemitClaim, payment: Payment) -> str | None:
    # Every line we send carries a REF*6R, and the guide asks the payer to return it: a line
    # without one cannot be told apart from the claim's other lines (docs/edi.md).
    ids = [line.line_item_control_number for line in remit.lines]
    found = []
    if foreign := sorted(set(ids) - billed.line_ids - {""}):
        found.append(f"REF*6R {', '.join(foreign)} not on this claim")
    if missing := ids.count(""):
        found.append(f"{missing} service line(s) without REF*6R")
    return "; ".join(found) or None


def _overpaid(billed: BilledClaim, remit: RemitClaim, payment: Payment) -> str | None:
    if remit.paid > abs(remit.charge) and not _explained(remit.adjustments):
        return f"CLP04 {remit.paid} exceeds CLP03 {remit.charge}"
    for line in remit.lines:
        if line.paid > line.charge and not _explained(line.adjustments + remit.adjustments):
            ref = line.line_item_control_number or "without REF*6R"
            return f"line {ref} pays {line.paid} against {line.charge} charged"
    return None


def _explained(adjustments: tuple[Adjustment, ...]) -> bool:
    """A negative CAS amount is the payer saying, with a reason code, why it pays more."""
    return any(adj.amount < 0 and adj.reason_code for adj in adjustments)


def _claim_status(billed: BilledClaim, remit: RemitClaim, payment: Payment) -> str | None:
    """A payment or denial lands on a claim nobody has decided yet; a take-back on one decided
    (claims.lifecycle): anything else is for a person to look at."""
    event = REMIT_EVENT[remit.outcome]
    if transition(billed.status, event) is not None:
        return None
    allowed = ", ".join(sorted(applies_to(event)))
    kind = remit.outcome.value.replace("_", " ")
    return f"claim is {billed.status}; a {kind} remittance applies only to one {allowed}"


Rule = Callable[[BilledClaim, RemitClaim, Payment], str | None]
CHECKS: tuple[tuple[str, Rule], ...] = (
    ("payer", _payer),
    ("payee", _payee),
    ("charge", _charge),
    ("line_ids", _line_ids),
    ("overpaid", _overpaid),
    ("claim_status", _claim_status),
)

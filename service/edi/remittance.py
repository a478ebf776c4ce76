"""835: each claim payment checked against what we billed, then applied or held as an exception;
PLB provider-level adjustments recorded against the provider and the payment (docs/edi.md).

Everything a payment needs from the database (its claims, their lines, providers and payers) is
read in a few set-wise queries per payment, so a file costs time in proportion to its size.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.inbound import model as edi
from claims.inbound.remit_checks import BilledClaim, FailedCheck, failed_checks
from claims.lifecycle import REMIT_EVENT, ClaimStatus
from claims.money import to_money
from service import models as orm
from service.auth.principal import Principal
from service.claims.x12_adapter import payer_profile
from service.dbkit import rows_in
from service.edi.applied import Applied, set_status
from service.edi.held import stored_payment
from service.profiles import ProfileRegistry

ZERO = Decimal("0.00")


async def payer_edi_ids(
    session: AsyncSession, profiles: ProfileRegistry
) -> dict[str, frozenset[str]]:
    """Our payer id -> every id we name it by in an 837P (its own EDI id, its profile's)."""
    known = {}
    for payer in (await session.execute(select(orm.Payer))).scalars():
        profile = profiles.get(payer.edi_profile)
        ids = {payer_profile(payer, profile).interchange.payer_id, profile.interchange.payer_id}
        known[payer.payer_id] = frozenset(ids)
    return known


# Claims matched between two turns of the event loop: a 10 MB 835 has 57,000 claim loops, and a
# job applying it in ``serve`` shares the loop with the requests (docs/edi.md, "Reading time").
YIELD_EVERY = 500


async def apply_835(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    doc: edi.Remittance835,
    applied: Applied,
) -> None:
    payers = await payer_edi_ids(session, profiles)
    for payment in doc.payments:
        found = await rows_in(
            session, orm.Claim.claim_id, {c.patient_control_number for c in payment.claims}
        )
        claims = {c.claim_id: c for c in found if principal.sees_payer(c.payer_id)}
        lines = await claim_lines(session, claims)
        providers = await _providers(session, {c.provider_id for c in claims.values()})
        for index, remit in enumerate(payment.claims):
            if index % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # a long loop of pure CPU: let the worker's requests in
            claim = claims.get(remit.patient_control_number)
            if claim is None:
                applied.unmatched.append(
                    {"claim_id": remit.patient_control_number, "reason": "no claim with this CLM01"}
                )
                continue
            provider = providers[claim.provider_id]
            billed = BilledClaim(
                claim.claim_id, payers.get(claim.payer_id, frozenset()), provider.npi,
                provider.tax_id, claim.total_charge, frozenset(lines[claim.claim_id]),
                ClaimStatus(claim.status),
            )  # fmt: skip
            failed = failed_checks(billed, remit, payment)
            if failed:
                _hold(session, claim, remit, payment, failed, applied)
            else:
                paid_by = (payment.trace_number, payment.payment_date)
                apply_remit(session, claim, remit, paid_by, lines[claim.claim_id], applied)
        await _record_plb(session, principal, payment, payers, claims, applied)


async def claim_lines(
    session: AsyncSession, claims: dict[str, orm.Claim]
) -> dict[str, dict[str, orm.ClaimLine]]:
    by_claim: dict[str, dict[str, orm.ClaimLine]] = defaultdict(dict)
    for line in await rows_in(session, orm.ClaimLine.claim_id, set(claims)):
        by_claim[line.claim_id][line.line_ref] = line
    return by_claim


async def _providers(session: AsyncSession, ids: set[str]) -> dict[str, orm.Provider]:
    return {p.provider_id: p for p in await rows_in(session, orm.Provider.provider_id, ids)}


def _hold(
    session: AsyncSession,
    claim: orm.Claim,
    remit: edi.RemitClaim,
    payment: edi.Payment,
    failed: tuple[FailedCheck, ...],
    applied: Applied,
) -> None:
    """Kept for a person to resolve; the claim is not touched."""
    checks = [{"check": f.check, "message": f.message, "detail": f.detail} for f in failed]
    session.add(
        orm.RemittanceException(
            inbound_digest=applied.digest,
            claim_id=claim.claim_id,
            payer_id=claim.payer_id,
            provider_id=claim.provider_id,
            payment_trace=payment.trace_number[:50],
            payer_claim_number=remit.payer_claim_control_number[:50],
            status_code=remit.status_code[:4],
            charge=to_money(remit.charge),
            paid=to_money(remit.paid),
            failed_checks=checks,
            status="open",
            remittance=stored_payment(remit, payment),
        )
    )
    applied.exceptions.append(
        {"claim_id": claim.claim_id, "failed_checks": [f.check for f in failed]}
    )


def apply_remit(
    session: AsyncSession,
    claim: orm.Claim,
    remit: edi.RemitClaim,
    paid_by: tuple[str, date | None],
    lines: dict[str, orm.ClaimLine],
    applied: Applied,
) -> None:
    """The claim payment onto the claim and its lines; ``paid_by``: the trace and the date."""
    applied.touch(claim)
    if remit.payer_claim_control_number and not claim.payer_claim_number:
        claim.payer_claim_number = remit.payer_claim_control_number
        applied.numbers_learned.add(claim.claim_id)
    paid = ZERO if remit.outcome is edi.RemitOutcome.REVERSED else to_money(remit.paid)
    (claim.payment_reference, claim.paid_on), claim.paid_amount = paid_by, paid
    claim.status_codes = [f"CLP02:{remit.status_code}"] + [
        f"{a.group_code}-{a.reason_code}" for a in remit.adjustments
    ]
    detail = f"835 CLP02 {remit.status_code}, paid {paid}, trace {paid_by[0]}"
    set_status(session, claim, REMIT_EVENT[remit.outcome], applied, detail)
    for remit_line in remit.lines:
        line = lines.get(remit_line.line_item_control_number)
        if line is None:  # only when a person applied it despite the line_ids check
            continue
        line.paid_amount = (
            ZERO if remit.outcome is edi.RemitOutcome.REVERSED else to_money(remit_line.paid)
        )
        line.adjustments = [_adjustment(a) for a in remit_line.adjustments]


def _adjustment(adj: edi.Adjustment) -> dict[str, Any]:
    return {
        "group_code": adj.group_code,
        "reason_code": adj.reason_code,
        "amount": str(to_money(adj.amount)),
        "quantity": None if adj.quantity is None else str(adj.quantity),
    }


async def _record_plb(
    session: AsyncSession,
    principal: Principal,
    payment: edi.Payment,
    payers: dict[str, frozenset[str]],
    claims: dict[str, orm.Claim],
    applied: Applied,
) -> None:
    """Each PLB amount against the payment, our provider (PLB01 is its NPI or tax id) and the
    payer (that of the payment's claims, else the one payer the 835 names)."""
    if not payment.provider_adjustments:
        return
    payer_id = _payment_payer(payment, payers, claims)
    if payer_id is not None and not principal.sees_payer(payer_id):
        return
    providers = await _providers_by_identifier(
        session, {adj.provider_id for adj in payment.provider_adjustments}
    )
    for adj in payment.provider_adjustments:
        provider = providers.get(adj.provider_id)
        session.add(
            orm.ProviderAdjustmentRow(
                inbound_digest=applied.digest,
                payer_id=payer_id,
                provider_id=provider.provider_id if provider else None,
                provider_identifier=adj.provider_id[:50],
                payment_trace=payment.trace_number[:50],
                payment_date=payment.payment_date,
                fiscal_period_end=adj.fiscal_period_end,
                reason_code=adj.reason_code[:4],
                reference=adj.reference[:50],
                amount=to_money(adj.amount),
            )
        )
        applied.provider_adjustments += 1
        if provider is None:
            applied.unmatched.append(
                {
                    "provider_identifier": adj.provider_id,
                    "reason": "PLB01 names no provider of ours",
                }
            )


def _payment_payer(
    payment: edi.Payment, payers: dict[str, frozenset[str]], claims: dict[str, orm.Claim]
) -> str | None:
    of_claims = {claim.payer_id for claim in claims.values()}
    if len(of_claims) == 1:
        return of_claims.pop()
    named = [payer for payer, ids in payers.items() if ids & set(payment.payer_ids)]
    return named[0] if len(named) == 1 else None


async def _providers_by_identifier(
    session: AsyncSession, identifiers: set[str]
) -> dict[str, orm.Provider]:
    stmt = select(orm.Provider).where(
        or_(orm.Provider.npi.in_(identifiers), orm.Provider.tax_id.in_(identifiers))
    )
    found: dict[str, orm.Provider] = {}
    for provider in (await session.execute(stmt)).scalars():
        for key in (provider.npi, provider.tax_id):
            if key in identifiers:
                found.setdefault(key, provider)
    return found

"""Rows to the 837P writer's frozen inputs: the only place that knows both shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from claims.lifecycle import Frequency
from claims.profile import PayerProfile, for_payer
from claims.x12 import model as x12
from service import models as orm

if TYPE_CHECKING:
    from service.claims.planned import PlannedClaim


def payer_profile(payer: orm.Payer, profile: PayerProfile) -> PayerProfile:
    """The profile this payer's 837P is written with: its own name and EDI ids where it has them."""
    return for_payer(
        profile, payer.name, payer.edi_payer_id, payer.edi_receiver_id, payer.edi_receiver_name
    )


def _address(data: dict[str, Any]) -> x12.Address:
    return x12.Address(
        line1=data["line1"],
        city=data["city"],
        state=data["state"],
        zip=data["zip"],
        line2=data.get("line2"),
    )


def provider(row: orm.Provider) -> x12.BillingProvider:
    return x12.BillingProvider(
        provider_id=row.provider_id,
        name=row.name,
        npi=row.npi,
        tax_id=row.tax_id,
        address=_address(row.address),
        taxonomy=row.taxonomy,
    )


def missing_for_claim(row: orm.Member | None) -> str | None:
    """What a member lacks for loop 2010BA (address is required when subscriber is patient)."""
    if row is None:
        return "member record"
    missing = [
        name
        for name, value in (
            ("subscriber_id", row.subscriber_id),
            ("diagnoses", row.diagnoses),
            ("address", row.address),
        )
        if not value
    ]
    return ", ".join(missing) or None


def subscriber(row: orm.Member) -> x12.Subscriber:
    assert row.address and row.subscriber_id  # guarded by missing_for_claim
    return x12.Subscriber(
        member_id=row.member_id,
        subscriber_id=row.subscriber_id,
        last_name=row.last_name,
        first_name=row.first_name,
        birth_date=row.birth_date,
        sex=row.sex,  # type: ignore[arg-type]
        address=_address(row.address),
        diagnoses=tuple(row.diagnoses),
    )


def _lines(claim: PlannedClaim) -> tuple[x12.ClaimLineInput, ...]:
    if claim.frequency == Frequency.VOID:  # a void repeats what the original claim said
        return tuple(
            x12.ClaimLineInput(
                line_id=line.line_ref,
                service_date=line.service_date,
                units=line.units,
                charge=line.charge,
                procedure=line.procedure,
                modifiers=tuple(line.modifiers),
            )
            for line in claim.original_lines
        )
    return tuple(
        x12.ClaimLineInput(
            line_id=row.line_ref,
            service_date=row.service_date,
            units=row.units,
            charge=row.charge,
            procedure=row.procedure,
            modifiers=tuple(row.modifiers),
            place_of_service=row.place_of_service,
        )
        for row in claim.lines
    )


def claim(
    planned: PlannedClaim, member: x12.Subscriber, billing: x12.BillingProvider
) -> x12.ClaimInput:
    """One claim; its member and provider are converted once per page, not once per claim."""
    place = planned.lines[0].place_of_service if planned.lines else "99"
    return x12.ClaimInput(
        claim_id=planned.claim_id,
        subscriber=member,
        provider=billing,
        lines=_lines(planned),
        frequency=planned.frequency,  # type: ignore[arg-type]
        payer_claim_number=planned.replaces.payer_claim_number if planned.replaces else None,
        place_of_service=place,
    )

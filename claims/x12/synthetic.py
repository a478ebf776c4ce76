"""Synthetic, deterministic 837P inputs for tests, the golden file and the benchmark.

No real person: names are made up from a counter, NPIs are computed to pass the Luhn check.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from claims.identifiers import luhn_valid
from claims.model import BC_MODIFIER
from claims.profile import PayerProfile
from claims.x12.build import claim_id, transactions_needed
from claims.x12.model import (
    Address,
    BatchInput,
    BillingProvider,
    ClaimInput,
    ClaimLineInput,
    Frequency,
    Subscriber,
)

RATE = Decimal("21.71")  # an illustrative YP630 unit rate, not a published one
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def valid_npi(seed: int) -> str:
    """A 10-digit NPI starting with 1 whose check digit passes (Luhn over 80840 + 9 digits)."""
    stem = f"1{seed % 100_000_000:08d}"
    return next(stem + d for d in "0123456789" if luhn_valid("80840" + stem + d))


def provider(seed: int = 1) -> BillingProvider:
    return BillingProvider(
        provider_id=f"P{seed}",
        name=f"Piedmont Employment Services {_word(seed)}",
        npi=valid_npi(seed),
        tax_id=f"{560000000 + seed:09d}",
        address=Address("100 Main St", "Raleigh", "NC", f"27601{seed % 10000:04d}", "Suite 2"),
        taxonomy="261QR0405X",
    )


def subscriber(seed: int = 1) -> Subscriber:
    return Subscriber(
        member_id=f"M{seed}",
        subscriber_id=f"NC{seed:09d}",
        last_name=f"Testperson{_word(seed)}",
        first_name=f"Pat{_word(seed + 7)}",
        birth_date=date(1980, 1, 1) + timedelta(days=seed * 37 % 9000),
        sex="F" if seed % 2 else "M",
        address=Address(f"{seed} Oak Ave", "Durham", "NC", "27701"),
        diagnoses=("F20.9", "F33.1", "Z56.0") if seed % 3 else ("F31.9",),
    )


def line(seed: int, day: date, units: int = 4, bc: bool = False) -> ClaimLineInput:
    return ClaimLineInput(
        line_id=f"L{seed:015X}",
        service_date=day,
        units=units,
        charge=RATE * units,
        modifiers=(BC_MODIFIER,) if bc else (),
    )


def claim(
    sequence: int,
    member: Subscriber,
    billing: BillingProvider,
    lines: tuple[ClaimLineInput, ...],
    frequency: Frequency = "1",
) -> ClaimInput:
    number = f"F8{sequence:010d}" if frequency != "1" else None
    return ClaimInput(claim_id("IP", 1, sequence), member, billing, lines, frequency, number)


def batch(profile: PayerProfile, claims: tuple[ClaimInput, ...], isa: int = 1) -> BatchInput:
    needed = transactions_needed(len(claims), profile.limits)
    return BatchInput(
        profile=profile,
        claims=claims,
        interchange_control_number=isa,
        group_control_number=isa,
        transaction_control_numbers=tuple(range(1, needed + 1)),
        created_at=datetime(2025, 3, 4, 9, 30),
    )


def bulk_claims(
    claim_count: int, lines_per_claim: int, members: int = 1000
) -> tuple[ClaimInput, ...]:
    """``claim_count`` claims over ``members`` members and 5 providers, each a month of lines."""
    providers = [provider(seed) for seed in range(1, 6)]
    subscribers = [subscriber(seed) for seed in range(1, members + 1)]
    result = []
    for number in range(claim_count):
        month = date(2025, 1 + number // members % 12, 1)
        lines = tuple(
            line(number * 100 + index, month + timedelta(days=index % 28), 1 + index % 8,
                 bc=index % 5 == 4)
            for index in range(lines_per_claim)
        )  # fmt: skip
        member = subscribers[number % members]
        result.append(claim(number + 1, member, providers[number % len(providers)], lines))
    return tuple(result)


def _word(seed: int) -> str:
    return "".join(_LETTERS[(seed // 26**k) % 26] for k in range(3)).title()

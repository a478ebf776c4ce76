"""The 837P writer's inputs and the release checks' report: plain frozen values, no behaviour.

The service builds these from its rows (members, providers, unit lines, control numbers drawn
from its counters) and passes the creation time in: the writer has no clock and no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from msgspec import Struct

from claims.model import PROCEDURE
from claims.profile import PayerProfile

Frequency = Literal["1", "7", "8"]


class Address(Struct, frozen=True, gc=False):
    line1: str
    city: str
    state: str
    zip: str  # 5 or 9 digits; 2010AA needs 9 (a 5-digit one is refused by the release checks)
    line2: str | None = None


class BillingProvider(Struct, frozen=True, gc=False):
    """Loop 2010AA. ``taxonomy`` is optional (PRV*BI is situational)."""

    provider_id: str
    name: str
    npi: str
    tax_id: str  # EIN, 9 digits
    address: Address
    taxonomy: str | None = None


class Subscriber(Struct, frozen=True, gc=False):
    """Loop 2010BA: the member is the subscriber and the patient (HL04 = 0, SBR02 = 18)."""

    member_id: str
    subscriber_id: str
    last_name: str
    first_name: str
    birth_date: date
    sex: Literal["M", "F", "U"]
    address: Address
    diagnoses: tuple[str, ...]  # ICD-10-CM, primary first; a dot is allowed and dropped


class ClaimLineInput(Struct, frozen=True, gc=False):
    """One 2400 service line; ``line_id`` goes out as REF*6R and comes back in 835 SVC loops."""

    line_id: str
    service_date: date
    units: int
    charge: Decimal
    procedure: str = PROCEDURE
    modifiers: tuple[str, ...] = ()
    place_of_service: str | None = None  # None: the claim's (SV105 only when it differs)


class ClaimInput(Struct, frozen=True, gc=False):
    """One 2300 claim. ``payer_claim_number`` (REF*F8) is required for frequency 7 and 8."""

    claim_id: str  # CLM01, at most 20 characters
    subscriber: Subscriber
    provider: BillingProvider
    lines: tuple[ClaimLineInput, ...]
    frequency: Frequency = "1"
    payer_claim_number: str | None = None
    place_of_service: str = "99"


class BatchInput(Struct, frozen=True, gc=False):
    """One interchange (ISA/GS) for one payer.

    Claims go to transaction sets in the order given, ``profile.limits.claims_per_transaction``
    per ST: claim ``i`` is in the ST whose control number is ``transaction_control_numbers[i //
    claims_per_transaction]`` (the service records that number per claim). Give at least
    ``transactions_needed(len(claims), profile.limits)`` numbers; extra ones are not used.
    """

    profile: PayerProfile
    claims: tuple[ClaimInput, ...]
    interchange_control_number: int  # ISA13, 1..999999999, zero-padded to 9
    group_control_number: int  # GS06
    transaction_control_numbers: Sequence[int]  # ST02/SE02, one per ST
    created_at: datetime  # ISA09/ISA10, GS04/GS05, BHT04/BHT05


class LineRecord(Struct, frozen=True, gc=False):
    """A billable unit line as the grouping sees it (the service maps its rows to these)."""

    member_id: str
    provider_id: str
    service_date: date
    procedure_key: str  # "YP630" or "YP630:BC"
    units: int
    charge: Decimal
    line_id: str


class ClaimGroup(Struct, frozen=True, gc=False):
    """Lines that go on one claim: one member, one provider, one calendar month, <= 50 lines."""

    member_id: str
    provider_id: str
    month: str  # "YYYY-MM"
    part: int  # 1, 2, ... when a month has more lines than one claim holds
    lines: tuple[LineRecord, ...]


class Problem(Struct, frozen=True, gc=False):
    """One reason a file is refused. ``position`` is the 1-based segment index in the file
    (ISA = 1), the number pyx12 reports as its line; 0 when the problem is not one segment's."""

    claim_id: str | None
    segment_id: str | None
    position: int
    message: str


class ValidationReport(Struct, frozen=True, gc=False):
    ok: bool
    problems: tuple[Problem, ...]
    pyx12_ok: bool = True  # pyx12's own verdict, for reporting on third-party samples

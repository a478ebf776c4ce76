"""Payer profiles: one TOML file per payer in ``edi_templates/``, validated by pydantic at start-up.

Where the policy is silent or sources disagree, the rule is a profile key with the documented
default (billing-rules.md, ``profile.<key>``), so a payer that differs is a data change.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from claims.model import Rounding, RuleSettings
from claims.places import facility_places_of_service


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RulesProfile(_Frozen):
    rounding: Rounding = Rounding.MIDPOINT
    # YP630 def., Attachment A: "1 unit = 15 minutes up to 32 units a day".
    daily_unit_cap: int = Field(32, ge=1, le=96)
    # YP630 def., Utilization Management: "no prior authorization for the first 64 units".
    units_without_authorization: int = Field(64, ge=0)
    timely_filing_days: int = Field(90, ge=1)
    # YP630 def., Fidelity Evaluation: "must score a minimum of 74 ... to continue to bill".
    minimum_fidelity_score: int = Field(74, ge=0, le=125)
    minimum_age: int = Field(16, ge=0)
    # billing-rules 1.1.1: minutes are real elapsed minutes, and "today" is the payer's today.
    time_zone: str = "America/New_York"
    # billing-rules 1.5 (docs/units.md, "Facility settings"): None keeps the packaged list.
    excluded_places_of_service: tuple[str, ...] | None = None
    # docs/milestones.md, "Invoices": the due date is the invoice date plus these days.
    payment_terms_days: int = Field(30, ge=0, le=365)

    @field_validator("excluded_places_of_service")
    @classmethod
    def _place_codes(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and any(len(c) != 2 or not c.isdigit() for c in value):
            raise ValueError("places of service are two-digit CMS codes")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    def today(self, now: datetime) -> date:
        """The payer's date at the instant ``now`` (an aware datetime, from the caller's clock)."""
        return now.astimezone(ZoneInfo(self.time_zone)).date()

    def settings(self, timely_filing_days: int | None = None) -> RuleSettings:
        """The rules a payer bills under; ``timely_filing_days``, the payer record's own days
        when it has them, win over the profile's (docs/billing-rules.md 1.2)."""
        return RuleSettings(
            rounding=self.rounding,
            daily_unit_cap=self.daily_unit_cap,
            units_without_authorization=self.units_without_authorization,
            timely_filing_days=timely_filing_days or self.timely_filing_days,
            minimum_fidelity_score=self.minimum_fidelity_score,
            minimum_age=self.minimum_age,
            time_zone=self.time_zone,
            excluded_places_of_service=(
                facility_places_of_service()
                if self.excluded_places_of_service is None
                else frozenset(self.excluded_places_of_service)
            ),
        )


class InterchangeProfile(_Frozen):
    """ISA/GS envelope and the 1000A/1000B/2010BB parties of the 837P."""

    isa_sender_qualifier: str = Field("ZZ", min_length=2, max_length=2)
    isa_sender_id: str = Field(min_length=1, max_length=15)
    isa_receiver_qualifier: str = Field("ZZ", min_length=2, max_length=2)
    isa_receiver_id: str = Field(min_length=1, max_length=15)
    gs_sender_code: str = Field(min_length=2, max_length=15)
    gs_receiver_code: str = Field(min_length=2, max_length=15)
    usage_indicator: Literal["T", "P"] = "T"
    acknowledgment_requested: Literal["0", "1"] = "0"
    submitter_name: str
    submitter_id: str
    submitter_contact_name: str
    submitter_contact_phone: str = Field(pattern=r"^\d{10}$")
    receiver_name: str
    receiver_id: str  # NM1*40 (1000B)
    payer_name: str
    payer_id: str
    payer_address_line1: str | None = None
    payer_city: str | None = None
    payer_state: str | None = None
    payer_zip: str | None = None
    # SBR09: YP630 is state-funded, not Medicaid: "11" Other Non-Federal Programs by default.
    claim_filing_code: str = Field("11", min_length=1, max_length=2)
    element_separator: str = Field("*", min_length=1, max_length=1)
    component_separator: str = Field(":", min_length=1, max_length=1)
    repetition_separator: str = Field("^", min_length=1, max_length=1)
    segment_terminator: str = Field("~", min_length=1, max_length=1)
    segment_newline: bool = True  # a newline after each terminator: readable, and allowed


class ClaimLimits(_Frozen):
    # TR3 005010X222A1: 2400 repeats 50 times; recommended 100 claims per HL and 5,000 per ST.
    lines_per_claim: int = Field(50, ge=1, le=50)
    claims_per_subscriber_hl: int = Field(100, ge=1, le=100)
    claims_per_transaction: int = Field(5000, ge=1, le=5000)
    max_diagnoses: int = Field(12, ge=1, le=12)


class PayerProfile(_Frozen):
    name: str
    description: str = ""
    rules: RulesProfile = RulesProfile()
    interchange: InterchangeProfile
    limits: ClaimLimits = ClaimLimits()


def parse_profile(name: str, text: str) -> PayerProfile:
    """Parse and validate one profile's TOML text; raises pydantic.ValidationError when wrong."""
    data = tomllib.loads(text)
    data.setdefault("name", name)
    return PayerProfile.model_validate(data)


def for_payer(
    profile: PayerProfile,
    payer_name: str,
    payer_id: str | None = None,
    receiver_id: str | None = None,
    receiver_name: str | None = None,
) -> PayerProfile:
    """The profile with the parties a payer record names: NM1*PR name (always the payer's own
    name) and id, NM1*40 receiver id and name; the profile's values where the record is silent.
    """
    ic = profile.interchange
    parties = {
        "payer_name": payer_name[:60],  # NM103 is at most 60 characters
        "payer_id": payer_id or ic.payer_id,
        "receiver_id": receiver_id or ic.receiver_id,
        "receiver_name": receiver_name or ic.receiver_name,
    }
    return profile.model_copy(update={"interchange": ic.model_copy(update=parties)})

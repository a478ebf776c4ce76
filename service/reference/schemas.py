"""Reference-data bodies and answers (contract, "Reference data"); field names are the contract."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from claims.identifiers import npi_is_valid
from service.problems import FieldProblem
from service.schemas_common import Body, Id, MoneyStr, Out

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Zip = Annotated[str, StringConstraints(pattern=r"^\d{5}(\d{4})?$")]
State = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
# ICD-10-CM: a letter, two characters, then up to four more, with or without the dot.
Icd10 = Annotated[str, StringConstraints(pattern=r"^[A-TV-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")]
ProcedureKey = Literal["YP630", "YP630:BC"]


# X12 identifiers and names: printable, none of the separators our 837P uses (* : ^ ~ >).
EdiId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 .-]{2,80}$")]
EdiName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 .,&'-]{1,60}$")]


class PayerIn(Body):
    name: Name
    kind: Literal["lme_mco", "eipd"]
    edi_profile: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")] = "default"
    timely_filing_days: int | None = Field(None, ge=1, le=3650)
    # 837P parties (docs/edi.md): NM1*PR NM109, NM1*40 NM109 and NM103; the profile's if absent.
    edi_payer_id: EdiId | None = None
    edi_receiver_id: EdiId | None = None
    edi_receiver_name: EdiName | None = None

    model_config = {
        "json_schema_extra": {
            "example": {
                "name": "Vaya Health",
                "kind": "lme_mco",
                "edi_profile": "default",
                "timely_filing_days": 90,
                "edi_payer_id": "VAYA01",
                "edi_receiver_id": "VAYA01",
                "edi_receiver_name": "VAYA HEALTH",
            }
        }
    }


class PayerOut(PayerIn, Out):
    payer_id: str
    version: int


class PayerStored(PayerOut):
    """The answer to a write: the re-adjudication job that follows, or null when none."""

    job_id: str | None = None


class FeeScheduleIn(Body):
    rates: dict[ProcedureKey, MoneyStr] = Field(min_length=1)
    effective_from: date

    @field_validator("rates")
    @classmethod
    def _positive(cls, rates: dict[str, Decimal]) -> dict[str, Decimal]:
        if any(rate <= 0 for rate in rates.values()):
            raise ValueError("every rate must be above 0.00")
        return rates

    model_config = {
        "json_schema_extra": {
            "example": {
                "rates": {"YP630": "6.50", "YP630:BC": "6.50"},
                "effective_from": "2026-01-01",
            }
        }
    }


class FeeScheduleOut(Out):
    payer_id: str
    effective_from: date
    rates: dict[str, MoneyStr]
    version: int


class FeeScheduleStored(FeeScheduleOut):
    """The answer to a write: the re-pricing job that follows, or null when nothing needs it."""

    job_id: str | None = None


class Address(Body):
    line1: Annotated[str, StringConstraints(min_length=1, max_length=55)]
    line2: Annotated[str | None, StringConstraints(max_length=55)] = None
    city: Annotated[str, StringConstraints(min_length=1, max_length=30)]
    state: State
    zip: Zip


class ProviderIn(Body):
    name: Name
    npi: Annotated[str, StringConstraints(pattern=r"^\d{10}$")]
    tax_id: Annotated[str, StringConstraints(pattern=r"^\d{9}$")]
    taxonomy: Annotated[str | None, StringConstraints(pattern=r"^[0-9A-Z]{9}X$")] = None
    address: Address
    program_start_date: date | None = None

    @field_validator("npi")
    @classmethod
    def _npi_check_digit(cls, npi: str) -> str:
        if not npi_is_valid(npi):
            raise ValueError("NPI check digit is wrong (Luhn with prefix 80840)")
        return npi

    model_config = {
        "json_schema_extra": {
            "example": {
                "name": "Blue Ridge IPS Team",
                "npi": "1234567893",
                "tax_id": "561234567",
                "taxonomy": "251S00000X",
                "address": {
                    "line1": "100 Main St",
                    "city": "Asheville",
                    "state": "NC",
                    "zip": "288011234",
                },
                "program_start_date": "2024-01-01",
            }
        }
    }


class ProviderOut(ProviderIn, Out):
    provider_id: str
    version: int


class StaffIn(Body):
    name: Name
    role: Literal["TL", "ESP", "EPM", "PA", "BC"]
    npi: Annotated[str | None, StringConstraints(pattern=r"^\d{10}$")] = None

    model_config = {"json_schema_extra": {"example": {"name": "Jordan Lee", "role": "ESP"}}}


class StaffOut(StaffIn, Out):
    provider_id: str
    staff_id: str
    version: int


class StaffStored(StaffOut):
    """The answer to a write: the re-adjudication job that follows, or null when none."""

    job_id: str | None = None


class FidelityReviewIn(Body):
    score: int = Field(ge=0, le=125)
    final_report_date: date
    # docs/units.md "Fidelity": a re-evaluation asked for within 180 days of the final
    # report defers a 65-73 score's gate until the re-evaluation's own review is recorded.
    reevaluation_requested_on: date | None = None

    @model_validator(mode="after")
    def _reevaluation_in_window(self) -> FidelityReviewIn:
        asked = self.reevaluation_requested_on
        if asked is not None and not (
            self.final_report_date <= asked <= self.final_report_date + timedelta(days=180)
        ):
            raise ValueError(
                "reevaluation_requested_on must fall within 180 days after final_report_date"
            )
        return self

    model_config = {
        "json_schema_extra": {"example": {"score": 96, "final_report_date": "2026-02-15"}}
    }


class FidelityReviewOut(FidelityReviewIn, Out):
    review_id: str
    provider_id: str


class FidelityReviewStored(FidelityReviewOut):
    """The answer to a write: the re-adjudication job that follows, or null when none."""

    job_id: str | None = None


class Period(Body):
    start_date: date
    end_date: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end_date is not None and self.end_date < self.start_date:
            raise FieldProblem("end_date", "is before start_date", "end-before-start")
        return self


class MemberIn(Body):
    payer_id: Id
    subscriber_id: Annotated[str | None, StringConstraints(min_length=1, max_length=80)] = None
    first_name: Annotated[str, StringConstraints(min_length=1, max_length=35)]
    last_name: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    birth_date: date
    sex: Literal["F", "M", "U"]
    address: Address | None = None
    diagnoses: list[Icd10] = Field(default_factory=list, max_length=12)
    dvr_shared_case: bool = False
    act_periods: list[Period] = Field(default_factory=list, max_length=50)

    model_config = {
        "json_schema_extra": {
            "example": {
                "payer_id": "VAYA",
                "subscriber_id": "900123456",
                "first_name": "Alex",
                "last_name": "Rivera",
                "birth_date": "1990-05-17",
                "sex": "U",
                "address": {"line1": "12 Oak St", "city": "Boone", "state": "NC", "zip": "28607"},
                "diagnoses": ["F33.1"],
                "dvr_shared_case": False,
                "act_periods": [],
            }
        }
    }


class MemberOut(MemberIn, Out):
    member_id: str
    version: int


class MemberStored(MemberOut):
    """The answer to a write: the re-adjudication job that follows, or null when none."""

    job_id: str | None = None


class AuthorizationIn(Body):
    member_id: Id
    provider_id: Id
    payer_id: Id
    procedure: Literal["YP630"] = "YP630"
    start_date: date
    end_date: date
    units: int = Field(ge=0, le=100_000)

    @model_validator(mode="after")
    def _ordered(self) -> AuthorizationIn:
        if self.end_date < self.start_date:
            raise FieldProblem("end_date", "is before start_date", "end-before-start")
        return self

    model_config = {
        "json_schema_extra": {
            "example": {
                "member_id": "M-1001",
                "provider_id": "P-01",
                "payer_id": "VAYA",
                "procedure": "YP630",
                "start_date": "2026-03-01",
                "end_date": "2027-02-28",
                "units": 400,
            }
        }
    }


class AuthorizationOut(AuthorizationIn, Out):
    authorization_id: str
    version: int


class AuthorizationStored(AuthorizationOut):
    """The answer to a write: the re-adjudication job that follows, or null when none."""

    job_id: str | None = None


class EipdAuthorizationIn(Body):
    member_id: Id
    provider_id: Id
    milestone: Literal["3-A", "3-B", "3-C", "4", "5-A", "5-B", "5-C"]
    start_date: date
    end_date: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> EipdAuthorizationIn:
        if self.end_date is not None and self.end_date < self.start_date:
            raise FieldProblem("end_date", "is before start_date", "end-before-start")
        return self

    model_config = {
        "json_schema_extra": {
            "example": {
                "member_id": "M-1001",
                "provider_id": "P-01",
                "milestone": "3-A",
                "start_date": "2026-04-01",
                "end_date": None,
            }
        }
    }


class EipdAuthorizationOut(EipdAuthorizationIn, Out):
    authorization_id: str
    version: int


class EipdAuthorizationStored(EipdAuthorizationOut):
    """The answer to a write: the re-adjudication job that follows, or null when none."""

    job_id: str | None = None

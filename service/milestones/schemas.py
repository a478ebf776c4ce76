"""Milestone evidence, milestone status and invoices (contract, "Milestones and invoices")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from claims.invoices import InvoiceStatus
from claims.milestones import EvidenceKind
from service.schemas_common import UNSTORABLE_MSG, Id, MoneyStr, StorableInput, unstorable


class EvidenceIn(StorableInput):
    """The common fields; the kind's own fields sit beside them (checked per kind)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "member_id": "M-1001",
                "provider_id": "P-01",
                "kind": "employer_contact",
                "date": "2026-03-04",
                "employer": "Mountain Grocers",
                "contact_name": "Dana Cole",
                "face_to_face": True,
            }
        },
    )

    member_id: Id
    provider_id: Id
    kind: EvidenceKind
    date: date

    @model_validator(mode="after")
    def _storable_kind_fields(self) -> EvidenceIn:
        # The kind's own fields are extras: the field validators of StorableInput never see them.
        for name, value in (self.model_extra or {}).items():
            if unstorable(name) or unstorable(value):
                field = "a kind field" if unstorable(name) else f"the field {name}"
                raise ValueError(f"{field} {UNSTORABLE_MSG}")
        return self

    def kind_fields(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class EvidenceOut(BaseModel):
    evidence_id: str
    member_id: str
    provider_id: str
    kind: str
    date: date
    fields: dict[str, Any]
    voided: bool
    version: int
    updated_at: datetime


class EarnedOut(BaseModel):
    milestone: str
    name: str
    occurrence: int
    earned_on: date
    amount: MoneyStr
    payer_kind: str
    provider_id: str
    invoice_id: str | None
    status: Literal["earned", "invoiced", "paid"] = Field(
        description="earned (not yet invoiced), invoiced, paid"
    )
    waiting: list[str] = Field(
        default_factory=list,
        description="why an earned occurrence is not invoiced yet (fidelity, EIPD authorization)",
    )


class ProgressOut(BaseModel):
    milestone: str
    name: str
    met: bool
    missing: list[str]


class MilestonesOut(BaseModel):
    member_id: str
    as_of: date
    earned: list[EarnedOut]
    progress: list[ProgressOut]


class InvoiceIn(StorableInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"payer_id": "VAYA", "provider_id": "P-01", "through_date": "2026-03-31"}
        },
    )

    payer_id: Id
    provider_id: Id | None = None  # omitted: every provider of the payer, by a job (202)
    through_date: date


class InvoiceLineOut(BaseModel):
    member_id: str
    milestone: str
    occurrence: int
    earned_on: date
    amount: MoneyStr
    kind: str
    eipd_authorization_id: str | None


class InvoiceOut(BaseModel):
    invoice_id: str
    invoice_number: str
    payer_id: str
    provider_id: str
    invoice_date: date
    through_date: date
    lines: list[InvoiceLineOut]
    total: MoneyStr
    status: InvoiceStatus
    paid_amount: MoneyStr


class PaymentIn(StorableInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"amount": "2120.00", "paid_on": "2026-04-15", "reference": "EFT-88812"}
        },
    )

    amount: MoneyStr
    paid_on: date
    reference: str = Field(min_length=1, max_length=80)

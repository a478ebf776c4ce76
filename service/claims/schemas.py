"""Claim batches and claims (contract, "Claims (837P)")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from service.schemas_common import Body, Id, MoneyStr

ClaimStatus = Literal[
    "generated", "accepted", "rejected", "paid", "partially_paid", "denied", "void"
]
# released when written; a 999 (or a TA1 rejection) answers for the whole batch.
BatchStatus = Literal["released", "accepted", "partially_accepted", "rejected"]


class BatchIn(Body):
    payer_id: Id
    provider_id: Id | None = None
    through_date: date | None = None

    model_config = {
        "json_schema_extra": {
            "example": {"payer_id": "VAYA", "provider_id": "P-01", "through_date": "2026-03-31"}
        }
    }


class BatchOut(BaseModel):
    batch_id: str
    payer_id: str
    provider_id: str | None
    through_date: date | None
    interchange_control_number: int
    group_control_number: int
    transaction_control_numbers: list[int]
    claim_count: int
    line_count: int
    total_charge: MoneyStr
    status: BatchStatus
    created_at: datetime
    content_sha256: str
    replacement_count: int = 0
    void_count: int = 0
    skipped: list[dict[str, str]] = []
    # Every claim this batch could not write and why (skipped ones included): billing went on
    # around them. Each names claim_id (a correction's original) or member/provider/month,
    # reason (a reason code) and detail.
    left_out: list[dict[str, str]] = []


class HistoryOut(BaseModel):
    at: datetime
    status: str
    source: str
    detail: str | None


class AdjustmentOut(BaseModel):
    group_code: str
    reason_code: str
    amount: MoneyStr
    quantity: str | None = None


class ClaimLineOut(BaseModel):
    line_number: int
    line_id: str
    service_date: date
    procedure: str
    modifiers: list[str]
    units: int
    charge: MoneyStr
    paid_amount: MoneyStr
    adjustments: list[AdjustmentOut]
    event_ids: list[str]


class ClaimOut(BaseModel):
    claim_id: str
    batch_id: str
    member_id: str
    provider_id: str
    payer_id: str
    service_month: str
    frequency: str
    replaces_claim_id: str | None
    replaced_by_claim_id: str | None
    payer_claim_number: str | None
    lines: list[ClaimLineOut]
    total_charge: MoneyStr
    status: ClaimStatus
    status_codes: list[str]
    paid_amount: MoneyStr
    payment_reference: str | None
    paid_on: date | None
    history: list[HistoryOut]

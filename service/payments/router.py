"""``GET /v1/providers/{provider_id}/payment-status`` (contract, "Payment status")."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from claims.errors import InvalidInput, NotFound
from service import models as orm
from service.auth.principal import Principal, Role
from service.deps import SessionDep, require
from service.edi.lists import ProviderAdjustmentOut
from service.payments.service import payment_status
from service.schemas_common import DateQuery, IdPath, MoneyStr

router = APIRouter(prefix="/v1/providers", tags=["payment status"])


class ClaimBucket(BaseModel):
    count: int
    amount: MoneyStr
    claim_ids: list[str]


class InvoiceBucket(BaseModel):
    count: int
    amount: MoneyStr
    invoice_ids: list[str]


class AdjustmentsOut(BaseModel):
    """PLB provider-level adjustments of 835 payments: positive amounts were taken back."""

    count: int
    amount: MoneyStr
    items: list[ProviderAdjustmentOut]


class PaymentStatus(BaseModel):
    provider_id: str
    from_: date | None = Field(None, alias="from", serialization_alias="from")
    to: date | None
    claims: dict[str, ClaimBucket]
    invoices: dict[str, InvoiceBucket]
    provider_adjustments: AdjustmentsOut | None = None

    model_config = {"populate_by_name": True}


@router.get(
    "/{provider_id}/payment-status", response_model=PaymentStatus, response_model_by_alias=True
)
async def get_payment_status(
    session: SessionDep,
    provider_id: Annotated[str, IdPath()],
    from_: Annotated[DateQuery, Query(alias="from")] = None,
    to: DateQuery = None,
    principal: Principal = require(Role.FINANCE, Role.PROVIDER),
) -> Any:
    if from_ and to and to < from_:
        raise InvalidInput("to is before from", [(("query", "to"), "before from")])
    if not principal.sees_provider(provider_id):
        raise NotFound(f"no provider {provider_id}")
    if await session.get(orm.Provider, provider_id) is None:
        raise NotFound(f"no provider {provider_id}")
    return await payment_status(session, provider_id, principal.payer_filter, from_, to)

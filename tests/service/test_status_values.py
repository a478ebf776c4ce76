"""The API's status and frequency values are claims.lifecycle's, one for one (the schemas spell
them as Literals so the OpenAPI document lists them inline)."""

from __future__ import annotations

from typing import get_args, get_type_hints

from claims.invoices import InvoiceStatus
from claims.lifecycle import BatchStatus, ClaimStatus
from service.claims import schemas
from service.console import claim_pages
from service.milestones import router as milestones


def test_the_schemas_list_exactly_the_lifecycles_values() -> None:
    assert get_args(schemas.ClaimStatus) == tuple(s.value for s in ClaimStatus)
    assert get_args(schemas.BatchStatus) == tuple(s.value for s in BatchStatus)
    assert claim_pages.Status is schemas.ClaimStatus


def test_the_invoice_filter_lists_exactly_the_invoice_statuses() -> None:
    status = get_type_hints(milestones.list_invoices)["status"]
    (literal, _none) = get_args(status)
    assert get_args(literal) == tuple(s.value for s in InvoiceStatus)

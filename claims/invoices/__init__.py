"""Milestone invoices: the document (frozen Structs) and its PDF and CSV renderings."""

from claims.invoices.csv_export import render_invoice_csv
from claims.invoices.model import (
    InvoiceDocument,
    InvoiceLineItem,
    InvoiceStatus,
    PayerBlock,
    ProviderBlock,
    line_items,
    member_record,
)
from claims.invoices.pdf import render_invoice_pdf

__all__ = [
    "InvoiceDocument",
    "InvoiceLineItem",
    "InvoiceStatus",
    "PayerBlock",
    "ProviderBlock",
    "line_items",
    "member_record",
    "render_invoice_csv",
    "render_invoice_pdf",
]

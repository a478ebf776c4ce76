"""Milestone invoices: the document (frozen Structs) and its PDF and CSV renderings.

The PDF rendering is claims.invoices.pdf, imported by its callers where they render: fpdf2 costs
~0.3 s to import, which every process importing the app (each server start) paid for a page few
requests ask for.
"""

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

__all__ = [
    "InvoiceDocument",
    "InvoiceLineItem",
    "InvoiceStatus",
    "PayerBlock",
    "ProviderBlock",
    "line_items",
    "member_record",
    "render_invoice_csv",
]

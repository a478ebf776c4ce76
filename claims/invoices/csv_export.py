"""render_invoice_csv: one row per invoice line, with a header row; amounts as "0.00" strings."""

from __future__ import annotations

import csv
import io

from claims.invoices.model import InvoiceDocument, InvoiceLineItem
from claims.money import money_str

HEADER = (
    "invoice_number", "invoice_date", "member_record", "milestone", "milestone_name",
    "occurrence", "earned_on", "eipd_authorization_id", "line_type", "amount",
)  # fmt: skip

# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _row(invoice: InvoiceDocument, line: InvoiceLineItem) -> list[str]:
    return [
        _safe(invoice.invoice_number),
        invoice.invoice_date.isoformat(),
        _safe(line.member_record),
        line.milestone,
        line.milestone_name,
        str(line.occurrence),
        line.earned_on.isoformat(),
        _safe(line.eipd_authorization_id or ""),
        line.kind.value,
        money_str(line.amount),  # numbers may be negative: never prefixed
    ]


def render_invoice_csv(invoice: InvoiceDocument) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(HEADER)
    writer.writerows(_row(invoice, line) for line in invoice.lines)
    return out.getvalue()

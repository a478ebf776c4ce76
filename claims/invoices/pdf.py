"""render_invoice_pdf: the invoice as a one-or-more page PDF (fpdf2), byte-identical per invoice.

The creation date is the invoice date, never the clock, so rendering an invoice twice gives the
same bytes (a re-download matches what was sent).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from fpdf import FPDF
from fpdf.fonts import FontFace

from claims.invoices.model import InvoiceDocument, InvoiceLineItem
from claims.milestones.invoicing import LineKind

FONT = "Helvetica"
MARGIN = 15.0
COLUMNS = ("Member record", "Milestone", "Occ.", "Earned on", "EIPD authorization", "Amount")
WIDTHS = (30.0, 62.0, 11.0, 22.0, 34.0, 26.5)  # mm; within the letter page's 185.9 mm
ALIGN = ("LEFT", "LEFT", "CENTER", "CENTER", "LEFT", "RIGHT")


# Typographic marks common in names and addresses, spelled in Latin-1.
_PLAIN = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'",
                        "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u00a0": " "})  # fmt: skip


def _text(value: str) -> str:
    # The core fonts are Latin-1: anything else prints as "?" rather than failing the invoice.
    return value.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def money(amount: Decimal, sign: str = "$") -> str:
    """An amount as a payer reads it: currency sign, thousands, two places; "-$1,060.00"."""
    return f"-{sign}{-amount:,.2f}" if amount < 0 else f"{sign}{amount:,.2f}"


class _InvoicePdf(FPDF):
    invoice_label = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 5, _text(f"{self.invoice_label} - page {self.page_no()} of {{nb}}"),
                  align="C")  # fmt: skip


def render_invoice_pdf(invoice: InvoiceDocument) -> bytes:
    pdf = _InvoicePdf(orientation="P", unit="mm", format="letter")
    pdf.invoice_label = f"Invoice {invoice.invoice_number}"
    pdf.set_creation_date(datetime.combine(invoice.invoice_date, time(), tzinfo=UTC))
    pdf.set_title(_text(f"Invoice {invoice.invoice_number}"))
    pdf.set_author(_text(invoice.provider.name))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    _header(pdf, invoice)
    _parties(pdf, invoice)
    _lines(pdf, invoice.lines, invoice.currency_sign)
    _totals(pdf, invoice)
    _remittance(pdf, invoice)
    return bytes(pdf.output())


def _header(pdf: FPDF, invoice: InvoiceDocument) -> None:
    top = pdf.get_y()
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(110, 6, _text(invoice.provider.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for line in invoice.provider.address_lines:
        pdf.cell(110, 4.5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(110, 4.5, _text(f"NPI: {invoice.provider.npi}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(110, 4.5, _text(f"Tax ID: {invoice.provider.tax_id}"), new_x="LMARGIN", new_y="NEXT")
    below_provider = pdf.get_y()
    pdf.set_xy(MARGIN + 110, top)
    pdf.set_font(FONT, "B", 22)
    pdf.cell(0, 10, "INVOICE", align="R", new_x="LEFT", new_y="NEXT")
    _facts(pdf, invoice)
    pdf.set_y(max(below_provider, pdf.get_y()) + 6)


def _facts(pdf: FPDF, invoice: InvoiceDocument) -> None:
    # What the payer needs to pay it; the invoice's internal status is ours, not printed.
    facts = [
        ("Invoice number", invoice.invoice_number),
        ("Invoice date", invoice.invoice_date.isoformat()),
    ]
    if invoice.through_date is not None:
        facts.append(("Milestones through", invoice.through_date.isoformat()))
    if invoice.due_date is not None:
        facts.append(("Due date", invoice.due_date.isoformat()))
    for label, value in facts:
        pdf.set_x(MARGIN + 110)
        pdf.set_font(FONT, "B", 9)
        pdf.cell(35, 5, _text(label))
        pdf.set_font(FONT, size=9)
        pdf.cell(0, 5, _text(value), align="R", new_x="LMARGIN", new_y="NEXT")


def _parties(pdf: FPDF, invoice: InvoiceDocument) -> None:
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, "Bill to", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for line in (invoice.payer.name, *invoice.payer.address_lines):
        pdf.cell(0, 4.5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)


def _row(line: InvoiceLineItem, sign: str) -> tuple[str, ...]:
    credit = " (credit)" if line.kind is LineKind.CREDIT else ""
    return (
        line.member_record,
        f"{line.milestone} {line.milestone_name}{credit}",
        str(line.occurrence),
        line.earned_on.isoformat(),
        line.eipd_authorization_id or "",
        money(line.amount, sign),
    )


def _lines(pdf: FPDF, lines: tuple[InvoiceLineItem, ...], sign: str) -> None:
    pdf.set_font(FONT, size=8.5)
    heading = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
    with pdf.table(col_widths=WIDTHS, text_align=ALIGN, headings_style=heading,
                   line_height=5, width=sum(WIDTHS)) as table:  # fmt: skip
        table.row([_text(c) for c in COLUMNS])
        for line in lines:
            table.row([_text(c) for c in _row(line, sign)])
    if not lines:
        pdf.cell(0, 6, "No lines.", new_x="LMARGIN", new_y="NEXT")


def _totals(pdf: FPDF, invoice: InvoiceDocument) -> None:
    pdf.ln(3)
    rows = [("Total", invoice.total), ("Paid", invoice.paid_amount),
            ("Balance due", invoice.balance_due)]  # fmt: skip
    for label, amount in rows:
        pdf.set_x(MARGIN + sum(WIDTHS) - 70)
        pdf.set_font(FONT, "B" if label != "Paid" else "", 10)
        pdf.cell(40, 6, label, align="R")
        pdf.cell(30, 6, _text(money(amount, invoice.currency_sign)), align="R", new_x="LMARGIN",
                 new_y="NEXT")  # fmt: skip


def _remittance(pdf: FPDF, invoice: InvoiceDocument) -> None:
    pdf.ln(6)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, "Remit to", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for line in invoice.remit_to:
        pdf.cell(0, 4.5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, "B", 9)
    pdf.cell(30, 5, "Payment terms:")
    pdf.set_font(FONT, size=9)
    due = f", due {invoice.due_date.isoformat()}" if invoice.due_date else ""
    pdf.multi_cell(0, 5, _text(f"{invoice.payment_terms}{due}. Please quote invoice number "
                               f"{invoice.invoice_number} with your payment."),
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font(FONT, "I", 8)
    pdf.multi_cell(0, 4, "Members are identified by payer record number only. Credit lines "
                   "(negative amounts) reverse milestones invoiced earlier whose evidence was "
                   "withdrawn.", new_x="LMARGIN", new_y="NEXT")  # fmt: skip

"""Invoice PDF and CSV: what a finance office reads, checked through pypdf's text extraction."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pypdf
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.invoices import (
    InvoiceDocument,
    InvoiceStatus,
    PayerBlock,
    ProviderBlock,
    line_items,
    member_record,
    render_invoice_csv,
)
from claims.invoices.pdf import render_invoice_pdf
from claims.milestones import LineKind, PlannedLine, load_catalog
from claims.model import Member

CATALOG = load_catalog()
# What the service holds next to the invoice: a member's name must never reach the paper.
MEMBERS = {
    "M-1001": (Member("M-1001", "PAY-1", date(1990, 4, 2), "SUB-55501", ("F20.9",)), "Jane Doe"),
    "M-1002": (Member("M-1002", "PAY-1", date(1985, 1, 9), None, ("F31.1",)), "Rob Roe"),
}
PLANNED = (
    PlannedLine("M-1001", "P-01", "3-A", 1, date(2026, 5, 4), Decimal("2910.00"),
                LineKind.CHARGE, "EIPD-2026-0457"),
    PlannedLine("M-1001", "P-01", "3-C", 1, date(2026, 5, 20), Decimal("2160.00"),
                LineKind.CHARGE, "EIPD-2026-0461"),
    PlannedLine("M-1002", "P-01", "3-B", 2, date(2026, 4, 2), Decimal("-3410.00"),
                LineKind.CREDIT, "EIPD-2026-0311"),
)  # fmt: skip


def invoice(planned: tuple[PlannedLine, ...] = PLANNED) -> InvoiceDocument:
    records = {mid: member_record(m) for mid, (m, _) in MEMBERS.items()}
    return InvoiceDocument(
        invoice_number="INV-P01-2026-0007",
        invoice_date=date(2026, 6, 1),
        provider=ProviderBlock("Blue Ridge Supported Employment", ("12 Main St",
                               "Asheville, NC 28801"), "1234567893", "56-1234567"),
        payer=PayerBlock("NC Division of Vocational Rehabilitation", ("Raleigh, NC 27699",)),
        remit_to=("Blue Ridge Supported Employment", "PO Box 900", "Asheville, NC 28802"),
        lines=line_items(planned, records, CATALOG),
        paid_amount=Decimal("1000.00"),
        status=InvoiceStatus.PARTIALLY_PAID,
        through_date=date(2026, 5, 31),
    )  # fmt: skip


def pdf_text(doc: InvoiceDocument) -> str:
    reader = pypdf.PdfReader(io.BytesIO(render_invoice_pdf(doc)))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_reads_as_an_invoice() -> None:
    text = pdf_text(invoice())
    for expected in (
        "INVOICE", "Blue Ridge Supported Employment", "NPI: 1234567893", "Tax ID: 56-1234567",
        "INV-P01-2026-0007", "2026-06-01", "NC Division of Vocational Rehabilitation",
        "EIPD-2026-0457", "EIPD-2026-0461", "$2,910.00", "$2,160.00", "-$3,410.00",
        "3-C Job Placement + 3 Days Support", "Remit to", "PO Box 900", "Payment terms",
    ):  # fmt: skip
        assert expected in text, expected
    total = sum((line.amount for line in PLANNED), Decimal(0))
    assert f"Total ${total:,.2f}" in text
    assert f"Balance due ${total - Decimal('1000.00'):,.2f}" in text


def test_pdf_shows_the_due_date_and_payer_address_but_no_internal_status() -> None:
    doc = invoice()
    doc = InvoiceDocument(doc.invoice_number, doc.invoice_date, doc.provider,
                          PayerBlock("NC DVR", ("1 Payer Way", "Raleigh, NC 27699-0001")),
                          doc.remit_to, doc.lines, doc.paid_amount, doc.status,
                          "Net 45 days from the invoice date", doc.through_date,
                          due_date=date(2026, 7, 16))  # fmt: skip
    text = pdf_text(doc)
    assert "Due date" in text and "2026-07-16" in text and "Net 45 days" in text
    assert "1 Payer Way" in text and "Raleigh, NC 27699-0001" in text
    assert "Status" not in text and "partially paid" not in text.lower()


def test_pdf_names_members_by_record_only() -> None:
    text = pdf_text(invoice())
    assert "SUB-55501" in text  # the payer's subscriber id
    assert "M-1002" in text  # no subscriber id: the member id
    for member, name in MEMBERS.values():
        assert name not in text
        assert member.birth_date.isoformat() not in text
        assert all(code not in text for code in member.diagnoses)


def test_pdf_is_deterministic_and_dated_by_the_invoice() -> None:
    first, second = render_invoice_pdf(invoice()), render_invoice_pdf(invoice())
    assert first == second
    metadata = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert metadata is not None and metadata.creation_date is not None
    assert metadata.creation_date.date() == date(2026, 6, 1)


def test_long_invoice_breaks_pages_and_keeps_every_line() -> None:
    many = tuple(
        PlannedLine(f"M-{i:04d}", "P-01", "6", 1, date(2026, 5, 31), Decimal("1590.00"),
                    LineKind.CHARGE)
        for i in range(80)
    )  # fmt: skip
    reader = pypdf.PdfReader(io.BytesIO(render_invoice_pdf(invoice(many))))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2
    assert all(f"M-{i:04d}" in text for i in range(80))
    pages = [page.extract_text() for page in reader.pages]
    assert all("Member record" in page for page in pages if "M-00" in page)  # headings repeat
    assert f"Total ${Decimal('1590.00') * 80:,.2f}" in text


def test_csv_has_a_row_per_line_and_plain_amounts() -> None:
    rows = list(csv.DictReader(io.StringIO(render_invoice_csv(invoice()))))
    assert [(r["member_record"], r["milestone"], r["amount"], r["line_type"]) for r in rows] == [
        ("SUB-55501", "3-A", "2910.00", "charge"),
        ("SUB-55501", "3-C", "2160.00", "charge"),
        ("M-1002", "3-B", "-3410.00", "credit"),
    ]
    assert rows[0]["eipd_authorization_id"] == "EIPD-2026-0457"
    assert all("Jane" not in value for r in rows for value in r.values())


def test_csv_defuses_formula_cells() -> None:
    records = {"M-1001": "=HYPERLINK(1)"}
    doc = invoice()
    doc = InvoiceDocument(doc.invoice_number, doc.invoice_date, doc.provider, doc.payer,
                          doc.remit_to, line_items(PLANNED[:1], records, CATALOG))  # fmt: skip
    row = next(csv.DictReader(io.StringIO(render_invoice_csv(doc))))
    assert row["member_record"] == "'=HYPERLINK(1)"


@given(st.lists(st.decimals("-5000", "5000", places=2, allow_nan=False), max_size=15))
@settings(max_examples=40, deadline=None)
def test_total_is_the_sum_of_csv_amounts(amounts: list[Decimal]) -> None:
    planned = tuple(
        PlannedLine("M-1001", "P-01", "8", i + 1, date(2026, 5, 1), a,
                    LineKind.CREDIT if a < 0 else LineKind.CHARGE)
        for i, a in enumerate(amounts)
    )  # fmt: skip
    doc = invoice(planned)
    rows = list(csv.DictReader(io.StringIO(render_invoice_csv(doc))))
    assert sum((Decimal(r["amount"]) for r in rows), Decimal(0)) == doc.total
    assert all(r["amount"] == f"{Decimal(r['amount']):.2f}" for r in rows)

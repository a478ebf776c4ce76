"""A stored invoice to its printable document (PDF, CSV): rows in, the core renders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from claims.invoices import render_invoice_csv
from claims.invoices.model import (
    InvoiceDocument,
    InvoiceLineItem,
    InvoiceStatus,
    PayerBlock,
    ProviderBlock,
)
from claims.milestones import LineKind, load_catalog
from claims.profile import PayerProfile
from service import models as orm
from service.config import Settings
from service.dbkit import rows_in
from service.milestones.service import invoice_lines
from service.profiles import ProfileRegistry


def _address_lines(address: dict[str, str] | None) -> tuple[str, ...]:
    if not address:
        return ()
    city = f"{address['city']}, {address['state']} {address['zip']}"
    return tuple(part for part in (address.get("line1"), address.get("line2"), city) if part)


def _payer_address(profile: PayerProfile) -> tuple[str, ...]:
    # The payer's mailing address is its profile's (the 837P's NM1*PR/N3/N4 address).
    party = profile.interchange
    if not party.payer_address_line1 or not party.payer_city:
        return ()
    zip_code = party.payer_zip or ""
    if len(zip_code) == 9:
        zip_code = f"{zip_code[:5]}-{zip_code[5:]}"
    return (party.payer_address_line1, f"{party.payer_city}, {party.payer_state or ''} {zip_code}")


async def document(
    session: AsyncSession,
    invoice: orm.Invoice,
    settings: Settings,
    profiles: ProfileRegistry | None = None,
) -> InvoiceDocument:
    provider = await session.get(orm.Provider, invoice.provider_id)
    payer = await session.get(orm.Payer, invoice.payer_id)
    lines = await invoice_lines(session, invoice.invoice_id)
    members = {
        m.member_id: m
        for m in await rows_in(session, orm.Member.member_id, {line.member_id for line in lines})
    }
    catalog = load_catalog()
    assert provider is not None and payer is not None  # invoices reference stored records
    items = tuple(
        InvoiceLineItem(
            # The payer's record number identifies the member; never a name or a diagnosis.
            member_record=(
                members[item.member_id].subscriber_id if item.member_id in members else None
            )
            or item.member_id,
            milestone=item.milestone,
            milestone_name=catalog.get(item.milestone).name,
            occurrence=item.occurrence,
            earned_on=item.earned_on,
            amount=item.amount,
            eipd_authorization_id=item.eipd_authorization_id,
            kind=LineKind(item.kind),
        )
        for item in lines
    )
    provider_lines = _address_lines(provider.address)
    profile = (profiles or ProfileRegistry.load()).get(payer.edi_profile)
    terms = profile.rules.payment_terms_days
    return InvoiceDocument(
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        provider=ProviderBlock(provider.name, provider_lines, provider.npi, provider.tax_id),
        payer=PayerBlock(payer.name, _payer_address(profile)),
        remit_to=(provider.name, *provider_lines),
        lines=items,
        paid_amount=invoice.paid_amount,
        status=InvoiceStatus(invoice.status),
        through_date=invoice.through_date,
        payment_terms=f"Net {terms} days from the invoice date",
        due_date=invoice.invoice_date + timedelta(days=terms),
    )


async def pdf(
    session: AsyncSession,
    invoice: orm.Invoice,
    settings: Settings,
    profiles: ProfileRegistry | None = None,
) -> bytes:
    # Imported here: fpdf2 is heavy and only this download uses it (claims/invoices/__init__.py).
    from claims.invoices.pdf import render_invoice_pdf

    return render_invoice_pdf(await document(session, invoice, settings, profiles))


async def csv(
    session: AsyncSession,
    invoice: orm.Invoice,
    settings: Settings,
    profiles: ProfileRegistry | None = None,
) -> str:
    return render_invoice_csv(await document(session, invoice, settings, profiles))

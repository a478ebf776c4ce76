"""plan_invoice: the lines of a provider's next milestone invoice to one payer (pure).

billing-rules.md 3: a milestone is "paid once per occurrence, and invoiced to a payer of its payer
kind. Retracting evidence (a void) that unearns an invoiced milestone is never silent: it yields a
credit line on the next invoice." Sent invoices never change, so every correction is a new line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum

from msgspec import Struct

from claims.milestones.catalog import MilestoneCatalog, PayerKind, load_catalog
from claims.milestones.results import EarnedMilestone, OccurrenceKey
from claims.model import EipdAuthorization
from claims.money import to_money


class LineKind(StrEnum):
    CHARGE = "charge"
    CREDIT = "credit"


class InvoicedOccurrence(Struct, frozen=True, gc=False):
    """A line already on a sent invoice of this payer and provider (charge or credit)."""

    member_id: str
    milestone: str
    occurrence: int
    earned_on: date
    amount: Decimal  # negative for a credit line
    eipd_authorization_id: str | None = None

    @property
    def key(self) -> OccurrenceKey:
        return (self.member_id, self.milestone, self.occurrence)


class PlannedLine(Struct, frozen=True, gc=False):
    member_id: str
    provider_id: str
    milestone: str
    occurrence: int
    earned_on: date
    amount: Decimal  # negative on a credit line
    kind: LineKind
    eipd_authorization_id: str | None = None


def plan_invoice(
    earned: Iterable[EarnedMilestone],
    *,
    payer_kind: PayerKind,
    provider_id: str,
    through_date: date,
    invoiced: Iterable[InvoicedOccurrence],
    eipd_authorizations: Iterable[EipdAuthorization] = (),
    catalog: MilestoneCatalog | None = None,
) -> tuple[PlannedLine, ...]:
    """New charge lines and credit lines for one provider's invoice to a payer of ``payer_kind``.

    ``earned``: the current earned occurrences of the provider's members (any payer kind, any
    date: others are set aside). ``invoiced``: every line of this payer's earlier invoices to this
    provider. A charge goes out for each occurrence earned on or before ``through_date`` whose
    net invoiced amount is zero; a credit reverses the net amount of each invoiced occurrence that
    is no longer earned at all (an occurrence merely re-dated stays earned).
    """
    catalog = catalog or load_catalog()
    mine = {e.key: e for e in earned if e.payer_kind is payer_kind and e.provider_id == provider_id}
    net, last_line = _net_invoiced(invoiced)
    auths = [a for a in eipd_authorizations if a.provider_id == provider_id]
    charges = [
        line
        for key, e in mine.items()
        if e.earned_on <= through_date and net.get(key, Decimal(0)) == 0 and not e.waiting
        and (line := _charge(e, payer_kind, auths)) is not None
    ]  # fmt: skip
    credits = [
        _credit(last_line[key], provider_id, amount)
        for key, amount in net.items()
        if amount != 0 and key not in mine
    ]
    return tuple(sorted(charges + credits, key=lambda line: _line_order(line, catalog)))


def _net_invoiced(
    invoiced: Iterable[InvoicedOccurrence],
) -> tuple[dict[OccurrenceKey, Decimal], dict[OccurrenceKey, InvoicedOccurrence]]:
    """Each occurrence's net invoiced amount, and its last charge. ``invoiced`` is in the order
    the lines were written (the caller's query orders them so)."""
    net: dict[OccurrenceKey, Decimal] = {}
    last: dict[OccurrenceKey, InvoicedOccurrence] = {}
    for line in invoiced:
        net[line.key] = net.get(line.key, Decimal(0)) + line.amount
        if line.amount > 0 or line.key not in last:
            last[line.key] = line  # a credit repeats the charge's date and authorization
    return net, last


def _authorization(e: EarnedMilestone, auths: Sequence[EipdAuthorization]) -> str | None:
    # DVR pays an EIPD milestone under the authorization of that milestone open on the day it was
    # earned; the latest-starting one wins when several overlap.
    covering = [
        a for a in auths if a.member_id == e.member_id and a.milestone == e.milestone
        and a.covers(e.earned_on)
    ]  # fmt: skip
    return max(covering, key=lambda a: (a.start_date, a.authorization_id)).authorization_id \
        if covering else None  # fmt: skip


def _charge(
    e: EarnedMilestone, payer_kind: PayerKind, auths: Sequence[EipdAuthorization]
) -> PlannedLine | None:
    # docs/milestones.md, "Earned but waiting": an EIPD milestone goes out only under an EIPD
    # authorization of that milestone covering its earned date, never with an empty one.
    auth = _authorization(e, auths) if payer_kind is PayerKind.EIPD else None
    if payer_kind is PayerKind.EIPD and auth is None:
        return None
    return PlannedLine(e.member_id, e.provider_id, e.milestone, e.occurrence, e.earned_on,
                       to_money(e.amount), LineKind.CHARGE, auth)  # fmt: skip


def _credit(line: InvoicedOccurrence, provider_id: str, net: Decimal) -> PlannedLine:
    return PlannedLine(line.member_id, provider_id, line.milestone, line.occurrence,
                       line.earned_on, to_money(-net), LineKind.CREDIT,
                       line.eipd_authorization_id)  # fmt: skip


def _line_order(line: PlannedLine, catalog: MilestoneCatalog) -> tuple[str, int, int, str]:
    return (line.member_id, catalog.rank(line.milestone), line.occurrence, line.kind.value)

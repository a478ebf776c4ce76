"""The simulator's 835 body (005010X221A1): one payment for the claims it was told to settle.

The 835 balances the way the guide demands: per line SVC02 - SVC03 = its CAS amounts; per claim
CLP03 - CLP04 = all CAS amounts of the claim and its lines; BPR02 = the sum of CLP04.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from msgspec import Struct

from claims.errors import InvalidInput
from claims.inbound.sim837 import Submission, SubmittedClaim, SubmittedLine
from claims.inbound.x12out import Segments, amount, composite, d8, quantity, seg

ZERO = Decimal("0.00")
# 005010X221A1 CLP06 has no "11 other non-federal programs" (an 837 SBR09 value): ZZ stands in.
CLP06_CODES = frozenset(
    {"12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM"}
    | {"LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ"}
)


class RemitAction(StrEnum):
    PAY = "pay"  # every line paid as charged
    PARTIAL = "partial"  # lines cut by the plan's adjustments (e.g. CO-45 contractual)
    DENY = "deny"  # CLP02 4, every line adjusted in full


class LineAdjustment(Struct, frozen=True, gc=False):
    """Take ``amount`` off the line whose REF*6R is ``line_id`` (CARC 45 by default:
    "charge exceeds fee schedule/maximum allowable", contractual, group CO)."""

    line_id: str
    amount: Decimal
    group_code: str = "CO"
    reason_code: str = "45"


class RemitPlan(Struct, frozen=True, gc=False):
    action: RemitAction = RemitAction.PAY
    adjustments: tuple[LineAdjustment, ...] = ()  # PARTIAL only
    denial_group: str = "CO"
    denial_reason: str = "29"  # CARC 29: "the time limit for filing has expired"


class PayerDetails(Struct, frozen=True, gc=False):
    """Payer-side facts an 835 must carry; fictitious defaults fit for tests and the demo."""

    tax_id: str = "566000000"  # EIN; TRN03 is "1" + EIN
    address: str = "1 PAYER WAY"
    city: str = "RALEIGH"
    state: str = "NC"
    postal_code: str = "276990001"
    contact_phone: str = "9195550100"
    method: str = "ACH"  # BPR04: ACH or CHK (NON is used by itself when nothing is paid)
    bank_routing: str = "053000196"  # BPR07, payer's DFI (fictitious)
    bank_account: str = "1234567890"  # BPR09
    payee_routing: str = "053000219"  # BPR13
    payee_account: str = "9876543210"  # BPR15


class _SettledLine(Struct, frozen=True, gc=False):
    line: SubmittedLine
    paid: Decimal
    adjustments: tuple[LineAdjustment, ...]


def settle(claim: SubmittedClaim, plan: RemitPlan) -> list[_SettledLine]:
    """What each line is paid and why not the rest, per the plan."""
    if plan.action is RemitAction.DENY:
        return [
            _SettledLine(
                line,
                ZERO,
                (LineAdjustment(line.line_id, line.charge, plan.denial_group, plan.denial_reason),),
            )
            for line in claim.lines
        ]
    cuts = plan.adjustments if plan.action is RemitAction.PARTIAL else ()
    ids = {line.line_id for line in claim.lines}
    for cut in cuts:
        if cut.line_id not in ids or cut.amount <= ZERO:
            raise InvalidInput(
                f"plan for claim {claim.claim_id}: bad adjustment of line {cut.line_id}"
            )
    settled = []
    for line in claim.lines:
        mine = tuple(cut for cut in cuts if cut.line_id == line.line_id)
        paid = line.charge - sum((cut.amount for cut in mine), ZERO)
        if paid < ZERO:
            raise InvalidInput(
                f"plan for claim {claim.claim_id} takes more than line {line.line_id} charged"
            )
        settled.append(_SettledLine(line, paid, mine))
    return settled


def build_835(
    submission: Submission,
    created: datetime,
    trace_number: str,
    chosen: Sequence[tuple[SubmittedClaim, RemitPlan]],
    numbers: Mapping[str, str],
    payer: PayerDetails,
) -> Segments:
    settled = [(claim, plan, settle(claim, plan)) for claim, plan in chosen]
    total = sum((line.paid for _, _, lines in settled for line in lines), ZERO)
    body = [
        _bpr(total, created, payer),
        seg("TRN", "1", trace_number, f"1{payer.tax_id}"),
        seg("DTM", "405", d8(created)),
        seg("N1", "PR", submission.payer.name or "PAYER"),
        seg("N3", payer.address),
        seg("N4", payer.city, payer.state, payer.postal_code),
        *_payer_reference(submission),
        seg("PER", "BL", "EDI SUPPORT", "TE", payer.contact_phone),
        _payee(submission, chosen),
    ]
    if settled:
        body.append(seg("LX", "1"))
    for claim, plan, lines in settled:
        body += _claim(claim, plan, lines, numbers[claim.claim_id])
    return body


def _payer_reference(submission: Submission) -> Segments:
    """REF*2U: the payer id the 837P named (NM1*PR NM109), so the payee can tell the payer."""
    return [seg("REF", "2U", submission.payer.identifier)] if submission.payer.identifier else []


def _bpr(total: Decimal, created: datetime, payer: PayerDetails) -> str:
    day = d8(created)
    if total <= ZERO:  # nothing paid: a notification only, no funds move
        return seg("BPR", "H", amount(ZERO), "C", "NON", *[""] * 11, day)
    if payer.method == "CHK":
        return seg("BPR", "C", amount(total), "C", "CHK", *[""] * 11, day)
    return seg(
        "BPR", "I", amount(total), "C", "ACH", "CCP",
        "01", payer.bank_routing, "DA", payer.bank_account, f"1{payer.tax_id}", "",
        "01", payer.payee_routing, "DA", payer.payee_account, day,
    )  # fmt: skip


def _payee(submission: Submission, chosen: Sequence[tuple[SubmittedClaim, RemitPlan]]) -> str:
    claims = [claim for claim, _ in chosen] or list(submission.claims)
    provider = claims[0].billing_provider
    return seg("N1", "PE", provider.name or "PROVIDER", "XX", provider.identifier or "0")


def _claim(
    claim: SubmittedClaim, plan: RemitPlan, lines: list[_SettledLine], payer_number: str
) -> Segments:
    paid = sum((line.paid for line in lines), ZERO)
    responsibility = sum(
        (cut.amount for line in lines for cut in line.adjustments if cut.group_code == "PR"), ZERO
    )
    status = "4" if plan.action is RemitAction.DENY else "1"
    filing = claim.filing_indicator if claim.filing_indicator in CLP06_CODES else "ZZ"
    out = [
        seg(
            "CLP",
            claim.claim_id,
            status,
            amount(claim.charge),
            amount(paid),
            amount(responsibility) if responsibility else "",
            filing,
            payer_number,
            claim.place_of_service,
            claim.frequency,
        ),  # fmt: skip
        _patient(claim),
    ]
    for line in lines:
        out += _line(line)
    return out


def _patient(claim: SubmittedClaim) -> str:
    patient = claim.patient
    return seg(
        "NM1", "QC", "1", patient.name or "UNKNOWN", patient.first_name, "", "", "",
        patient.id_qualifier or "MI", patient.identifier or "0",
    )  # fmt: skip


def _line(settled: _SettledLine) -> Segments:
    line = settled.line
    procedure = composite("HC", line.procedure, *line.modifiers)
    denied = settled.paid <= ZERO
    units = ["0", "", quantity(line.units)] if denied else [quantity(line.units)]
    out = [seg("SVC", procedure, amount(line.charge), amount(settled.paid), "", *units)]
    if line.service_date is not None:
        out.append(seg("DTM", "472", d8(line.service_date)))
    out += _cas(settled.adjustments)
    if line.line_id:
        out.append(seg("REF", "6R", line.line_id))
    allowed = line.charge - sum(
        (cut.amount for cut in settled.adjustments if cut.group_code != "PR"), ZERO
    )
    if allowed > ZERO:
        out.append(seg("AMT", "B6", amount(allowed)))
    return out


def _cas(cuts: Sequence[LineAdjustment]) -> Segments:
    """One CAS per group code, up to six reason/amount triples each (CAS02..CAS19)."""
    out = []
    for group in dict.fromkeys(cut.group_code for cut in cuts):
        mine = [cut for cut in cuts if cut.group_code == group]
        for start in range(0, len(mine), 6):
            triples = [
                value
                for cut in mine[start : start + 6]
                for value in (cut.reason_code, amount(cut.amount), "")
            ]
            out.append(seg("CAS", group, *triples))
    return out

"""835 remittance advice (005010X221A1): what the payer paid, per claim and per line, and why not.

Each transaction set is one payment (BPR amount, method, date; TRN check or EFT number). Each CLP
is one claim: CLP01 is the CLM01 we sent, CLP07 the payer's claim control number. Each SVC is a
line; its REF*6R echoes the line id we sent, so a payment lands on the exact line. CAS segments
(claim or line level) say why paid differs from charged, up to six reason triples each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from claims.errors import InvalidInput
from claims.inbound.model import (
    Adjustment,
    Payment,
    ProviderAdjustment,
    RemitClaim,
    RemitLine,
    RemitOutcome,
    Remittance835,
)
from claims.inbound.reader import Interchange, Segment, date_at, money_at, quantity_at

ZERO = Decimal("0.00")
DENIED_STATUS = "4"  # CLP02 "Denied"
REVERSAL_STATUS = "22"  # CLP02 "Reversal of Previous Payment"
CAS_TRIPLES = range(2, 20, 3)  # CAS02-04, 05-07, ... 17-19: reason, amount, quantity


@dataclass
class _Line:
    svc: Segment
    control: str = ""
    service_date: Segment | None = None
    allowed: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)


@dataclass
class _Claim:
    clp: Segment
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)


@dataclass
class _Payment:
    st: Segment
    header: dict[str, Segment] = field(default_factory=dict)  # BPR, TRN, DTM405, N1PR, N1PE, 2U
    claims: list[_Claim] = field(default_factory=list)
    plb: list[ProviderAdjustment] = field(default_factory=list)


def parse_835(interchange: Interchange) -> Remittance835:
    payments: list[_Payment] = []
    for seg in interchange.segments:
        if seg.seg_id == "ST":
            payments.append(_Payment(seg))
        elif payments:
            _take(payments[-1], seg)
    return Remittance835(
        envelope=interchange.envelope,
        payments=tuple(_freeze_payment(payment) for payment in payments),
        warnings=interchange.warnings,
    )


def _take(payment: _Payment, seg: Segment) -> None:
    if seg.seg_id == "CLP":
        payment.claims.append(_Claim(seg))
    elif seg.seg_id == "PLB":
        payment.plb.extend(provider_adjustments(seg))
    elif not payment.claims:
        _take_header(payment, seg)
    elif seg.seg_id == "SVC":
        payment.claims[-1].lines.append(_Line(seg))
    elif payment.claims[-1].lines:  # 2110: from the first SVC to the next CLP, LX or PLB
        _take_line(payment.claims[-1].lines[-1], seg)
    elif seg.seg_id == "CAS":
        payment.claims[-1].adjustments.extend(adjustments(seg))


def _take_header(payment: _Payment, seg: Segment) -> None:
    key = {
        "BPR": "BPR",
        "TRN": "TRN",
        "DTM": f"DTM{seg.get(1)}",
        "N1": f"N1{seg.get(1)}",
        "REF": f"REF{seg.get(1)}",
    }.get(seg.seg_id)
    if key is not None:
        payment.header.setdefault(key, seg)


def _take_line(line: _Line, seg: Segment) -> None:
    if seg.seg_id == "CAS":
        line.adjustments.extend(adjustments(seg))
    elif seg.seg_id == "REF" and seg.get(1) == "6R":
        line.control = seg.get(2)
    elif seg.seg_id == "DTM" and seg.get(1) in ("472", "150") and line.service_date is None:
        line.service_date = seg
    elif seg.seg_id == "AMT" and seg.get(1) == "B6":
        line.allowed = money_at(seg, 2)
    elif seg.seg_id == "LQ" and seg.get(1) == "HE":
        line.remarks.append(seg.get(2))


def adjustments(seg: Segment) -> list[Adjustment]:
    """Every reason/amount/quantity triple of one CAS segment, in order."""
    found = []
    for pos in CAS_TRIPLES:
        if seg.get(pos):
            amount = money_at(seg, pos + 1)
            if amount is None:
                raise InvalidInput(f"CAS{pos + 1:02d} at segment {seg.line} has no amount")
            found.append(Adjustment(seg.get(1), seg.get(pos), amount, quantity_at(seg, pos + 2)))
    return found


def provider_adjustments(seg: Segment) -> list[ProviderAdjustment]:
    """PLB03/04 .. PLB13/14: adjustment identifier (reason:reference) and amount pairs."""
    found = []
    for pos in range(3, 15, 2):
        if seg.get(pos):
            found.append(
                ProviderAdjustment(
                    provider_id=seg.get(1),
                    fiscal_period_end=date_at(seg, 2),
                    reason_code=seg.get(pos, 1),
                    reference=seg.get(pos, 2),
                    amount=money_at(seg, pos + 1) or ZERO,
                )
            )
    return found


def remit_outcome(status_code: str, charge: Decimal, paid: Decimal) -> RemitOutcome:
    """CLP02 22 is a reversal; CLP02 4 or nothing paid is a denial; less than charged, partial."""
    if status_code == REVERSAL_STATUS:
        return RemitOutcome.REVERSED
    if status_code == DENIED_STATUS or paid <= ZERO:
        return RemitOutcome.DENIED
    return RemitOutcome.PARTIALLY_PAID if paid < charge else RemitOutcome.PAID


# ---------------------------------------------------------------------------------------------


def _freeze_payment(payment: _Payment) -> Payment:
    head = payment.header
    bpr, trn = _required(head, "BPR", payment.st), _required(head, "TRN", payment.st)
    payer, payee = head.get("N1PR"), head.get("N1PE")
    dtm = head.get("DTM405")
    return Payment(
        transaction_control_number=payment.st.get(2),
        handling_code=bpr.get(1),
        total_paid=money_at(bpr, 2) or ZERO,
        credit_debit=bpr.get(3),
        method=bpr.get(4),
        payment_date=date_at(bpr, 16),
        trace_number=trn.get(2),
        trace_originator=trn.get(3),
        payer_name=payer.get(2) if payer else "",
        payer_id=_payer_id(payer, head.get("REF2U"), trn),
        payee_name=payee.get(2) if payee else "",
        payee_id=payee.get(4) if payee else "",
        production_date=date_at(dtm, 2) if dtm else None,
        claims=tuple(_freeze_claim(claim) for claim in payment.claims),
        provider_adjustments=tuple(payment.plb),
        payer_ids=_payer_ids(payer, head.get("REF2U")),
        payee_id_qualifier=payee.get(3) if payee else "",
        payee_tax_id=head["REFTJ"].get(2) if "REFTJ" in head else "",
    )


def _payer_ids(payer: Segment | None, ref_2u: Segment | None) -> tuple[str, ...]:
    found = (payer.get(4) if payer else "", ref_2u.get(2) if ref_2u else "")
    return tuple(value for value in found if value)


def _required(header: dict[str, Segment], key: str, st: Segment) -> Segment:
    if key not in header:
        raise InvalidInput(f"835 set {st.get(2)} has no {key} segment")
    return header[key]


def _payer_id(payer: Segment | None, ref_2u: Segment | None, trn: Segment) -> str:
    if payer is not None and payer.get(4):
        return payer.get(4)
    return ref_2u.get(2) if ref_2u is not None else trn.get(3)


def _freeze_claim(claim: _Claim) -> RemitClaim:
    clp = claim.clp
    charge, paid = money_at(clp, 3) or ZERO, money_at(clp, 4) or ZERO
    return RemitClaim(
        patient_control_number=clp.get(1),
        status_code=clp.get(2),
        charge=charge,
        paid=paid,
        patient_responsibility=money_at(clp, 5) or ZERO,
        filing_indicator=clp.get(6),
        payer_claim_control_number=clp.get(7),
        frequency_code=clp.get(9),
        adjustments=tuple(claim.adjustments),
        lines=tuple(_freeze_line(line) for line in claim.lines),
        outcome=remit_outcome(clp.get(2), charge, paid),
    )


def _freeze_line(line: _Line) -> RemitLine:
    procedure = line.svc.composite(1)
    return RemitLine(
        procedure_qualifier=procedure[0] if procedure else "",
        procedure=procedure[1] if len(procedure) > 1 else "",
        modifiers=tuple(mod for mod in procedure[2:6] if mod),
        charge=money_at(line.svc, 2) or ZERO,
        paid=money_at(line.svc, 3) or ZERO,
        units=_units(line.svc),
        line_item_control_number=line.control,
        service_date=date_at(line.service_date, 2) if line.service_date else None,
        allowed=line.allowed,
        adjustments=tuple(line.adjustments),
        remark_codes=tuple(line.remarks),
    )


def _units(svc: Segment) -> Decimal:
    # 005010X221A1 SVC05: "If not present, the value is assumed to be one." Zero stays zero.
    units = quantity_at(svc, 5)
    return Decimal(1) if units is None else units

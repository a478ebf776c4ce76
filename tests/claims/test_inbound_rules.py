"""The rules inside the readers: outcomes of 277CA categories and 835 claims, CAS and PLB."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from claims.inbound import AckOutcome, Adjustment, RemitOutcome, Remittance835, parse_inbound
from claims.inbound.categories import category_outcomes, outcome_of
from claims.inbound.model import StatusCode
from claims.inbound.remit835 import remit_outcome
from claims.inbound.simulate import simulate_999

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inbound"
SAMPLE_835 = (FIXTURES / "835_emedny_sample.835").read_text(encoding="ascii")

money = st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False, allow_infinity=False)


def _codes(*categories: str) -> list[StatusCode]:
    return [StatusCode(category, "20", "") for category in categories]


def test_category_table_matches_the_code_list() -> None:
    table = category_outcomes()
    assert {code for code, out in table.items() if out is AckOutcome.REJECTED} == {
        "A3",
        "A4",
        "A6",
        "A7",
        "A8",
    }
    assert table["A2"] is AckOutcome.ACCEPTED and table["A5"] is AckOutcome.ACCEPTED
    assert table["A1"] is AckOutcome.RECEIVED and table["A0"] is AckOutcome.RECEIVED


def test_one_rejecting_category_rejects_the_claim() -> None:
    assert outcome_of(_codes("A2", "A7")) is AckOutcome.REJECTED
    assert outcome_of(_codes("A1", "A2")) is AckOutcome.ACCEPTED
    assert outcome_of(_codes("A1")) is AckOutcome.RECEIVED
    assert outcome_of(_codes("P1")) is AckOutcome.OTHER
    assert outcome_of([]) is AckOutcome.OTHER


@given(charge=money, paid=money, status=st.sampled_from(["1", "2", "3", "19", "4", "22"]))
def test_remit_outcome(charge: Decimal, paid: Decimal, status: str) -> None:
    outcome = remit_outcome(status, charge, paid)
    if status == "22":
        assert outcome is RemitOutcome.REVERSED
    elif status == "4" or paid == 0:
        assert outcome is RemitOutcome.DENIED
    elif paid < charge:
        assert outcome is RemitOutcome.PARTIALLY_PAID
    else:
        assert outcome is RemitOutcome.PAID


def _remit(text: str) -> Remittance835:
    document = parse_inbound(text).document
    assert isinstance(document, Remittance835)
    return document


def test_a_cas_segment_carries_up_to_six_triples() -> None:
    cas = "CAS*CO*29*2*1*45*2**253*2*3*A1*2**B7*2**16*2*1~"
    remit = _remit(SAMPLE_835.replace("CAS*CO*29*12~", cas, 1))
    line = remit.claims[1].lines[0]
    assert [(a.reason_code, a.amount, a.quantity) for a in line.adjustments] == [
        ("29", Decimal("2.00"), Decimal(1)),
        ("45", Decimal("2.00"), None),
        ("253", Decimal("2.00"), Decimal(3)),
        ("A1", Decimal("2.00"), None),
        ("B7", Decimal("2.00"), None),
        ("16", Decimal("2.00"), Decimal(1)),
    ]
    assert {a.group_code for a in line.adjustments} == {"CO"}


def test_claim_level_cas_and_reversal() -> None:
    text = SAMPLE_835.replace(
        "CLP*PATIENT ACCOUNT NUMBER*2*34*0**MC*1000220000000020*11~",
        "CLP*PATIENT ACCOUNT NUMBER*22*-34*-34**MC*1000220000000020*11*8~CAS*PR*1*5.5~",
    ).replace("SE*65*1740~", "SE*66*1740~")  # one segment more
    claim = _remit(text).claims[1]
    assert claim.outcome is RemitOutcome.REVERSED
    assert claim.frequency_code == "8"
    assert claim.adjustments == (Adjustment("PR", "1", Decimal("5.50"), None),)
    assert claim.lines[0].adjustments == (Adjustment("CO", "29", Decimal("12.00"), None),)


def test_provider_level_adjustments() -> None:
    text = SAMPLE_835.replace(
        "SE*65*1740~", "PLB*9999999995*20101231*WO:AB12*10*FB*-2.5~SE*66*1740~"
    )
    (payment,) = _remit(text).payments
    first, second = payment.provider_adjustments
    assert (first.reason_code, first.reference, first.amount) == ("WO", "AB12", Decimal("10.00"))
    assert (second.reason_code, second.reference, second.amount) == ("FB", "", Decimal("-2.50"))
    assert first.provider_id == "9999999995" and first.fiscal_period_end is not None


def test_999_with_one_of_two_sets_rejected_is_partial() -> None:
    head, rest = CLAIMS_TWO_SETS.split("ST*837*0002", 1)
    assert rest  # two sets in one group
    text = simulate_999(
        CLAIMS_TWO_SETS,
        control_number=77,
        created=datetime(2025, 3, 2, 9, 0),
        rejected_sets=frozenset({"0002"}),
    )
    document = parse_inbound(text).document
    (group,) = document.groups  # type: ignore[union-attr]
    assert (group.status, group.sets_included, group.sets_accepted) == ("P", 2, 1)
    assert [(t.control_number, t.accepted) for t in group.transactions] == [
        ("0001", True),
        ("0002", False),
    ]


_SET = """ST*837*{n}*005010X222A1~BHT*0019*00*B{n}*20250301*0930*CH~\
NM1*41*2*IPSBILL*****46*IPSBILL~PER*IC*BILLING*TE*9195550100~NM1*40*2*MCO*****46*NCLMEMCO~\
HL*1**20*1~NM1*85*2*TEAM*****XX*1234567893~N3*1 MAIN ST~N4*RALEIGH*NC*276010001~\
REF*EI*561234567~HL*2*1*22*0~SBR*P*18*******11~NM1*IL*1*DOE*JANE****MI*NC1~\
NM1*PR*2*MCO*****PI*NCLMEMCO~CLM*C{n}*16.32***99:B:1*Y*A*Y*Y~HI*ABK:F329~LX*1~\
SV1*HC:YP630*16.32*UN*1***1~DTP*472*D8*20250106~REF*6R*L{n}~SE*24*{n}~"""
CLAIMS_TWO_SETS = (
    "ISA*00*          *00*          *ZZ*IPSBILL        *ZZ*NCLMEMCO       *250301*0930*^*"
    "00501*000000418*0*T*:~GS*HC*IPSBILL*NCLMEMCO*20250301*0930*418*X*005010X222A1~"
    + _SET.format(n="0001")
    + _SET.format(n="0002")
    + "GE*2*418~IEA*1*000000418~"
)

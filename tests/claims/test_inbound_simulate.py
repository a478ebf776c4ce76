"""The payer simulator: its 999, 277CA and 835 pass pyx12 and read back as planned."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
import pyx12.params
import pyx12.x12n_document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.errors import InvalidInput
from claims.inbound import (
    Ack999,
    AckOutcome,
    Adjustment,
    ClaimStatus277,
    RemitOutcome,
    Remittance835,
    parse_inbound,
)
from claims.inbound.simulate import (
    LineAdjustment,
    PayerDetails,
    RemitAction,
    RemitPlan,
    payer_claim_number,
    read_837p,
    simulate_277ca,
    simulate_835,
    simulate_999,
)

# Three claims, five lines, each line with its REF*6R id; written by hand, not by claims.x12.
ISA_837 = "*".join(
    ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "IPSBILL".ljust(15), "ZZ", "NCLMEMCO".ljust(15)]
    + ["250301", "0930", "^", "00501", "000000417", "0", "T", ":~\n"]
)
CLAIMS_837 = (
    ISA_837
    + """\
GS*HC*IPSBILL*NCLMEMCO*20250301*0930*417*X*005010X222A1~
ST*837*0001*005010X222A1~
BHT*0019*00*B417*20250301*0930*CH~
NM1*41*2*IPSBILL CLEARINGHOUSE*****46*IPSBILL~
PER*IC*BILLING OFFICE*TE*9195550100~
NM1*40*2*NC LME-MCO*****46*NCLMEMCO~
HL*1**20*1~
NM1*85*2*PIEDMONT IPS TEAM*****XX*1234567893~
N3*10 MAIN ST~
N4*RALEIGH*NC*276010001~
REF*EI*561234567~
HL*2*1*22*0~
SBR*P*18*******11~
NM1*IL*1*DOE*JANE****MI*NC0000001~
N3*1 ELM ST~
N4*RALEIGH*NC*276010002~
DMG*D8*19900101*F~
NM1*PR*2*NC LME-MCO*****PI*NCLMEMCO~
N3*1 PAYER WAY~
N4*RALEIGH*NC*276990001~
CLM*C202501M0001*130.56***99:B:1*Y*A*Y*Y~
HI*ABK:F329~
LX*1~
SV1*HC:YP630*65.28*UN*4***1~
DTP*472*D8*20250106~
REF*6R*L0001~
LX*2~
SV1*HC:YP630*65.28*UN*4***1~
DTP*472*D8*20250113~
REF*6R*L0002~
HL*3*1*22*0~
SBR*P*18*******11~
NM1*IL*1*ROE*RICHARD****MI*NC0000002~
N3*2 OAK ST~
N4*RALEIGH*NC*276010003~
DMG*D8*19850101*M~
NM1*PR*2*NC LME-MCO*****PI*NCLMEMCO~
N3*1 PAYER WAY~
N4*RALEIGH*NC*276990001~
CLM*C202501M0002*97.92***99:B:1*Y*A*Y*Y~
HI*ABK:F259~
LX*1~
SV1*HC:YP630:BC*32.64*UN*2***1~
DTP*472*D8*20250108~
REF*6R*L0003~
LX*2~
SV1*HC:YP630*65.28*UN*4***1~
DTP*472*D8*20250115~
REF*6R*L0004~
HL*4*1*22*0~
SBR*P*18*******11~
NM1*IL*1*POE*ALEX****MI*NC0000003~
N3*3 PINE ST~
N4*RALEIGH*NC*276010004~
DMG*D8*19790315*U~
NM1*PR*2*NC LME-MCO*****PI*NCLMEMCO~
N3*1 PAYER WAY~
N4*RALEIGH*NC*276990001~
CLM*C202501M0003*48.96***99:B:1*Y*A*Y*Y~
HI*ABK:F200~
LX*1~
SV1*HC:YP630*48.96*UN*3***1~
DTP*472*D8*20250110~
REF*6R*L0005~
SE*64*0001~
GE*1*417~
IEA*1*000000417~
"""
)
WHEN = datetime(2025, 3, 2, 8, 15)
FIRST, SECOND, THIRD = "C202501M0001", "C202501M0002", "C202501M0003"


def pyx12_valid(text: str) -> bool:
    result: bool = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(text), None, None
    )
    return result


def test_the_hand_written_837p_is_itself_valid() -> None:
    assert pyx12_valid(CLAIMS_837)


def test_read_837p() -> None:
    submission = read_837p(CLAIMS_837)
    assert submission.interchange_control_number == "000000417"
    assert submission.groups[0].control_number == "417"
    assert submission.groups[0].sets[0].control_number == "0001"
    assert [claim.claim_id for claim in submission.claims] == [FIRST, SECOND, THIRD]
    assert [claim.charge for claim in submission.claims] == [
        Decimal("130.56"),
        Decimal("97.92"),
        Decimal("48.96"),
    ]
    line = submission.claims[1].lines[0]
    assert (line.line_id, line.procedure, line.modifiers) == ("L0003", "YP630", ("BC",))
    assert (line.charge, line.units, line.service_date) == (
        Decimal("32.64"),
        Decimal(2),
        date(2025, 1, 8),
    )
    assert submission.claims[2].patient.identifier == "NC0000003"


def test_read_837p_of_another_party() -> None:
    text = (
        __import__("pathlib").Path(__file__).parent.parent
        / "fixtures/inbound/837p_databricks_837p.txt"
    ).read_text(encoding="ascii")
    submission = read_837p(text)
    assert [claim.claim_id for claim in submission.claims] == ["1000A", "1001A"]
    assert submission.claims[1].patient.name == "BLOGGS"


def test_read_837p_refuses_a_response() -> None:
    reply = simulate_999(CLAIMS_837, control_number=1, created=WHEN)
    with pytest.raises(InvalidInput, match="837 claim files only"):
        read_837p(reply)


# ---------------------------------------------------------------------------------------------
# 999


def test_999_accepting_everything() -> None:
    text = simulate_999(CLAIMS_837, control_number=501, created=WHEN)
    assert pyx12_valid(text)
    ack = parse_inbound(text).document
    assert isinstance(ack, Ack999)
    assert ack.interchange_control_number == "000000501"
    assert ack.envelope.sender_id == "NCLMEMCO" and ack.envelope.receiver_id == "IPSBILL"
    (group,) = ack.groups
    assert (group.group_control_number, group.status, group.sets_accepted) == ("417", "A", 1)
    assert [(t.control_number, t.accepted) for t in group.transactions] == [("0001", True)]


def test_999_rejecting_a_set() -> None:
    text = simulate_999(
        CLAIMS_837, control_number=502, created=WHEN, rejected_sets=frozenset({"0001"})
    )
    assert pyx12_valid(text)
    ack = parse_inbound(text).document
    assert isinstance(ack, Ack999)
    (group,) = ack.groups
    assert (group.status, group.accepted, group.sets_accepted) == ("R", False, 0)
    (transaction,) = group.transactions
    assert transaction.status == "R" and transaction.error_codes == ("5",)
    assert transaction.errors == ("IK3*CLM*20*2300*8", "IK4*2*782*6")


def test_999_rejecting_an_unknown_set_is_refused() -> None:
    with pytest.raises(InvalidInput, match="rejected_sets"):
        simulate_999(CLAIMS_837, control_number=3, created=WHEN, rejected_sets=frozenset({"9"}))


# ---------------------------------------------------------------------------------------------
# 277CA


def test_277ca_accepts_and_rejects_as_told() -> None:
    text = simulate_277ca(CLAIMS_837, control_number=503, created=WHEN, rejections={THIRD: "562"})
    assert pyx12_valid(text)
    status = parse_inbound(text).document
    assert isinstance(status, ClaimStatus277)
    assert status.warnings == ()
    submission = read_837p(CLAIMS_837)
    by_id = {claim.patient_control_number: claim for claim in status.claims}
    assert set(by_id) == {FIRST, SECOND, THIRD}
    for claim_id in (FIRST, SECOND):
        assert by_id[claim_id].outcome is AckOutcome.ACCEPTED
        assert by_id[claim_id].payer_claim_control_number == payer_claim_number(
            submission, claim_id
        )
    rejected = by_id[THIRD]
    assert rejected.rejected and rejected.payer_claim_control_number == ""
    assert [(c.category, c.status) for c in rejected.statuses[0].codes] == [("A7", "562")]
    assert by_id[FIRST].service_start == date(2025, 1, 6)
    assert by_id[FIRST].service_end == date(2025, 1, 13)
    receiver = status.summaries[0]
    assert (receiver.trace_number, receiver.accepted_count, receiver.rejected_count) == (
        "B417",
        2,
        1,
    )
    assert receiver.accepted_amount == Decimal("228.48")
    assert receiver.rejected_amount == Decimal("48.96")


def test_277ca_with_no_rejection_has_no_rejected_totals() -> None:
    text = simulate_277ca(CLAIMS_837, control_number=504, created=WHEN)
    assert pyx12_valid(text)
    status = parse_inbound(text).document
    assert isinstance(status, ClaimStatus277)
    assert all(claim.accepted for claim in status.claims)
    assert all(summary.rejected_count is None for summary in status.summaries)


def test_277ca_rejection_of_an_unknown_claim_is_refused() -> None:
    with pytest.raises(InvalidInput, match="NOPE"):
        simulate_277ca(CLAIMS_837, control_number=505, created=WHEN, rejections={"NOPE": "21"})


# ---------------------------------------------------------------------------------------------
# 835

MIXED_PLAN = {
    SECOND: RemitPlan(RemitAction.PARTIAL, (LineAdjustment("L0004", Decimal("16.32")),)),
    THIRD: RemitPlan(RemitAction.DENY),
}


def _remit(**kwargs: object) -> Remittance835:
    text = simulate_835(CLAIMS_837, control_number=510, created=WHEN, **kwargs)  # type: ignore[arg-type]
    assert pyx12_valid(text)
    remit = parse_inbound(text).document
    assert isinstance(remit, Remittance835)
    assert remit.warnings == ()
    return remit


def test_835_pays_partially_pays_and_denies() -> None:
    remit = _remit(trace_number="EFT0001", plans=MIXED_PLAN)
    (payment,) = remit.payments
    assert payment.trace_number == "EFT0001" and payment.method == "ACH"
    assert payment.payment_date == date(2025, 3, 2)
    by_id = {claim.patient_control_number: claim for claim in payment.claims}
    assert by_id[FIRST].outcome is RemitOutcome.PAID and by_id[FIRST].paid == Decimal("130.56")
    assert by_id[SECOND].outcome is RemitOutcome.PARTIALLY_PAID
    assert by_id[SECOND].paid == Decimal("81.60")
    assert by_id[THIRD].outcome is RemitOutcome.DENIED and by_id[THIRD].status_code == "4"
    assert payment.total_paid == Decimal("212.16") == sum(c.paid for c in payment.claims)
    submission = read_837p(CLAIMS_837)
    for claim_id, claim in by_id.items():
        assert claim.payer_claim_control_number == payer_claim_number(submission, claim_id)


def test_835_lines_carry_their_ids_and_cas() -> None:
    remit = _remit(trace_number="EFT0002", plans=MIXED_PLAN)
    lines = {line.line_item_control_number: line for c in remit.claims for line in c.lines}
    assert set(lines) == {"L0001", "L0002", "L0003", "L0004", "L0005"}
    assert lines["L0004"].adjustments == (Adjustment("CO", "45", Decimal("16.32"), None),)
    assert lines["L0004"].paid == Decimal("48.96") and lines["L0004"].allowed == Decimal("48.96")
    assert lines["L0003"].modifiers == ("BC",) and lines["L0003"].adjustments == ()
    assert lines["L0005"].adjustments == (Adjustment("CO", "29", Decimal("48.96"), None),)
    assert lines["L0005"].units == Decimal(0)  # no unit paid on a denied line
    assert lines["L0001"].service_date == date(2025, 1, 6)


def test_835_by_check_and_unplanned_claims_left_out() -> None:
    remit = _remit(
        trace_number="CHK000123",
        plans={FIRST: RemitPlan()},
        default=None,
        payer=PayerDetails(method="CHK"),
    )
    (payment,) = remit.payments
    assert payment.method == "CHK" and payment.trace_number == "CHK000123"
    assert [claim.patient_control_number for claim in payment.claims] == [FIRST]
    assert payment.total_paid == Decimal("130.56")


def test_835_paying_nothing_is_a_notification() -> None:
    remit = _remit(trace_number="NOPAY1", default=RemitPlan(RemitAction.DENY, denial_reason="16"))
    (payment,) = remit.payments
    assert (payment.handling_code, payment.method, payment.total_paid) == (
        "H",
        "NON",
        Decimal("0.00"),
    )
    assert {
        adj.reason_code for c in payment.claims for ln in c.lines for adj in ln.adjustments
    } == {"16"}


def test_835_more_than_six_reasons_spill_into_a_second_cas() -> None:
    cuts = tuple(
        LineAdjustment("L0001", Decimal("1.00"), reason_code=str(code)) for code in range(1, 9)
    )
    remit = _remit(trace_number="EFT7", plans={FIRST: RemitPlan(RemitAction.PARTIAL, cuts)})
    line = remit.claims[0].lines[0]
    assert [adj.reason_code for adj in line.adjustments] == [str(code) for code in range(1, 9)]
    assert line.paid == Decimal("57.28")


def test_835_patient_responsibility_goes_to_clp05() -> None:
    cut = LineAdjustment("L0005", Decimal("10.00"), group_code="PR", reason_code="2")
    remit = _remit(trace_number="EFT8", plans={THIRD: RemitPlan(RemitAction.PARTIAL, (cut,))})
    third = next(c for c in remit.claims if c.patient_control_number == THIRD)
    assert third.patient_responsibility == Decimal("10.00")
    assert third.lines[0].allowed == Decimal("48.96")  # PR is part of what was allowed


def test_835_bad_plans_are_refused() -> None:
    too_much = RemitPlan(RemitAction.PARTIAL, (LineAdjustment("L0005", Decimal("60.00")),))
    with pytest.raises(InvalidInput, match="takes more"):
        simulate_835(
            CLAIMS_837, control_number=9, created=WHEN, trace_number="T", plans={THIRD: too_much}
        )
    wrong_line = RemitPlan(RemitAction.PARTIAL, (LineAdjustment("L0001", Decimal("1.00")),))
    with pytest.raises(InvalidInput, match="L0001"):
        simulate_835(
            CLAIMS_837, control_number=9, created=WHEN, trace_number="T", plans={THIRD: wrong_line}
        )


def test_pyx12_check_is_not_vacuous() -> None:
    text = simulate_835(CLAIMS_837, control_number=511, created=WHEN, trace_number="T1")
    assert pyx12_valid(text)
    assert not pyx12_valid(text.replace(f"CLP*{FIRST}*1*", f"CLP*{FIRST}*X9*"))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(min_value=0, max_value=6528), min_size=5, max_size=5),
    st.sampled_from(["45", "97", "253"]),
)
def test_835_round_trip_balances_for_any_cuts(cents: list[int], reason: str) -> None:
    submission = read_837p(CLAIMS_837)
    lines = [line for claim in submission.claims for line in claim.lines]
    planned = {
        line.line_id: min(Decimal(cut) / 100, line.charge)
        for line, cut in zip(lines, cents, strict=True)
        if cut
    }
    plans = {
        claim.claim_id: RemitPlan(
            RemitAction.PARTIAL,
            tuple(
                LineAdjustment(line.line_id, planned[line.line_id], reason_code=reason)
                for line in claim.lines
                if line.line_id in planned
            ),
        )
        for claim in submission.claims
    }
    text = simulate_835(
        CLAIMS_837, control_number=512, created=WHEN, trace_number="H1", plans=plans
    )
    assert pyx12_valid(text)
    remit = parse_inbound(text).document
    assert isinstance(remit, Remittance835)
    (payment,) = remit.payments
    assert payment.total_paid == sum(paid.paid for paid in payment.claims)
    for paid in payment.claims:
        cas = sum(adj.amount for item in paid.lines for adj in item.adjustments)
        assert paid.charge - paid.paid == cas
        for item in paid.lines:
            cut = planned.get(item.line_item_control_number, Decimal("0.00"))
            assert item.paid == item.charge - cut
            assert [adj.reason_code for adj in item.adjustments] == ([reason] if cut else [])

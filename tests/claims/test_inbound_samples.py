"""Every 999, 277CA and 835 sample from other parties parses, with values checked one by one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from claims.inbound import (
    Ack999,
    AckOutcome,
    Adjustment,
    ClaimStatus277,
    InboundKind,
    RemitOutcome,
    Remittance835,
    parse_inbound,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inbound"


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="ascii")


def _ack(name: str) -> Ack999:
    parsed = parse_inbound(_read(name))
    assert parsed.kind is InboundKind.ACK_999
    assert isinstance(parsed.document, Ack999)
    return parsed.document


def _status(name: str) -> ClaimStatus277:
    parsed = parse_inbound(_read(name))
    assert parsed.kind is InboundKind.CLAIM_ACK_277CA
    assert isinstance(parsed.document, ClaimStatus277)
    return parsed.document


def _remit(name: str) -> Remittance835:
    parsed = parse_inbound(_read(name))
    assert parsed.kind is InboundKind.REMITTANCE_835
    assert isinstance(parsed.document, Remittance835)
    return parsed.document


# ---------------------------------------------------------------------------------------------
# 999


def test_999_accepted_sample() -> None:
    ack = _ack("999_imsweb_accepted.999")
    assert ack.interchange_control_number == "000000286"
    assert ack.envelope.groups[0].control_number == "1"
    assert ack.envelope.groups[0].version == "005010X231A1"
    (group,) = ack.groups
    assert (group.functional_id, group.group_control_number, group.status) == ("HC", "17456", "A")
    assert (group.sets_included, group.sets_received, group.sets_accepted) == (1, 1, 1)
    assert group.accepted
    (transaction,) = group.transactions
    assert (transaction.set_id, transaction.control_number) == ("837", "0001")
    assert transaction.status == "A" and transaction.accepted
    assert transaction.errors == () and transaction.error_codes == ()
    assert ack.warnings == ()


def test_999_rejected_sample_keeps_the_error_segments() -> None:
    ack = _ack("999_imsweb_rejected.999")
    assert ack.interchange_control_number == "095832987"
    (group,) = ack.groups
    assert group.group_control_number == "28"
    assert group.status == "R" and not group.accepted
    assert (group.sets_included, group.sets_received, group.sets_accepted) == (1, 1, 0)
    (transaction,) = group.transactions
    assert transaction.control_number == "0028"
    assert transaction.version == ""  # AK203 absent in this sample
    assert transaction.status == "R" and not transaction.accepted
    assert transaction.error_codes == ("5",)
    assert transaction.errors == ("IK3*NM*17**1",)


# ---------------------------------------------------------------------------------------------
# 277CA


def test_277ca_accepted_sample_survives_its_missing_provider_stc() -> None:
    status = _status("277ca_imsweb_accepted_raw.277")
    assert status.interchange_control_number == "000014420"
    assert status.envelope.groups[0].control_number == "14420"
    assert status.envelope.usage_indicator == "P"
    assert (status.payer_name, status.payer_id) == ("NYSDOH", "141797357")
    assert status.batch_reference == "000000674"
    assert status.created == date(2011, 3, 11)
    (claim,) = status.claims
    assert claim.patient_control_number == "5781"
    assert claim.payer_claim_control_number == "1107000000014420"
    assert claim.billing_provider_id == "1234567890"
    assert claim.outcome is AckOutcome.ACCEPTED and claim.accepted and not claim.rejected
    (info,) = claim.statuses
    assert (info.codes[0].category, info.codes[0].status) == ("A2", "20")
    assert info.amount == Decimal("125.00") and info.status_date == date(2011, 3, 11)
    # The map wants an STC at 2200C; pyx12's finding is kept as a warning, the file is not lost.
    assert any("STC" in warning.message and warning.code == "3" for warning in status.warnings)
    receiver, provider = status.summaries
    assert (receiver.level, receiver.trace_number, receiver.accepted_count) == (
        "receiver",
        "000000674",
        1,
    )
    assert receiver.accepted_amount == Decimal("125.00")
    assert (provider.level, provider.identifier, provider.statuses) == (
        "provider",
        "1234567890",
        (),
    )


def test_277ca_accepted_sample_warning_withholds_the_bad_value() -> None:
    status = _status("277ca_imsweb_accepted_raw.277")
    date_warnings = [warning for warning in status.warnings if "DTP03" in warning.message]
    assert date_warnings and all("10010101" not in w.message for w in date_warnings)


def test_277ca_rejected_sample() -> None:
    status = _status("277ca_imsweb_rejected.277")
    assert status.interchange_control_number == "000001120"
    (claim,) = status.claims
    assert claim.patient_control_number == "3920394930203"
    assert claim.payer_claim_control_number == "1107000000001120"
    assert claim.outcome is AckOutcome.REJECTED and claim.rejected and not claim.accepted
    (info,) = claim.statuses
    code = info.codes[0]
    assert (code.category, code.status, code.entity) == ("A7", "562", "85")
    assert claim.service_start == claim.service_end == date(2009, 3, 11)
    provider = status.summaries[1]
    assert provider.statuses[0].codes[0].category == "A1"
    assert provider.statuses[0].status_date is None  # STC02 empty at 2200C
    assert status.warnings == ()


# ---------------------------------------------------------------------------------------------
# 835


def test_835_sample_payment_and_trace() -> None:
    remit = _remit("835_emedny_sample.835")
    assert remit.interchange_control_number == "006000600"
    (payment,) = remit.payments
    assert payment.transaction_control_number == "1740"
    assert (payment.handling_code, payment.method, payment.credit_debit) == ("I", "ACH", "C")
    assert payment.total_paid == Decimal("45.75")
    assert payment.payment_date == date(2010, 1, 1)
    assert payment.trace_number == "10100000000"
    assert payment.payer_name == "NYSDOH"
    assert payment.payer_id == "1000000000"  # no N104 nor REF*2U: TRN03
    assert (payment.payee_name, payment.payee_id) == ("MAJOR MEDICAL PROVIDER", "9999999995")
    assert payment.total_paid == sum(claim.paid for claim in payment.claims)


def test_835_sample_claims() -> None:
    first, second, third = _remit("835_emedny_sample.835").claims
    assert first.patient_control_number == "PATIENT ACCOUNT NUMBER"
    assert (first.status_code, first.charge, first.paid) == (
        "1",
        Decimal("34.25"),
        Decimal("34.25"),
    )
    assert first.payer_claim_control_number == "1000210000000030"
    assert first.outcome is RemitOutcome.PAID
    assert (second.status_code, second.paid) == ("2", Decimal("0.00"))
    assert second.payer_claim_control_number == "1000220000000020"
    assert second.outcome is RemitOutcome.DENIED
    assert third.paid == Decimal("11.50") and third.outcome is RemitOutcome.PARTIALLY_PAID
    assert third.payer_claim_control_number == "1000230000000020"


def test_835_sample_lines_and_cas() -> None:
    first, second, third = _remit("835_emedny_sample.835").claims
    line = first.lines[0]
    assert (line.procedure_qualifier, line.procedure, line.modifiers) == ("HC", "V2020", ("RB",))
    assert (line.charge, line.paid, line.units) == (Decimal("6.00"), Decimal("6.00"), Decimal(1))
    assert line.allowed == Decimal("6.00")
    assert first.lines[3].units == Decimal(2)
    assert [ln.adjustments for ln in second.lines] == [
        (Adjustment("CO", "29", Decimal("12.00"), None),),
        (Adjustment("CO", "29", Decimal("22.00"), None),),
    ]
    assert second.lines[0].units == Decimal(0)  # SVC05 0 stays 0, not the default 1
    assert third.lines[2].adjustments == (Adjustment("CO", "251", Decimal("2.75"), None),)
    assert third.lines[2].remark_codes == ("N206",)
    assert third.lines[1].service_date == date(2013, 9, 17)
    for claim in (first, second, third):  # the sample balances: charge - paid = CAS
        cas = sum(adj.amount for ln in claim.lines for adj in ln.adjustments)
        assert claim.charge - claim.paid == cas

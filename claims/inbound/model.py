"""What a payer sends back: 999, 277CA and 835 read into plain frozen values.

Field names follow the X12 element they come from (noted beside each field) so the service layer
can map them onto claim statuses without reading the TR3s again. Amounts are ``Decimal`` money
(two places, half-up); quantities (units, CAS quantities) are plain ``Decimal``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from msgspec import Struct


class InboundKind(StrEnum):
    ACK_999 = "999"
    CLAIM_ACK_277CA = "277CA"
    REMITTANCE_835 = "835"
    INTERCHANGE_ACK = "TA1"  # an interchange holding only TA1 segments, no functional group


class ParseWarning(Struct, frozen=True, gc=False):
    """A pyx12 finding that did not stop the reading (e.g. a segment the guide requires is absent).

    ``message`` is pyx12's description with the offending value removed (it may be personal data).
    """

    line: int
    code: str
    message: str


class FunctionalGroup(Struct, frozen=True, gc=False):
    control_number: str  # GS06
    functional_id: str  # GS01: FA (999), HN (277), HP (835)
    version: str  # GS08, e.g. 005010X214
    sender_code: str  # GS02
    receiver_code: str  # GS03
    transaction_control_numbers: tuple[str, ...]  # ST02 of each set in the group


class InterchangeAck(Struct, frozen=True, gc=False):
    """TA1: the receiver's verdict on one whole interchange we sent (ISA/IEA level)."""

    control_number: str  # TA101 = the ISA13 we sent
    interchange_date: str  # TA102, YYMMDD as sent
    interchange_time: str  # TA103, HHMM
    ack_code: str  # TA104: A accepted, E accepted with errors, R rejected
    note_code: str  # TA105: interchange note code, "000" when there is nothing to say

    @property
    def rejected(self) -> bool:
        return self.ack_code == "R"


class Envelope(Struct, frozen=True, gc=False):
    interchange_control_number: str  # ISA13
    sender_id: str  # ISA06, trimmed
    receiver_id: str  # ISA08, trimmed
    usage_indicator: str  # ISA15: T test, P production
    groups: tuple[FunctionalGroup, ...]
    interchange_acks: tuple[InterchangeAck, ...] = ()  # TA1 segments outside any group


# ---------------------------------------------------------------------------------------------
# 999 implementation acknowledgment (005010X231A1)

# IK501 / AK901: A accepted, E accepted with errors noted, P partially accepted (AK9 only);
# M, R, W, X are rejections (005010X231A1, IK5 and AK9 code lists).
ACCEPTING_ACK_CODES: frozenset[str] = frozenset({"A", "E"})


class AckTransaction(Struct, frozen=True, gc=False):
    """One AK2 loop: the acknowledgment of one transaction set we sent."""

    set_id: str  # AK201, e.g. 837
    control_number: str  # AK202 = the ST02 we sent
    version: str  # AK203 (optional in the guide; "" when absent)
    status: str  # IK501
    error_codes: tuple[str, ...]  # IK502..IK506
    errors: tuple[str, ...]  # raw IK3/IK4/CTX segments, "*" and ":" separated

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTING_ACK_CODES


class AckGroup(Struct, frozen=True, gc=False):
    """One 999 transaction set: the acknowledgment of one functional group we sent (AK1..AK9)."""

    functional_id: str  # AK101, HC for an 837
    group_control_number: str  # AK102 = the GS06 we sent
    version: str  # AK103
    status: str  # AK901: A, E, P, M, R, W, X
    sets_included: int  # AK902
    sets_received: int  # AK903
    sets_accepted: int  # AK904
    error_codes: tuple[str, ...]  # AK905..AK909
    transactions: tuple[AckTransaction, ...]

    @property
    def accepted(self) -> bool:
        """The whole group went through; with ``P`` look at each transaction instead."""
        return self.status in ACCEPTING_ACK_CODES


class Ack999(Struct, frozen=True, gc=False):
    envelope: Envelope
    groups: tuple[AckGroup, ...]
    warnings: tuple[ParseWarning, ...] = ()

    @property
    def interchange_control_number(self) -> str:
        return self.envelope.interchange_control_number


# ---------------------------------------------------------------------------------------------
# 277CA claim acknowledgment (005010X214)


class AckOutcome(StrEnum):
    ACCEPTED = "accepted"  # into adjudication (A2, A5)
    RECEIVED = "received"  # received or forwarded, not yet judged (A0, A1)
    REJECTED = "rejected"  # returned unprocessed (A3, A4, A6, A7, A8)
    OTHER = "other"  # pending, finalized, request or "response not possible" categories


class StatusCode(Struct, frozen=True, gc=False):
    """One STC composite (STC01, STC10 or STC11): category, status and entity codes."""

    category: str  # -1, claim status category code (code source 507)
    status: str  # -2, claim status code (code source 508)
    entity: str  # -3, entity identifier code ("" when absent)


class StatusInfo(Struct, frozen=True, gc=False):
    """One STC segment."""

    codes: tuple[StatusCode, ...]  # STC01, then STC10 and STC11 when present
    status_date: date | None  # STC02
    action_code: str  # STC03: WQ accepted, U rejected
    amount: Decimal | None  # STC04, total charge of what is acknowledged
    message: str  # STC12 free-form message ("" when absent)


class LineAck(Struct, frozen=True, gc=False):
    """2220D: one service line the payer commented on."""

    line_item_control_number: str  # REF*FJ = the REF*6R we sent ("" when absent)
    procedure: str  # SVC01-2
    modifiers: tuple[str, ...]  # SVC01-3..-6
    charge: Decimal | None  # SVC02
    units: Decimal | None  # SVC07
    statuses: tuple[StatusInfo, ...]
    service_date: date | None  # DTP*472
    outcome: AckOutcome


class ClaimAck(Struct, frozen=True, gc=False):
    """2200D: one claim's acknowledgment."""

    patient_control_number: str  # TRN02 (TRN01 = 2) = the CLM01 we sent
    payer_claim_control_number: str  # REF*1K ("" when the payer gave none, usual on rejection)
    clearinghouse_trace_number: str  # REF*D9 ("" when absent)
    billing_provider_id: str  # NM109 of the enclosing 2100C (NPI)
    statuses: tuple[StatusInfo, ...]
    service_start: date | None  # DTP*472, D8 or RD8
    service_end: date | None
    lines: tuple[LineAck, ...]
    outcome: AckOutcome  # of its own STC and those of every level above it
    inherited: tuple[StatusInfo, ...] = ()  # STC of the enclosing 2200A/B/C, outermost first

    @property
    def accepted(self) -> bool:
        """Not rejected: received (A1) or accepted into adjudication (A2)."""
        return self.outcome in (AckOutcome.ACCEPTED, AckOutcome.RECEIVED)

    @property
    def rejected(self) -> bool:
        return self.outcome is AckOutcome.REJECTED


class StatusSummary(Struct, frozen=True, gc=False):
    """2200A (payer, rare), 2200B (information receiver) or 2200C (billing provider) status.

    A rejection at one of these levels applies to every claim below it (docs/edi.md).
    """

    level: str  # "payer", "receiver" or "provider"
    identifier: str  # NM109
    trace_number: str  # TRN02
    statuses: tuple[StatusInfo, ...]
    accepted_count: int | None  # QTY*90 / QTY*QA
    rejected_count: int | None  # QTY*AA / QTY*QC
    accepted_amount: Decimal | None  # AMT*YU
    rejected_amount: Decimal | None  # AMT*YY
    receiver_trace: str = ""  # TRN02 of the enclosing 2200B = the BHT03 of the 837 we sent
    claims_below: int = 0  # 2000D loops under this level in the file
    outcome: AckOutcome = AckOutcome.OTHER  # of this level's own STC segments

    @property
    def rejected(self) -> bool:
        return self.outcome is AckOutcome.REJECTED


class ClaimStatus277(Struct, frozen=True, gc=False):
    envelope: Envelope
    payer_name: str  # 2100A NM103
    payer_id: str  # 2100A NM109
    batch_reference: str  # BHT03
    created: date | None  # BHT04
    summaries: tuple[StatusSummary, ...]
    claims: tuple[ClaimAck, ...]
    warnings: tuple[ParseWarning, ...] = ()

    @property
    def interchange_control_number(self) -> str:
        return self.envelope.interchange_control_number


# ---------------------------------------------------------------------------------------------
# 835 remittance advice (005010X221A1)


class RemitOutcome(StrEnum):
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    REVERSED = "reversed"  # CLP02 = 22, a take-back of an earlier payment


class Adjustment(Struct, frozen=True, gc=False):
    """One reason/amount/quantity triple of a CAS segment (a CAS carries up to six)."""

    group_code: str  # CAS01: CO, PR, OA, PI, CR
    reason_code: str  # CARC
    amount: Decimal
    quantity: Decimal | None


class RemitLine(Struct, frozen=True, gc=False):
    """2110: one paid (or not) service line."""

    procedure_qualifier: str  # SVC01-1, HC
    procedure: str  # SVC01-2
    modifiers: tuple[str, ...]  # SVC01-3..-6
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    units: Decimal  # SVC05; the guide says one when absent
    line_item_control_number: str  # REF*6R = the line id we sent ("" when absent)
    service_date: date | None  # DTM*472 (or DTM*150)
    allowed: Decimal | None  # AMT*B6
    adjustments: tuple[Adjustment, ...]
    remark_codes: tuple[str, ...]  # LQ*HE


class RemitClaim(Struct, frozen=True, gc=False):
    """2100: one claim payment."""

    patient_control_number: str  # CLP01 = the CLM01 we sent
    status_code: str  # CLP02: 1, 2, 3 processed, 4 denied, 22 reversal, ...
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal  # CLP05, zero when absent
    filing_indicator: str  # CLP06
    payer_claim_control_number: str  # CLP07
    frequency_code: str  # CLP09 ("" when absent)
    adjustments: tuple[Adjustment, ...]  # claim-level CAS
    lines: tuple[RemitLine, ...]
    outcome: RemitOutcome


class ProviderAdjustment(Struct, frozen=True, gc=False):
    """PLB: a provider-level amount taken from (positive) or added to (negative) the payment."""

    provider_id: str  # PLB01
    fiscal_period_end: date | None  # PLB02
    reason_code: str  # PLB03-1, e.g. WO, L6, FB
    reference: str  # PLB03-2
    amount: Decimal


class Payment(Struct, frozen=True, gc=False):
    """One 835 transaction set: a single check or EFT and what it paid."""

    transaction_control_number: str  # ST02
    handling_code: str  # BPR01: I remittance and payment, H notification only, ...
    total_paid: Decimal  # BPR02
    credit_debit: str  # BPR03: C or D
    method: str  # BPR04: ACH, CHK, FWT, BOP, NON
    payment_date: date | None  # BPR16
    trace_number: str  # TRN02, the check or EFT trace number
    trace_originator: str  # TRN03
    payer_name: str  # N1*PR N102
    payer_id: str  # N1*PR N104, else REF*2U, else TRN03
    payee_name: str  # N1*PE N102
    payee_id: str  # N1*PE N104 (NPI when N103 = XX)
    production_date: date | None  # DTM*405
    claims: tuple[RemitClaim, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    payer_ids: tuple[str, ...] = ()  # every id the payer gives itself: N1*PR N104, REF*2U
    payee_id_qualifier: str = ""  # N1*PE N103: XX NPI, FI federal tax id
    payee_tax_id: str = ""  # REF*TJ of the payee loop


class Remittance835(Struct, frozen=True, gc=False):
    envelope: Envelope
    payments: tuple[Payment, ...]
    warnings: tuple[ParseWarning, ...] = ()

    @property
    def interchange_control_number(self) -> str:
        return self.envelope.interchange_control_number

    @property
    def claims(self) -> tuple[RemitClaim, ...]:
        return tuple(claim for payment in self.payments for claim in payment.claims)


# ---------------------------------------------------------------------------------------------


class InterchangeAcks(Struct, frozen=True, gc=False):
    """An interchange that carries TA1 segments only (no GS): X12 allows it on its own."""

    envelope: Envelope
    warnings: tuple[ParseWarning, ...] = ()

    @property
    def interchange_control_number(self) -> str:
        return self.envelope.interchange_control_number


Document = Ack999 | ClaimStatus277 | Remittance835 | InterchangeAcks


class InboundFile(Struct, frozen=True, gc=False):
    """What ``parse_inbound`` returns: the kind, the file's digest and exactly one parsed body."""

    kind: InboundKind
    digest: str
    document: Document

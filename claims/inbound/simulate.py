"""A payer that answers our 837P: 999, 277CA and 835, for round-trip tests and the demo.

Pure: the 837P text and a plan in, X12 text out; dates and control numbers are passed in, never
read from a clock. The payer's claim control number of a claim is derived from the 837P's ISA13
and the claim's position, so the 277CA and the 835 built from one 837P agree on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from claims.errors import InvalidInput
from claims.inbound.sim277 import Answer277, build_277ca
from claims.inbound.sim835 import LineAdjustment, PayerDetails, RemitAction, RemitPlan, build_835
from claims.inbound.sim837 import Submission, SubmittedClaim, SubmittedGroup, read_837p
from claims.inbound.x12out import Addressing, Segments, interchange, seg

__all__ = [
    "LineAdjustment",
    "PayerDetails",
    "RemitAction",
    "RemitPlan",
    "Submission",
    "payer_claim_number",
    "read_837p",
    "response_addressing",
    "simulate_277ca",
    "simulate_835",
    "simulate_999",
]

ACK_VERSION = "005010X231A1"
PAY_IN_FULL = RemitPlan()
DEFAULT_PAYER = PayerDetails()


def response_addressing(submission: Submission) -> Addressing:
    """The payer answers from where the 837P was sent to, to whoever sent it."""
    return Addressing(
        sender=submission.receiver,
        receiver=submission.sender,
        application_sender=submission.application_receiver,
        application_receiver=submission.application_sender,
        usage_indicator=submission.usage_indicator,
    )


def payer_claim_number(submission: Submission, claim_id: str) -> str:
    """The simulated payer's claim control number (REF*1K in the 277CA, CLP07 in the 835)."""
    numbers = _payer_numbers(submission)
    if claim_id not in numbers:
        raise InvalidInput(f"claim {claim_id} is not in the 837 interchange")
    return numbers[claim_id]


# ---------------------------------------------------------------------------------------------
# 999


def simulate_999(
    text_837: str,
    *,
    control_number: int,
    created: datetime,
    rejected_sets: frozenset[str] = frozenset(),
) -> str:
    """A 999 per functional group of the 837P; the sets whose ST02 is in ``rejected_sets`` are
    rejected (IK5 R) with a representative CLM02 element error, the others accepted."""
    submission = read_837p(text_837)
    sent = {item.control_number for group in submission.groups for item in group.sets}
    if not rejected_sets <= sent:
        raise InvalidInput("rejected_sets names a transaction set the 837 does not hold")
    acks = [("999", _ack_group(group, rejected_sets)) for group in submission.groups]
    return interchange(
        response_addressing(submission), control_number, created, [("FA", ACK_VERSION, acks)]
    )


def _ack_group(group: SubmittedGroup, rejected: frozenset[str]) -> Segments:
    body = [seg("AK1", "HC", group.control_number, group.version)]
    for submitted in group.sets:
        body.append(seg("AK2", "837", submitted.control_number, submitted.version))
        if submitted.control_number in rejected:
            # IK304 8: segment has data element errors; IK403 6: invalid character (CLM02).
            position = str(submitted.first_claim_position or 1)
            body += [seg("IK3", "CLM", position, "2300", "8"), seg("IK4", "2", "782", "6")]
            body.append(seg("IK5", "R", "5"))  # IK502 5: one or more segments in error
        else:
            body.append(seg("IK5", "A"))
    accepted = sum(1 for item in group.sets if item.control_number not in rejected)
    status = "A" if accepted == len(group.sets) else ("R" if accepted == 0 else "P")
    counts = [str(len(group.sets)), str(len(group.sets)), str(accepted)]
    body.append(seg("AK9", status, *counts))
    return body


# ---------------------------------------------------------------------------------------------
# 277CA and 835


def simulate_277ca(
    text_837: str,
    *,
    control_number: int,
    created: datetime,
    rejections: Mapping[str, str] | None = None,
    rejection_category: str = "A7",
) -> str:
    """A 277CA: every claim accepted (A2:20, with REF*1K) except those in ``rejections``, which
    maps a CLM01 to the STC status code (code source 508) it is rejected with."""
    submission = read_837p(text_837)
    rejections = rejections or {}
    _known(submission, rejections)
    answer = Answer277(created, rejections, rejection_category, _payer_numbers(submission))
    body = build_277ca(submission, control_number, answer)
    return interchange(
        response_addressing(submission),
        control_number,
        created,
        [("HN", "005010X214", [("277", body)])],
    )


def simulate_835(
    text_837: str,
    *,
    control_number: int,
    created: datetime,
    trace_number: str,
    plans: Mapping[str, RemitPlan] | None = None,
    default: RemitPlan | None = PAY_IN_FULL,
    payer: PayerDetails = DEFAULT_PAYER,
) -> str:
    """An 835 paying the claims per ``plans`` (CLM01 -> plan); claims without a plan follow
    ``default`` (pay in full), or are left out of the remittance when ``default`` is None."""
    submission = read_837p(text_837)
    plans = plans or {}
    _known(submission, plans)
    decided = [(claim, plans.get(claim.claim_id, default)) for claim in submission.claims]
    chosen = [(claim, plan) for claim, plan in decided if plan is not None]
    numbers = _payer_numbers(submission)
    payees = _by_payee(chosen)
    sets = [
        ("835", build_835(submission, created, trace, group, numbers, payer))
        for trace, group in zip(_traces(trace_number, len(payees)), payees, strict=True)
    ]
    return interchange(
        response_addressing(submission), control_number, created, [("HP", "005010X221A1", sets)]
    )


def _by_payee(
    chosen: list[tuple[SubmittedClaim, RemitPlan]],
) -> list[list[tuple[SubmittedClaim, RemitPlan]]]:
    """One 835 transaction per payee (N1*PE names one billing provider), as payers send them."""
    groups: dict[str, list[tuple[SubmittedClaim, RemitPlan]]] = {}
    for claim, plan in chosen:
        groups.setdefault(claim.billing_provider.identifier or "", []).append((claim, plan))
    return list(groups.values()) or [[]]


def _traces(trace_number: str, count: int) -> list[str]:
    """TRN02 names one payment: a second payee's payment gets its own number."""
    return [trace_number] + [f"{trace_number}-{n}" for n in range(2, count + 1)]


def _payer_numbers(submission: Submission) -> dict[str, str]:
    prefix = submission.interchange_control_number
    return {
        claim.claim_id: f"{prefix}{index:04d}" for index, claim in enumerate(submission.claims, 1)
    }


def _known(submission: Submission, planned: Mapping[str, object]) -> None:
    known = {claim.claim_id for claim in submission.claims}
    for claim_id in planned:
        if claim_id not in known:
            raise InvalidInput(f"the plan names claim {claim_id}, which the 837 does not hold")

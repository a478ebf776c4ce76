"""The simulator's 277CA body (005010X214): payer > one receiver per 837 set > provider > claims.

Totals at the receiver (2200B) and provider (2200C) levels count and sum what was accepted and
rejected below them (QTY*90/AA and QTY*QA/QC, AMT*YU/YY), as the guide lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from msgspec import Struct

from claims.inbound.sim837 import Party, Submission, SubmittedClaim
from claims.inbound.x12out import Segments, amount, composite, d8, seg

ACCEPTED = composite("A2", "20")  # A2 accepted into adjudication; 508 code 20 "accepted"
RECEIPT = composite("A1", "19", "PR")  # A1 receipt; 19 "entity acknowledges receipt"; payer


class Answer277(Struct, frozen=True, gc=False):
    """What the payer decided: rejected CLM01 -> STC status code; payer claim numbers."""

    created: datetime
    rejections: Mapping[str, str]
    rejection_category: str
    payer_numbers: Mapping[str, str]


@dataclass
class _Tree:
    """HL numbering while writing: each HL gets the next id and names its parent's."""

    segments: Segments = field(default_factory=list)
    next_id: int = 1

    def open(self, parent: int | None, level: str) -> int:
        number = self.next_id
        self.next_id += 1
        child = "" if level == "PT" else "1"  # 2000D carries no HL04 in X214
        self.segments.append(seg("HL", str(number), str(parent or ""), level, child))
        return number


def build_277ca(submission: Submission, control_number: int, answer: Answer277) -> Segments:
    tree = _Tree()
    created = answer.created
    tree.segments.append(
        seg("BHT", "0085", "08", str(control_number), d8(created), created.strftime("%H%M"), "TH")
    )
    source = tree.open(None, "20")
    tree.segments += [
        _nm1("PR", submission.payer, "PI"),
        seg("TRN", "1", str(control_number)),
        seg("DTP", "050", "D8", d8(created)),  # date the payer received the claims
        seg("DTP", "009", "D8", d8(created)),  # date it processed them
    ]
    for group in submission.groups:
        for submitted in group.sets:
            claims = [
                claim
                for claim in submission.claims
                if claim.transaction_control_number == submitted.control_number
            ]
            if claims:
                _receiver(tree, source, submission, submitted.batch_reference, claims, answer)
    return tree.segments


def _receiver(
    tree: _Tree,
    parent: int,
    submission: Submission,
    batch_reference: str,
    claims: Sequence[SubmittedClaim],
    answer: Answer277,
) -> None:
    receiver = tree.open(parent, "21")
    tree.segments.append(_nm1("41", submission.submitter, "46"))
    tree.segments.append(seg("TRN", "2", batch_reference or "0"))  # the 837's BHT03
    tree.segments += _totals(claims, answer, ("90", "AA"), d8(answer.created))
    for npi in dict.fromkeys(claim.billing_provider.identifier for claim in claims):
        mine = [claim for claim in claims if claim.billing_provider.identifier == npi]
        provider = tree.open(receiver, "19")
        tree.segments.append(_nm1("85", mine[0].billing_provider, "XX"))
        tree.segments.append(seg("TRN", "1", f"{npi}{provider}"))
        tree.segments += _totals(mine, answer, ("QA", "QC"), "")  # 2200C STC02 is Not Used
        for claim in mine:
            tree.open(provider, "PT")
            tree.segments += _claim(claim, answer)


def _totals(
    claims: Sequence[SubmittedClaim],
    answer: Answer277,
    qualifiers: tuple[str, str],
    status_date: str,
) -> Segments:
    taken = [claim for claim in claims if claim.claim_id not in answer.rejections]
    refused = [claim for claim in claims if claim.claim_id in answer.rejections]
    total = sum((claim.charge for claim in claims), Decimal("0"))
    out = [seg("STC", RECEIPT, status_date, "WQ", amount(total))]
    for qualifier, part in zip(qualifiers, (taken, refused), strict=True):
        if part:
            out.append(seg("QTY", qualifier, str(len(part))))
    for qualifier, part in (("YU", taken), ("YY", refused)):
        if part:
            out.append(seg("AMT", qualifier, amount(sum((c.charge for c in part), Decimal(0)))))
    return out


def _claim(claim: SubmittedClaim, answer: Answer277) -> Segments:
    out = [_patient(claim.patient), seg("TRN", "2", claim.claim_id)]
    when = d8(answer.created)
    if claim.claim_id in answer.rejections:
        code = composite(answer.rejection_category, answer.rejections[claim.claim_id])
        out.append(seg("STC", code, when, "U", amount(claim.charge)))
    else:
        out.append(seg("STC", ACCEPTED, when, "WQ", amount(claim.charge)))
        out.append(seg("REF", "1K", answer.payer_numbers[claim.claim_id]))
    out += _service_dates(claim)
    return out


def _service_dates(claim: SubmittedClaim) -> Segments:
    days = sorted(day for day in (line.service_date for line in claim.lines) if day is not None)
    if not days:
        return []
    if days[0] == days[-1]:
        return [seg("DTP", "472", "D8", d8(days[0]))]
    return [seg("DTP", "472", "RD8", f"{d8(days[0])}-{d8(days[-1])}")]


def _nm1(entity: str, party: Party, qualifier: str) -> str:
    name, identifier = party.name or "UNKNOWN", party.identifier or "0"
    return seg("NM1", entity, "2", name, "", "", "", "", qualifier, identifier)


def _patient(party: Party) -> str:
    return seg(
        "NM1", "QC", "1", party.name or "UNKNOWN", party.first_name, "", "", "",
        party.id_qualifier or "MI", party.identifier or "0",
    )  # fmt: skip

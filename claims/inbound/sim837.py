"""A generic reading of an 837P, just enough for the payer simulator to answer it.

It splits the text by the ISA's own separators and walks the segments in order; it does not
depend on the 837P writer (claims/x12) and knows nothing of how that writer builds its loops.
Patient names and member ids are read only to be echoed back in the 277CA and 835, as a payer
does; they never appear in an error message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from msgspec import Struct
from msgspec.structs import replace

from claims.errors import InvalidInput
from claims.inbound.reader import Delimiters, delimiters, split_segments
from claims.money import to_money


class SubmittedLine(Struct, frozen=True, gc=False):
    line_id: str  # REF*6R ("" when the line had none)
    procedure: str  # SV101-2
    modifiers: tuple[str, ...]  # SV101-3..-6
    charge: Decimal  # SV102
    units: Decimal  # SV104
    service_date: date | None  # DTP*472 (start of a range)


class Party(Struct, frozen=True, gc=False):
    name: str  # NM103 (last or organization name)
    first_name: str  # NM104
    id_qualifier: str  # NM108
    identifier: str  # NM109


class SubmittedClaim(Struct, frozen=True, gc=False):
    claim_id: str  # CLM01
    charge: Decimal  # CLM02
    place_of_service: str  # CLM05-1
    frequency: str  # CLM05-3
    filing_indicator: str  # SBR09
    billing_provider: Party  # 2010AA NM1*85
    patient: Party  # 2010BA NM1*IL, or 2010CA NM1*QC when the patient is not the subscriber
    transaction_control_number: str  # ST02 of its set
    batch_reference: str  # BHT03 of its set
    lines: tuple[SubmittedLine, ...]


class SubmittedSet(Struct, frozen=True, gc=False):
    control_number: str  # ST02
    version: str  # ST03
    batch_reference: str  # BHT03
    first_claim_position: int = 0  # position of its first CLM in the set (ST = 1), for IK3


class SubmittedGroup(Struct, frozen=True, gc=False):
    control_number: str  # GS06
    version: str  # GS08
    sets: tuple[SubmittedSet, ...]


class Submission(Struct, frozen=True, gc=False):
    interchange_control_number: str  # ISA13
    sender: tuple[str, str]  # ISA05, ISA06 (trimmed)
    receiver: tuple[str, str]  # ISA07, ISA08 (trimmed)
    application_sender: str  # GS02
    application_receiver: str  # GS03
    usage_indicator: str  # ISA15
    submitter: Party  # 1000A NM1*41
    payer: Party  # 2010BB NM1*PR of the first claim
    groups: tuple[SubmittedGroup, ...]
    claims: tuple[SubmittedClaim, ...]


NO_PARTY = Party("", "", "", "")


@dataclass
class _Line:
    sv1: list[tuple[str, ...]]
    line_id: str = ""
    service_date: date | None = None


@dataclass
class _Claim:
    clm: list[tuple[str, ...]]
    lines: list[_Line] = field(default_factory=list)


@dataclass
class _Walk:
    """Mutable state while walking: the parties and set that the next CLM belongs to."""

    groups: list[SubmittedGroup] = field(default_factory=list)
    claims: list[SubmittedClaim] = field(default_factory=list)
    parties: dict[str, Party] = field(default_factory=dict)
    first_payer: Party | None = None
    filing: str = ""
    current_set: SubmittedSet = SubmittedSet("", "", "")
    claim: _Claim | None = None
    position: int = 0  # segment position inside the current set, ST = 1


Tokens = list[tuple[str, ...]]


def read_837p(text: str) -> Submission:
    """The interchange's ids and every claim with its lines; ``InvalidInput`` if not an 837."""
    body = text.strip()
    delims = delimiters(body)
    tokens = [_components(seg, delims) for seg in split_segments(body, delims)]
    if not any(seg[0] == ("ST",) and _at(seg, 1) == "837" for seg in tokens):
        raise InvalidInput("the simulator answers 837 claim files only: no ST*837 found")
    walk = _Walk()
    for seg in tokens:
        _take(walk, seg)
    if not walk.claims:
        raise InvalidInput("the 837 holds no CLM segment")
    isa, gs = tokens[0], next(seg for seg in tokens if seg[0] == ("GS",))
    return Submission(
        interchange_control_number=_at(isa, 13),
        sender=(_at(isa, 5), _at(isa, 6).strip()),
        receiver=(_at(isa, 7), _at(isa, 8).strip()),
        application_sender=_at(gs, 2),
        application_receiver=_at(gs, 3),
        usage_indicator=_at(isa, 15),
        submitter=walk.parties.get("41", NO_PARTY),
        payer=walk.first_payer or NO_PARTY,
        groups=tuple(walk.groups),
        claims=tuple(walk.claims),
    )


def _components(seg: list[str], delims: Delimiters) -> Tokens:
    if seg[0] == "ISA":  # ISA16 is the component separator itself, not a composite
        return [(value,) for value in seg]
    return [tuple(value.split(delims.component)) for value in seg]


def _at(seg: Tokens, pos: int, comp: int = 1) -> str:
    if pos >= len(seg) or comp > len(seg[pos]):
        return ""
    return seg[pos][comp - 1]


def _take(walk: _Walk, seg: Tokens) -> None:
    seg_id = seg[0][0]
    walk.position = 1 if seg_id == "ST" else walk.position + 1
    if seg_id == "CLM" and not walk.current_set.first_claim_position:
        walk.current_set = replace(walk.current_set, first_claim_position=walk.position)
    if seg_id in ("GS", "ST", "BHT", "SE"):
        _take_envelope(walk, seg_id, seg)
    elif seg_id in ("HL", "CLM"):
        _close_claim(walk)
        walk.claim = _Claim(seg) if seg_id == "CLM" else None
    elif walk.claim is None:
        _take_party(walk, seg_id, seg)
    elif seg_id == "SV1":
        walk.claim.lines.append(_Line(seg))
    elif walk.claim.lines:
        _take_line(walk.claim.lines[-1], seg_id, seg)


def _take_envelope(walk: _Walk, seg_id: str, seg: Tokens) -> None:
    if seg_id == "GS":
        walk.groups.append(SubmittedGroup(_at(seg, 6), _at(seg, 8), ()))
    elif seg_id == "ST":
        walk.current_set = SubmittedSet(_at(seg, 2), _at(seg, 3), "")
    elif seg_id == "BHT":
        walk.current_set = replace(walk.current_set, batch_reference=_at(seg, 3))
    else:  # SE
        _close_claim(walk)
        if not walk.groups:
            raise InvalidInput("the 837 has a transaction set outside any GS group")
        group = walk.groups[-1]
        walk.groups[-1] = replace(group, sets=(*group.sets, walk.current_set))


def _take_party(walk: _Walk, seg_id: str, seg: Tokens) -> None:
    if seg_id == "NM1":
        party = Party(_at(seg, 3), _at(seg, 4), _at(seg, 8), _at(seg, 9))
        walk.parties[_at(seg, 1)] = party
        if _at(seg, 1) == "PR" and walk.first_payer is None:
            walk.first_payer = party
    elif seg_id == "SBR":
        walk.filing = _at(seg, 9)
        walk.parties.pop("QC", None)  # a new subscriber: its own patient, if any, follows


def _take_line(line: _Line, seg_id: str, seg: Tokens) -> None:
    if seg_id == "REF" and _at(seg, 1) == "6R":
        line.line_id = _at(seg, 2)
    elif seg_id == "DTP" and _at(seg, 1) == "472":
        line.service_date = _date(_at(seg, 3)[:8])


def _close_claim(walk: _Walk) -> None:
    if walk.claim is None:
        return
    clm = walk.claim.clm
    walk.claims.append(
        SubmittedClaim(
            claim_id=_at(clm, 1),
            charge=_money(_at(clm, 2), "CLM02"),
            place_of_service=_at(clm, 5, 1),
            frequency=_at(clm, 5, 3),
            filing_indicator=walk.filing,
            billing_provider=walk.parties.get("85", NO_PARTY),
            patient=walk.parties.get("QC") or walk.parties.get("IL", NO_PARTY),
            transaction_control_number=walk.current_set.control_number,
            batch_reference=walk.current_set.batch_reference,
            lines=tuple(_freeze_line(line) for line in walk.claim.lines),
        )
    )
    walk.claim = None


def _freeze_line(line: _Line) -> SubmittedLine:
    procedure = line.sv1[1] if len(line.sv1) > 1 else ()
    return SubmittedLine(
        line_id=line.line_id,
        procedure=procedure[1] if len(procedure) > 1 else "",
        modifiers=tuple(mod for mod in procedure[2:6] if mod),
        charge=_money(_at(line.sv1, 2), "SV102"),
        units=_number(_at(line.sv1, 4), "SV104"),
        service_date=line.service_date,
    )


def _money(raw: str, element: str) -> Decimal:
    try:
        return to_money(raw)
    except ValueError as exc:
        raise InvalidInput(f"{element} of the 837 is not an amount") from exc


def _number(raw: str, element: str) -> Decimal:
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise InvalidInput(f"{element} of the 837 is not a number") from exc


def _date(raw: str) -> date | None:
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        return None

"""Release checks pyx12 does not make (billing-rules.md section 2), on any 837P text.

Each check is a small function over the parsed segments returning problems that name the claim
(CLM01) and the segment (id, position). Messages never quote member data (names, diagnoses,
subscriber ids): they name the field, so a refused batch can be reported without leaking PHI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

from claims.identifiers import npi_is_valid
from claims.x12.model import Problem
from claims.x12.segments import Interchange, Segment

Check = Callable[[Interchange], list[Problem]]


def _problem(segment: Segment, message: str) -> Problem:
    return Problem(segment.claim_id, segment.id, segment.position, message)


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _claims(doc: Interchange) -> Iterator[tuple[Segment, list[Segment]]]:
    """Each CLM with the segments of its 2300/2400 loops."""
    current: tuple[Segment, list[Segment]] | None = None
    for segment in doc.segments:
        if segment.id == "CLM":
            if current:
                yield current
            current = (segment, [])
        elif segment.claim_id is None and current:
            yield current
            current = None
        elif current:
            current[1].append(segment)
    if current:
        yield current


def claim_total_matches_lines(doc: Interchange) -> list[Problem]:
    """CLM02 equals the sum of SV102 of the claim's lines, as decimals."""
    problems = []
    for clm, body in _claims(doc):
        total = _amount(clm.element(2))
        charges = [_amount(s.element(2)) for s in body if s.id == "SV1"]
        if total is None or any(charge is None for charge in charges):
            problems.append(_problem(clm, "CLM02 or an SV102 is not a decimal amount"))
        elif total != sum((c for c in charges if c is not None), Decimal(0)):
            problems.append(_problem(clm, "CLM02 does not equal the sum of the lines' SV102"))
    return problems


def npi_check_digits(doc: Interchange) -> list[Problem]:
    """Every NM1 with qualifier XX (NM1*85 included) carries a Luhn-valid NPI (prefix 80840)."""
    problems = []
    for segment in doc.segments:
        if segment.id != "NM1":
            continue
        if segment.element(8) == "XX" and not npi_is_valid(segment.element(9)):
            problems.append(_problem(segment, f"NM1*{segment.element(1)} NPI check digit fails"))
        elif segment.element(1) == "85" and segment.element(8) != "XX":
            problems.append(_problem(segment, "NM1*85 billing provider has no NPI (XX)"))
    return problems


def billing_provider_zip(doc: Interchange) -> list[Problem]:
    """2010AA N4: the billing provider's ZIP has 9 digits (TR3 5010: ZIP+4 required there)."""
    problems, in_2010aa = [], False
    for segment in doc.segments:
        if segment.id in ("NM1", "HL"):
            in_2010aa = segment.id == "NM1" and segment.element(1) == "85"
        elif segment.id == "N4" and in_2010aa:
            code = segment.element(3)
            if not (len(code) == 9 and code.isdigit()):
                problems.append(_problem(segment, "2010AA N403 ZIP code must have 9 digits"))
    return problems


def employer_id_number(doc: Interchange) -> list[Problem]:
    """REF*EI carries a 9-digit EIN, no hyphen."""
    return [
        _problem(s, "REF*EI must be a 9-digit EIN")
        for s in doc.segments
        if s.id == "REF"
        and s.element(1) == "EI"
        and not (len(s.element(2)) == 9 and s.element(2).isdigit())
    ]


def diagnosis_codes_without_point(doc: Interchange) -> list[Problem]:
    """HI: ICD-10 codes are sent without the decimal point."""
    component = doc.separators.component
    problems = []
    for segment in doc.segments:
        if segment.id != "HI":
            continue
        for index, element in enumerate(segment.elements[1:], start=1):
            parts = element.split(component)
            if len(parts) > 1 and "." in parts[1]:
                problems.append(_problem(segment, f"HI{index:02d} code has a decimal point"))
    return problems


def version_matches(doc: Interchange) -> list[Problem]:
    """ST03 equals the GS08 of its functional group."""
    problems, gs08 = [], ""
    for segment in doc.segments:
        if segment.id == "GS":
            gs08 = segment.element(8)
        elif segment.id == "ST" and segment.element(3) != gs08:
            problems.append(_problem(segment, "ST03 does not equal GS08"))
    return problems


def claim_frequency(doc: Interchange) -> list[Problem]:
    """CLM05-3 is 1 (original), 7 (replacement) or 8 (void)."""
    component = doc.separators.component
    problems = []
    for clm, _ in _claims(doc):
        parts = clm.element(5).split(component)
        if len(parts) < 3 or parts[2] not in ("1", "7", "8"):
            problems.append(_problem(clm, "CLM05-3 claim frequency must be 1, 7 or 8"))
    return problems


def upper_case(doc: Interchange) -> list[Problem]:
    """All text is upper case (no lower-case letter anywhere after the ISA)."""
    return [
        _problem(s, "segment has lower-case text") for s in doc.segments if s.raw != s.raw.upper()
    ]


def no_trailing_separators(doc: Interchange) -> list[Problem]:
    """No segment ends with an empty element, component or repetition (``*~``, ``:~``)."""
    seps = doc.separators
    trailing = (seps.element, seps.component, seps.repetition)
    return [
        _problem(s, "segment ends with an empty element or component")
        for s in doc.segments
        if s.id != "ISA" and s.raw.endswith(trailing)
    ]


SECTION_2_CHECKS: tuple[Check, ...] = (
    claim_total_matches_lines,
    npi_check_digits,
    billing_provider_zip,
    employer_id_number,
    diagnosis_codes_without_point,
    version_matches,
    claim_frequency,
    upper_case,
    no_trailing_separators,
)


def run_checks(doc: Interchange) -> list[Problem]:
    return [problem for check in SECTION_2_CHECKS for problem in check(doc)]

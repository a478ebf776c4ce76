"""Section-2 release checks: each refuses a file with exactly its one defect, and accepts the file
without it; the third-party samples go through validate_837p (pyx12 for real) as well."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from claims.profile import parse_profile
from claims.x12 import checks, npi_is_valid, synthetic, validate_837p, write_837p
from claims.x12.model import Problem
from claims.x12.segments import Interchange, parse

ROOT = Path(__file__).parents[2]
# Third-party 837P files (tests/fixtures/SOURCES.md).
SAMPLES = Path(__file__).parents[1] / "fixtures/inbound"
Check = Callable[[Interchange], list[Problem]]


@pytest.fixture(scope="module")
def clean() -> str:
    profile = parse_profile("default", (ROOT / "edi_templates/default.toml").read_text("utf-8"))
    member, billing = synthetic.subscriber(1), synthetic.provider(1)
    lines = (synthetic.line(1, date(2025, 1, 6)), synthetic.line(2, date(2025, 1, 7), bc=True))
    return write_837p(synthetic.batch(profile, (synthetic.claim(1, member, billing, lines),)))


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


DEFECTS: list[tuple[Check, str, str, str, str]] = [
    # (check, text in the clean file, the same with one defect, segment refused, message)
    (checks.claim_total_matches_lines, "*173.68*", "*173.69*", "CLM",
     "CLM02 does not equal the sum of the lines' SV102"),
    (checks.claim_total_matches_lines, "*173.68*", "*173.6A*", "CLM",
     "CLM02 or an SV102 is not a decimal amount"),
    (checks.claim_total_matches_lines, ":YP630*86.84*", ":YP630*86,84*", "CLM",
     "CLM02 or an SV102 is not a decimal amount"),
    (checks.npi_check_digits, "XX*1000000012~", "XX*1000000013~", "NM1",
     "NM1*85 NPI check digit fails"),
    # billing-rules 2: the billing provider is identified by its NPI, never by another id
    (checks.npi_check_digits, "*****XX*1000000012~", "*****24*560000001~", "NM1",
     "NM1*85 billing provider has no NPI (XX)"),
    (checks.billing_provider_zip, "N4*RALEIGH*NC*276010001~", "N4*RALEIGH*NC*27601~", "N4",
     "2010AA N403 ZIP code must have 9 digits"),
    (checks.billing_provider_zip, "N4*RALEIGH*NC*276010001~", "N4*RALEIGH*NC*27601-0001~", "N4",
     "2010AA N403 ZIP code must have 9 digits"),
    (checks.billing_provider_zip, "N4*RALEIGH*NC*276010001~", "N4*RALEIGH*NC*2760100010~", "N4",
     "2010AA N403 ZIP code must have 9 digits"),
    (checks.employer_id_number, "REF*EI*560000001~", "REF*EI*56-0000001~", "REF",
     "REF*EI must be a 9-digit EIN"),
    # nine characters, one a hyphen: still not a 9-digit EIN
    (checks.employer_id_number, "REF*EI*560000001~", "REF*EI*56-000001~", "REF",
     "REF*EI must be a 9-digit EIN"),
    (checks.employer_id_number, "REF*EI*560000001~", "REF*EI*56000001~", "REF",
     "REF*EI must be a 9-digit EIN"),
    (checks.diagnosis_codes_without_point, "HI*ABK:F209*", "HI*ABK:F20.9*", "HI",
     "HI01 code has a decimal point"),
    (checks.diagnosis_codes_without_point, "*ABF:F331*", "*ABF:F33.1*", "HI",
     "HI02 code has a decimal point"),
    (checks.version_matches, "ST*837*0001*005010X222A1~", "ST*837*0001*005010X223A2~", "ST",
     "ST03 does not equal GS08"),
    (checks.claim_frequency, "*99:B:1*Y*A*Y*Y~", "*99:B:2*Y*A*Y*Y~", "CLM",
     "CLM05-3 claim frequency must be 1, 7 or 8"),
    (checks.claim_frequency, "*99:B:1*Y*A*Y*Y~", "*99:B*Y*A*Y*Y~", "CLM",
     "CLM05-3 claim frequency must be 1, 7 or 8"),
    (checks.upper_case, "N3*100 MAIN ST*SUITE 2~", "N3*100 Main St*SUITE 2~", "N3",
     "segment has lower-case text"),
    (checks.no_trailing_separators, "N3*100 MAIN ST*SUITE 2~", "N3*100 MAIN ST*SUITE 2*~", "N3",
     "segment ends with an empty element or component"),
    (checks.no_trailing_separators, "ABF:Z560~", "ABF:Z560:~", "HI",
     "segment ends with an empty element or component"),
    (checks.no_trailing_separators, "9195550100~", "9195550100**~", "PER",
     "segment ends with an empty element or component"),
]  # fmt: skip


@pytest.mark.parametrize(("check", "good", "bad", "segment_id", "message"), DEFECTS)
def test_each_check_refuses_its_one_defect(
    clean: str, check: Check, good: str, bad: str, segment_id: str, message: str
) -> None:
    assert check(parse(clean)) == []
    doc = parse(_replace_once(clean, good, bad))
    problems = check(doc)
    assert [(p.segment_id, p.message) for p in problems] == [(segment_id, message)]
    # the problem names the refused segment by its position and, inside a claim, the claim
    (segment,) = [s for s in doc.segments if s.position == problems[0].position]
    assert segment.id == segment_id
    in_claim = segment_id in ("CLM", "HI")
    assert problems[0].claim_id == ("IP00000000100001" if in_claim else None)


# One defect per check: release validation runs every check (and pyx12) on the file.
FIRST_OF_EACH = list({d[0]: d[:4] for d in reversed(DEFECTS)}.values())


@pytest.mark.parametrize(("check", "good", "bad", "segment_id"), FIRST_OF_EACH)
def test_release_validation_refuses_each_defect(
    clean: str, check: Check, good: str, bad: str, segment_id: str
) -> None:
    report = validate_837p(_replace_once(clean, good, bad))
    assert not report.ok
    expected = check(parse(_replace_once(clean, good, bad)))[0]
    assert expected in report.problems


def test_the_clean_file_passes_release_validation(clean: str) -> None:
    report = validate_837p(clean)
    assert report.ok and report.pyx12_ok and report.problems == ()


def test_problem_messages_do_not_quote_member_data(clean: str) -> None:
    bad = clean.replace("HI*ABK:F209*", "HI*ABK:F20.9*").replace(
        "DMG*D8*19800207*F", "DMG*D8*1980027*F"
    )
    report = validate_837p(bad)
    text = " ".join(p.message for p in report.problems)
    assert not report.ok and "F20.9" not in text and "1980027" not in text
    assert any(p.segment_id == "DMG" and p.message.startswith("pyx12:") for p in report.problems)


def test_npi_helper_uses_the_80840_luhn_prefix() -> None:
    assert npi_is_valid("1234567893")  # the CMS example NPI
    assert not npi_is_valid("1234567890")
    assert not npi_is_valid("123456789")
    assert all(npi_is_valid(synthetic.valid_npi(seed)) for seed in range(50))


def test_not_x12_is_refused_without_crashing() -> None:
    report = validate_837p("hello")
    assert not report.ok and report.problems[0].position == 0


def test_databricks_sample_passes() -> None:
    report = validate_837p((SAMPLES / "837p_databricks_837p.txt").read_text("ascii"))
    assert report.pyx12_ok
    assert report.ok, report.problems


def test_molina_mock_passes_pyx12_but_its_made_up_npis_fail_the_check_digit() -> None:
    # Investigated: pyx12 accepts it; every refusal is an NPI whose Luhn check digit is wrong
    # (e.g. NM1*DN 1234567890, NM1*85 1222222223); its ZIPs, EINs, totals and HI codes pass.
    report = validate_837p((SAMPLES / "837p_databricks_molina_mock.837").read_text("ascii"))
    assert report.pyx12_ok and not report.ok
    assert {p.message.split(" NPI")[0] for p in report.problems} == {
        "NM1*DN", "NM1*82", "NM1*77", "NM1*85"
    }  # fmt: skip
    assert all(p.message.endswith("NPI check digit fails") for p in report.problems)
    assert [p.position for p in report.problems if p.segment_id == "NM1"][:3] == [32, 33, 35]


def _two_claims(same_member: bool) -> str:
    """Two claims of one billing provider: one subscriber's two (one after the other, under one
    HL) or two subscribers' (an HL between them)."""
    profile = parse_profile("default", (ROOT / "edi_templates/default.toml").read_text("utf-8"))
    billing, first = synthetic.provider(1), synthetic.subscriber(1)
    second = first if same_member else synthetic.subscriber(2)
    lines = (synthetic.line(2, date(2025, 2, 3)), synthetic.line(3, date(2025, 2, 4), bc=True))
    claims = (
        synthetic.claim(1, first, billing, (synthetic.line(1, date(2025, 1, 6)),)),
        synthetic.claim(2, second, billing, lines),
    )
    return write_837p(synthetic.batch(profile, claims))


def _replace_last(text: str, old: str, new: str) -> str:
    head, found, tail = text.rpartition(old)
    assert found, old
    return head + new + tail


@pytest.mark.parametrize("same_member", [True, False])
def test_each_claims_total_is_checked_against_its_own_lines(same_member: bool) -> None:
    text = _two_claims(same_member)
    clm_ids = [s.claim_id for s in parse(text).segments if s.id == "CLM"]
    assert len(clm_ids) == 2 and checks.claim_total_matches_lines(parse(text)) == []
    first_line = text.replace("SV1*HC:YP630*86.84*", "SV1*HC:YP630*86.85*", 1)
    assert [p.claim_id for p in checks.claim_total_matches_lines(parse(first_line))] == [clm_ids[0]]
    last_line = _replace_last(text, "*86.84*UN", "*86.83*UN")
    assert [p.claim_id for p in checks.claim_total_matches_lines(parse(last_line))] == [clm_ids[1]]
    frequency = _replace_last(text, "*99:B:1*", "*99:B:5*")
    assert [p.claim_id for p in checks.claim_frequency(parse(frequency))] == [clm_ids[1]]


@pytest.mark.parametrize("code", ["1", "7", "8"])
def test_original_replacement_and_void_frequencies_pass(clean: str, code: str) -> None:
    text = _replace_once(clean, "*99:B:1*", f"*99:B:{code}*")
    assert checks.claim_frequency(parse(text)) == []


def test_an_empty_claim_total_is_not_a_decimal_amount(clean: str) -> None:
    problems = checks.claim_total_matches_lines(parse(_replace_once(clean, "*173.68*", "**")))
    assert [p.message for p in problems] == ["CLM02 or an SV102 is not a decimal amount"]


def test_an_hi_element_without_its_qualifier_is_left_to_pyx12(clean: str) -> None:
    # "F20.9" with no "ABK:" before it is no code the check can read: the check must not fail on
    # it (validation answers, it never crashes), and pyx12 refuses the segment.
    text = _replace_once(clean, "HI*ABK:F209*", "HI*F20.9*")
    assert checks.diagnosis_codes_without_point(parse(text)) == []
    report = validate_837p(text)
    assert not report.ok and not report.pyx12_ok
    assert {p.segment_id for p in report.problems} == {"HI"}


def test_a_trailing_repetition_separator_is_refused(clean: str) -> None:
    text = _replace_once(clean, "N3*100 MAIN ST*SUITE 2~", "N3*100 MAIN ST*SUITE 2^~")
    problems = checks.no_trailing_separators(parse(text))
    assert [(p.segment_id, p.message) for p in problems] == [
        ("N3", "segment ends with an empty element or component")
    ]


def test_run_checks_runs_every_section_2_check(clean: str) -> None:
    assert checks.run_checks(parse(clean)) == []
    for check, good, bad, _, message in DEFECTS:
        found = checks.run_checks(parse(_replace_once(clean, good, bad)))
        assert message in [p.message for p in found], check.__name__

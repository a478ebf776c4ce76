"""The packaged catalog against the seed (NC CORE Milestones and Expectations), and the schemas."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from claims.errors import InvalidInput
from claims.milestones import (
    EVIDENCE_FIELDS,
    EvidenceKind,
    Frequency,
    MilestoneEvidence,
    PayerKind,
    load_catalog,
    parse_catalog,
    validate_fields,
)

# A copy of the seed document (tests/fixtures/SOURCES.md).
SEED = Path(__file__).parents[1] / "fixtures/seeds/004_39365317d0433831.txt"
CATALOG = load_catalog()

# Read from the seed by hand (004 line numbers); the first test holds them to the seed's text.
FROM_SEED = {
    "1": ("2120", "Once", False),  # lines 8, 10
    "2": ("4240", "Once", False),  # lines 20, 21
    "3-A": ("2910", "Multiple", True),  # lines 36, 38
    "3-B": ("3410", "Multiple", True),  # lines 48, 49
    "3-C": ("2160", "Multiple", True),  # lines 54, 56
    "4": ("4240", "Multiple", True),  # lines 61, 63
    "5-A": ("2120", "Multiple", True),  # lines 68, 69
    "5-B": ("2120", "Multiple", True),  # lines 74, 76
    "5-C": ("2120", "Multiple", True),  # lines 81, 83
    "6": ("1590", "Monthly", False),  # lines 88, 90
    "7": ("743", "Three times", False),  # lines 95, 97
    "8": ("1060", "Three times", False),  # lines 102, 104
    "9": ("1590", "Once", False),  # lines 109, 111
}
HEADING = re.compile(r"Milestone (\d(?:-[ABC])?)(?: \(Optional\))?:")
FREQUENCY = re.compile(r"\b(Once|Multiple|Monthly|Three times)\b")


def _seed_blocks() -> dict[str, str]:
    text = SEED.read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    ends = [h.start() for h in heads[1:]] + [len(text)]
    return {h.group(1): text[h.start() : end] for h, end in zip(heads, ends, strict=True)}


def _seed_row(block: str) -> tuple[str, str, bool]:
    rate = re.search(r"\$([\d,]+)", block)
    frequencies = FREQUENCY.findall(block)
    assert rate and frequencies
    return rate.group(1).replace(",", ""), frequencies[-1], "[EIPD Milestone]" in block


def test_hand_read_table_is_the_seed_table() -> None:
    blocks = _seed_blocks()
    assert sorted(blocks) == sorted(FROM_SEED)
    assert {k: _seed_row(v) for k, v in blocks.items()} == FROM_SEED


SEED_FREQUENCY = {
    "Once": {Frequency.ONCE},
    "Multiple": {Frequency.REPEATABLE_WITH_APPROVAL_AFTER, Frequency.ONCE_PER_JOB},
    "Monthly": {Frequency.MONTHLY},
    "Three times": {Frequency.AT_MOST},
}


@pytest.mark.parametrize("milestone", sorted(FROM_SEED))
def test_catalog_matches_seed(milestone: str) -> None:
    rate, frequency, eipd = FROM_SEED[milestone]
    m = CATALOG.get(milestone)
    assert m.amount == Decimal(rate)
    assert str(m.amount) == f"{rate}.00"
    assert m.payer_kind is (PayerKind.EIPD if eipd else PayerKind.LME_MCO)
    assert m.frequency in SEED_FREQUENCY[frequency]
    if frequency == "Three times":
        assert m.limit == 3


def test_thresholds_match_seed_text() -> None:
    blocks = _seed_blocks()
    t = {m.id: m.thresholds for m in CATALOG.milestones}
    assert f"Submission of {t['3-A'].applications} applications" in blocks["3-A"]
    assert f"{t['3-B'].employer_contacts} face to face contacts" in blocks["3-B"]
    assert f"{t['3-C'].contact_days} individual face-to-face contacts" in blocks["3-C"]
    for mid in ("5-A", "5-B", "5-C"):
        assert f"{t[mid].days_after_recovery} days post the date" in blocks[mid]
        assert f"minimum of {t[mid].contacts_in_window} face-to-face" in blocks[mid]
    # 3-A and 3-B: consult "after earning this milestone twice" (lines 38, 48).
    for mid in ("3-A", "3-B"):
        assert "twice" in blocks[mid] and CATALOG.get(mid).limit == 2


def test_section_lists() -> None:
    initial = CATALOG.get("1").thresholds.sections or ()
    complete = CATALOG.get("2").thresholds.sections or ()
    assert len(initial) == 6 and len(complete) == 18
    assert set(initial) <= set(complete)
    assert CATALOG.get("2").requires == ("1",)


def test_catalog_refuses_float_amounts_and_missing_thresholds() -> None:
    good = Path(__file__).parents[2].joinpath("claims/data/milestones.toml").read_text()
    assert parse_catalog(good) == CATALOG
    with pytest.raises(ValidationError, match="amount must be a string"):
        parse_catalog(good.replace('amount = "743.00"', "amount = 743.0"))
    with pytest.raises(ValidationError, match="thresholds missing: applications"):
        parse_catalog(good.replace("applications = 15", ""))
    with pytest.raises(ValidationError, match="exactly once"):
        parse_catalog(good[: good.rindex("[[milestone]]")])  # milestone 9 left out


def test_job_search_and_employer_networking_keep_their_one_frequency() -> None:
    """3-A and 3-B are earned twice, then with approval: search_rules implements that alone,
    so a catalog that gives either another frequency (and so no limit) is refused."""
    good = Path(__file__).parents[2].joinpath("claims/data/milestones.toml").read_text()
    for mid in ("3-A", "3-B"):
        start = good.index(f'id = "{mid}"')
        block = good[start : good.index("[milestone.thresholds]", start)]
        changed = block.replace('"repeatable_with_approval_after"', '"once"')
        changed = changed.replace("limit = 2\n", "")
        with pytest.raises(ValidationError, match=f"milestone {mid}: its rule is repeatable"):
            parse_catalog(good.replace(block, changed))


# --- evidence field schemas --------------------------------------------------------------------


def test_every_kind_has_a_schema() -> None:
    assert set(EVIDENCE_FIELDS) == set(EvidenceKind)


def test_stored_kind_strings_become_kinds() -> None:
    row = MilestoneEvidence("E-1", "M-1", "P-1", "job_end", date(2026, 1, 5))  # type: ignore[arg-type]
    assert row.kind is EvidenceKind.JOB_END
    with pytest.raises(ValueError):
        MilestoneEvidence("E-2", "M-1", "P-1", "rumour", date(2026, 1, 5))  # type: ignore[arg-type]


def test_valid_fields_pass() -> None:
    fields = validate_fields(
        EvidenceKind.JOB_START,
        {"employer": "Acme", "position": "Clerk", "hours_per_week": 20, "hourly_wage": "15.50"},
    )
    assert fields["hourly_wage"] == "15.50"  # JSON-ready for the evidence row
    assert validate_fields(EvidenceKind.CAREER_PROFILE_SECTION, {"section": "benefits"}) == {
        "section": "benefits"
    }
    assert validate_fields(EvidenceKind.APPROVAL, {"milestone": "3-B"}) == {"milestone": "3-B"}


@pytest.mark.parametrize(
    ("kind", "fields", "bad"),
    [
        (EvidenceKind.CAREER_PROFILE_SECTION, {"section": "hobbies"}, "section"),
        (EvidenceKind.EMPLOYER_CONTACT, {"employer": "X", "contact_name": "Y"}, "face_to_face"),
        (EvidenceKind.CAREER_ADVANCEMENT, {"type": "raise"}, "type"),
        (EvidenceKind.EDUCATION_REPORT, {"document": "diploma_photo"}, "document"),
        (EvidenceKind.APPROVAL, {"milestone": "3-C"}, "milestone"),
        (EvidenceKind.CAREER_PROFILE_SIGNED, {"diagnosis": "F20.9"}, "diagnosis"),
    ],
)
def test_bad_fields_are_named_not_echoed(
    kind: EvidenceKind, fields: dict[str, object], bad: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_fields(kind, fields)
    assert [loc for loc, _ in caught.value.errors] == [("fields", bad)]
    for value in fields.values():
        assert str(value) not in str(caught.value) + repr(caught.value.errors)


@pytest.mark.parametrize(
    ("kind", "field", "allowed"),
    [
        (EvidenceKind.CAREER_PROFILE_SECTION, "section", CATALOG.get("2").thresholds.sections),
        (EvidenceKind.CAREER_ADVANCEMENT, "type", CATALOG.get("7").thresholds.advancement_types),
        (EvidenceKind.EDUCATION_REPORT, "document", CATALOG.get("8").thresholds.documents),
        (EvidenceKind.APPROVAL, "milestone", ("3-A", "3-B")),
    ],
)
def test_a_value_outside_a_list_is_told_the_list(
    kind: EvidenceKind, field: str, allowed: tuple[str, ...] | None
) -> None:
    # The catalog's lists are what the caller may send: the error names every allowed value.
    assert allowed
    with pytest.raises(InvalidInput) as caught:
        validate_fields(kind, {field: "unheard-of"})
    ((location, message),) = caught.value.errors
    assert location == ("fields", field)
    assert message == f"Value error, must be one of: {', '.join(allowed)}"


def test_a_milestone_the_catalog_does_not_list_is_named_in_the_error() -> None:
    assert CATALOG.get("3-C").id == "3-C"
    with pytest.raises(KeyError) as caught:
        CATALOG.get("3-D")
    assert caught.value.args == ("3-D",)


def test_a_field_that_is_not_text_reads_as_no_text() -> None:
    # The rules read a field as text (a section, a document, an employer) or as a flag; a value of
    # another type is read as absent, never used as text.
    fields = {"employer": 7, "contact_name": "HR", "face_to_face": True}
    entry = MilestoneEvidence("E-3", "M-1", "P-1", EvidenceKind.EMPLOYER_CONTACT, date(2026, 1, 5),
                              fields)  # fmt: skip
    assert entry.text("employer") is None and entry.text("contact_name") == "HR"
    assert entry.text("face_to_face") is None and entry.flag("face_to_face")


def test_evidence_fields_are_a_read_only_copy() -> None:
    # A record's fields never change after it is made: not through it, not through the caller's
    # mapping (the rules and the audit trail read the fields as they were recorded).
    raw: dict[str, str | bool | int | Decimal | None] = {"section": "benefits"}
    section = MilestoneEvidence("E-4", "M-1", "P-1", EvidenceKind.CAREER_PROFILE_SECTION,
                                date(2026, 1, 5), raw)  # fmt: skip
    raw["section"] = "finding_work"
    assert section.text("section") == "benefits"
    with pytest.raises(TypeError):
        section.fields["section"] = "finding_work"  # type: ignore[index]

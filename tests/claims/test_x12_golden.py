"""Golden files: a fixed batch must produce these exact bytes (reviewed by eye, then frozen).

To change the format on purpose, regenerate with ``python tests/claims/test_x12_golden.py``,
review the diff line by line, and commit it with the reason.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from claims.profile import PayerProfile, for_payer, parse_profile
from claims.x12 import synthetic, validate_837p, write_837p
from claims.x12.model import BatchInput, ClaimInput

ROOT = Path(__file__).parents[2]
GOLDEN = ROOT / "tests" / "golden"
PROFILES = ("default", "mco_medicaid_prod")


def fixed_claims() -> tuple[ClaimInput, ...]:
    first, second = synthetic.subscriber(1), synthetic.subscriber(2)
    billing, other = synthetic.provider(1), synthetic.provider(2)
    jan = (
        synthetic.line(1, date(2025, 1, 6), 4),
        synthetic.line(2, date(2025, 1, 6), 2, bc=True),
        synthetic.line(3, date(2025, 1, 20), 7),
    )
    return (
        synthetic.claim(1, first, billing, jan),
        synthetic.claim(2, first, billing, (synthetic.line(4, date(2025, 2, 3), 1),)),
        synthetic.claim(3, second, billing, (synthetic.line(5, date(2025, 1, 9), 3),), "7"),
        synthetic.claim(4, second, other, (synthetic.line(6, date(2025, 1, 10), 5),), "8"),
    )


# The payer records the golden files are written for: NM1*PR and NM1*40 come from them (the
# default profile's payer names all four; the Medicaid one leaves the receiver to its profile).
PAYERS = {
    "default": ("Vaya Health", "VAYA01", "VAYAEDI", "Vaya Health EDI Gateway"),
    "mco_medicaid_prod": ("Trillium Health Resources", "TRLM02", None, None),
}


def fixed_profile(profile_name: str) -> PayerProfile:
    text = (ROOT / "edi_templates" / f"{profile_name}.toml").read_text("utf-8")
    return for_payer(parse_profile(profile_name, text), *PAYERS[profile_name])


def fixed_batch(profile_name: str) -> BatchInput:
    return synthetic.batch(fixed_profile(profile_name), fixed_claims(), isa=1234)


@pytest.mark.parametrize("profile_name", PROFILES)
def test_output_equals_the_golden_file_byte_for_byte(profile_name: str) -> None:
    expected = (GOLDEN / f"{profile_name}.837").read_bytes()
    assert write_837p(fixed_batch(profile_name)).encode("ascii") == expected


@pytest.mark.parametrize("profile_name", PROFILES)
def test_golden_file_passes_the_release_checks(profile_name: str) -> None:
    report = validate_837p((GOLDEN / f"{profile_name}.837").read_text("ascii"))
    assert report.ok, report.problems


def _segment(profile_name: str, head: str) -> list[str]:
    text = (GOLDEN / f"{profile_name}.837").read_text("ascii")
    element = text[3]
    found = [seg.strip() for seg in text.split("~") if seg.strip().startswith(head + element)]
    assert len(found) >= 1, head
    return found[0].split(element)


def test_golden_nm1_pr_name_is_the_payer_records_name() -> None:
    assert _segment("default", "NM1*PR")[3] == "VAYA HEALTH"
    assert _segment("mco_medicaid_prod", "NM1*PR")[3] == "TRILLIUM HEALTH RESOURCES"


def test_golden_nm1_pr_id_is_the_payer_records_edi_payer_id() -> None:
    assert _segment("default", "NM1*PR")[9] == "VAYA01"
    assert _segment("mco_medicaid_prod", "NM1*PR")[9] == "TRLM02"


def test_golden_nm1_40_id_is_the_payer_records_receiver_else_the_profiles() -> None:
    assert _segment("default", "NM1*40")[9] == "VAYAEDI"
    assert _segment("mco_medicaid_prod", "NM1*40")[9] == "566543210"  # profile's receiver_id


def test_golden_nm1_40_name_is_the_payer_records_receiver_name_else_the_profiles() -> None:
    assert _segment("default", "NM1*40")[3] == "VAYA HEALTH EDI GATEWAY"
    assert _segment("mco_medicaid_prod", "NM1*40")[3] == "EXAMPLE LME-MCO MEDICAID"


def test_a_payer_record_that_names_nothing_keeps_the_profiles_ids() -> None:
    text = (ROOT / "edi_templates" / "default.toml").read_text("utf-8")
    profile = parse_profile("default", text)
    ic = for_payer(profile, "Sandhills Center").interchange
    assert ic.payer_name == "Sandhills Center"
    assert (ic.payer_id, ic.receiver_id, ic.receiver_name) == ("NCLMEMCO", "NCLMEMCO", "NC LME-MCO")


if __name__ == "__main__":  # regenerate on purpose only
    for name in sys.argv[1:] or PROFILES:
        (GOLDEN / f"{name}.837").write_bytes(write_837p(fixed_batch(name)).encode("ascii"))

"""Golden files: a fixed batch must produce these exact bytes (reviewed by eye, then frozen).

To change the format on purpose, regenerate with ``python tests/claims/test_x12_golden.py``,
review the diff line by line, and commit it with the reason.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from claims.profile import parse_profile
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


def fixed_batch(profile_name: str) -> BatchInput:
    text = (ROOT / "edi_templates" / f"{profile_name}.toml").read_text("utf-8")
    return synthetic.batch(parse_profile(profile_name, text), fixed_claims(), isa=1234)


@pytest.mark.parametrize("profile_name", PROFILES)
def test_output_equals_the_golden_file_byte_for_byte(profile_name: str) -> None:
    expected = (GOLDEN / f"{profile_name}.837").read_bytes()
    assert write_837p(fixed_batch(profile_name)).encode("ascii") == expected


@pytest.mark.parametrize("profile_name", PROFILES)
def test_golden_file_passes_the_release_checks(profile_name: str) -> None:
    report = validate_837p((GOLDEN / f"{profile_name}.837").read_text("ascii"))
    assert report.ok, report.problems


if __name__ == "__main__":  # regenerate on purpose only
    for name in sys.argv[1:] or PROFILES:
        (GOLDEN / f"{name}.837").write_bytes(write_837p(fixed_batch(name)).encode("ascii"))

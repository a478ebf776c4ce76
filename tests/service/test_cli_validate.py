"""``ipsbill validate FILE`` says the kind first, then checks a 999, 277CA or 835 as the service
reads it and with pyx12's map for its guide; every refusal says what and where."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "inbound"


def validate(path: Path, tmp_path: Path) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "validate", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout.splitlines()


def test_each_kind_is_named_first(tmp_path: Path) -> None:
    for name, kind in (
        ("835_hdi_denial.835", "835"),
        ("277ca_imsweb_rejected.277", "277CA"),
        ("999_imsweb_accepted.999", "999"),
        ("999_stupidedi_x231a1_three_837s.999", "999"),  # behind a byte-order mark
    ):
        _, lines = validate(FIXTURES / name, tmp_path)
        assert lines[0] == f"kind: {kind}", name
    code, lines = validate(ROOT / "tests" / "golden" / "default.837", tmp_path)
    assert (code, lines[0], lines[-1]) == (
        0,
        "kind: 837P",
        "OK: passes pyx12 005010X222A1 and the release checks",
    )


def test_a_clean_835_passes_pyx12_005010x221a1(tmp_path: Path) -> None:
    code, lines = validate(FIXTURES / "835_emedny_sample.835", tmp_path)
    assert code == 0
    assert lines[-1] == "OK: 835 passes the inbound reading and pyx12 005010X221A1"


def test_pyx12_findings_on_a_277ca_say_what_and_where(tmp_path: Path) -> None:
    code, lines = validate(FIXTURES / "277ca_hdi_receiver_rejected.277", tmp_path)
    assert code == 1
    assert (
        lines[1]
        == 'segment #18: Mandatory loop "Billing Provider of Service Level" (2000C) missing'
    )
    assert lines[-1] == "REFUSED: 1 problem(s)"


def test_a_999_finding_is_placed_in_the_file_with_its_ta1(tmp_path: Path) -> None:
    code, lines = validate(FIXTURES / "999_imsweb_with_ta1.999", tmp_path)
    assert code == 1 and lines[0] == "kind: 999"
    assert lines[1].startswith("segment #6: AK202: ")  # the AK2 is the file's 6th segment


def test_a_broken_835_is_refused_with_the_element_and_segment(tmp_path: Path) -> None:
    text = (
        (FIXTURES / "835_hdi_denial.835")
        .read_text("ascii")
        .replace("CAS*OA*252*150", "CAS*OA*252*X")
    )
    broken = tmp_path / "broken.835"
    broken.write_text(text)
    code, lines = validate(broken, tmp_path)
    assert code == 1 and lines[0] == "kind: 835"
    assert lines[1] == "file: CAS03 at segment 27 is not an amount"

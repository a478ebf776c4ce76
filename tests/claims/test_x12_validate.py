"""Chunked, parallel pyx12 validation must find what whole-file validation finds, in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from claims.profile import parse_profile
from claims.x12 import synthetic, validate_837p, write_837p
from claims.x12.chunks import plan_chunks
from claims.x12.segments import parse
from claims.x12.validate import pyx12_validate

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def text() -> str:
    profile = parse_profile("default", (ROOT / "edi_templates/default.toml").read_text("utf-8"))
    profile = profile.model_copy(
        update={"limits": profile.limits.model_copy(update={"claims_per_transaction": 7})}
    )
    return write_837p(synthetic.batch(profile, synthetic.bulk_claims(12, 2, members=4)))


def test_chunks_are_whole_interchanges_that_pyx12_accepts(text: str) -> None:
    chunks = plan_chunks(parse(text), 3)
    assert len(chunks) >= 4
    assert sum(c.text.count("~\nCLM*") for c in chunks) == 12
    for chunk in chunks:
        assert pyx12_validate(chunk.text)[0]
        assert sorted(chunk.positions) == list(chunk.positions)  # original order kept


def test_small_file_is_not_chunked(text: str) -> None:
    assert plan_chunks(parse(text), 12) == []


def test_chunked_validation_locates_a_pyx12_error_like_whole_file_validation(text: str) -> None:
    target = "DMG*D8*19800315*M~"  # member 2's DMG, written once per subscriber HL
    cut = text.index(target, text.index(target) + 1)  # the second occurrence only
    bad = text[:cut] + "DMG*D8*19800315*Q~" + text[cut + len(target) :]
    whole = validate_837p(bad, chunk_claims=10**6)
    chunked = validate_837p(bad, workers=2, chunk_claims=3)
    assert not whole.ok and not chunked.ok and not chunked.pyx12_ok
    assert whole.problems == chunked.problems
    (problem,) = chunked.problems
    assert problem.segment_id == "DMG" and problem.position == bad[:cut].count("~") + 1
    assert validate_837p(text, workers=2, chunk_claims=3).ok


def test_original_counts_and_hl_tree_are_checked_even_when_chunks_recompute_them(text: str) -> None:
    se = text[text.index("\nSE*") + 1 :].split("~")[0]
    wrong_count = text.replace(se, "SE*999*" + se.split("*")[2], 1)
    report = validate_837p(wrong_count, workers=2, chunk_claims=3)
    assert not report.ok
    assert any(p.segment_id == "SE" and "SE01" in p.message for p in report.problems)
    wrong_parent = text.replace("HL*3*1*22*0~", "HL*3*2*22*0~", 1)
    report = validate_837p(wrong_parent, workers=2, chunk_claims=3)
    assert any(p.segment_id == "HL" and "HL02" in p.message for p in report.problems)

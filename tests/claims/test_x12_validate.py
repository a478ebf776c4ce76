"""Chunked pyx12 validation, here and on the service's process pool (``service.validation``),
must find what whole-file validation finds, in place."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from pyx12_state import unpatched_pyx12

from claims.profile import parse_profile
from claims.x12 import pyx12_fast, synthetic, validate, validate_837p, write_837p
from claims.x12.build import ProviderBlock, hl_tree
from claims.x12.chunks import plan_chunks
from claims.x12.segments import parse
from claims.x12.stream import StreamValidator
from claims.x12.validate import pyx12_validate
from claims.x12.writer import StreamWriter, envelope_of
from service import validation

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
    chunked = validation.validate_837p(bad, workers=2, chunk_claims=3)
    assert not whole.ok and not chunked.ok and not chunked.pyx12_ok
    assert whole.problems == chunked.problems
    assert validate_837p(bad, chunk_claims=3) == chunked  # the chunks run here, one by one
    (problem,) = chunked.problems
    assert problem.segment_id == "DMG" and problem.position == bad[:cut].count("~") + 1
    assert validation.validate_837p(text, workers=2, chunk_claims=3).ok


def test_original_counts_and_hl_tree_are_checked_even_when_chunks_recompute_them(text: str) -> None:
    se = text[text.index("\nSE*") + 1 :].split("~")[0]
    wrong_count = text.replace(se, "SE*999*" + se.split("*")[2], 1)
    report = validation.validate_837p(wrong_count, workers=2, chunk_claims=3)
    assert not report.ok
    assert any(p.segment_id == "SE" and "SE01" in p.message for p in report.problems)
    wrong_parent = text.replace("HL*3*1*22*0~", "HL*3*2*22*0~", 1)
    report = validation.validate_837p(wrong_parent, workers=2, chunk_claims=3)
    assert any(p.segment_id == "HL" and "HL02" in p.message for p in report.problems)


# --- pyx12_fast: the patched pyx12 must say exactly what pyx12 says ---------------------------

DEFECTS = {  # one defect each, every one rejected by pyx12
    "invalid sex code": ("DMG*D8*19800315*M~", "DMG*D8*19800315*Q~"),
    "impossible service date": ("DTP*472*D8*20250101~", "DTP*472*D8*20251399~"),
    "claim id too long": ("CLM*IP", "CLM*" + "X" * 40 + "IP"),
    "unknown segment": ("LX*2~", "FOO*1~\nLX*2~"),
    "too many elements": ("LX*2~", "LX*2*9~"),
    "missing mandatory segment": ("N4*DURHAM*NC*27701~\n", ""),
    "segment repeated beyond max use": ("DMG*D8*19800315*M~", "DMG*D8*19800315*M~\nDMG*D8*1~"),
    "wrong HL level code": ("HL*3*1*22*0~", "HL*3*1*23*0~"),
    "composite where an element belongs": ("LX*2~", "LX*2:1~"),
}


def _pyx12_everything(text: str) -> tuple[object, ...]:
    """pyx12's verdict, JSON error report and 999 (its clock-dependent envelope left out)."""
    import pyx12.params
    import pyx12.x12n_document

    report, ack = io.StringIO(), io.StringIO()
    try:
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), ack, None, fd_json=report
        )
    except Exception as exc:  # noqa: BLE001 - the exception itself is compared
        return ("raised", type(exc).__name__, str(exc))
    envelope = ("ISA", "GS", "GE", "IEA")
    body = [s for s in ack.getvalue().split("~") if not s.strip().startswith(envelope)]
    return ok, report.getvalue(), body


def _defective_files(text: str) -> list[str]:
    files = []
    for old, new in DEFECTS.values():
        assert old in text
        files.append(text.replace(old, new, 1))
    rng = random.Random(837)
    segments = text.split("~\n")
    for _ in range(12):  # plus random damage: deletions, duplicates, swaps, emptied elements
        damaged = list(segments)
        i, j = rng.randrange(2, len(damaged) - 3), rng.randrange(2, len(damaged) - 3)
        kind = rng.randrange(4)
        if kind == 0:
            del damaged[i]
        elif kind == 1:
            damaged.insert(i, damaged[i])
        elif kind == 2:
            damaged[i], damaged[j] = damaged[j], damaged[i]
        else:
            parts = damaged[i].split("*")
            parts[rng.randrange(1, len(parts))] = ""
            damaged[i] = "*".join(parts)
        files.append("~\n".join(damaged))
    return files


@pytest.mark.slow
def test_pyx12_fast_gives_pyx12s_verdicts_reports_and_999s(text: str) -> None:
    files = [text, *_defective_files(text)]
    with unpatched_pyx12():
        plain = [_pyx12_everything(f) for f in files]
    pyx12_fast.restore()
    pyx12_fast.apply()  # nothing memoised yet
    cold = [_pyx12_everything(f) for f in files]
    warm = [_pyx12_everything(f) for f in files]  # memoised values and segments reused
    assert plain[0][0] is True
    assert all(result[0] is not True for result in plain[1 : 1 + len(DEFECTS)])
    assert cold == plain
    assert warm == plain
    with unpatched_pyx12():
        assert _pyx12_everything(text) == plain[0]  # restore() gives pyx12 back unchanged


def test_worker_locates_errors_of_a_rejected_chunk_like_the_detailed_run(text: str) -> None:
    bad = text.replace(*DEFECTS["impossible service date"])
    assert validate.validate_chunk(text) == (True, [])
    in_worker = validate.validate_chunk(bad)
    with unpatched_pyx12():
        assert in_worker == validate.pyx12_validate(bad)
    assert not in_worker[0] and any(segment == "DTP" for _, segment, _ in in_worker[1])


def test_the_pool_is_kept_between_batches(text: str) -> None:
    assert validation.validate_837p(text, workers=2, chunk_claims=3).ok
    pool = validation.pool(2)
    assert validation.validate_837p(text, workers=2, chunk_claims=3).ok
    assert validation.pool(2) is pool


# --- the file written and validated in pieces (the service's batches) ---------------------------


def _fed_in_pieces(text: str, seed: int, pooled: bool = True) -> validate.ValidationReport:
    rng = random.Random(seed)
    validator = (
        validation.StreamValidator(2, chunk_claims=3) if pooled else StreamValidator(None, 3)
    )
    start = 0
    while start < len(text):  # arbitrary cuts: mid-segment, mid-ISA, one character
        size = rng.choice((1, 7, 105, 400, 2000))
        validator.feed(text[start : start + size])
        start += size
    return validator.finish()


@pytest.mark.slow  # a pyx12 process pool
def test_streamed_validation_says_what_whole_file_validation_says(text: str) -> None:
    for seed, candidate in enumerate([text, *_defective_files(text)]):
        whole = validation.validate_837p(candidate, workers=2, chunk_claims=3)
        streamed = _fed_in_pieces(candidate, seed)
        assert (streamed.ok, streamed.pyx12_ok) == (whole.ok, whole.pyx12_ok)
        assert streamed.problems == whole.problems
        if seed < 3:  # the core alone, its chunks run here
            assert _fed_in_pieces(candidate, seed, pooled=False) == streamed


def test_streamed_validation_refuses_what_is_not_one_interchange(text: str) -> None:
    assert not _fed_in_pieces("hello", 1).ok
    twice = _fed_in_pieces(text + text, 2)
    assert not twice.ok and any("one ISA" in p.message for p in twice.problems)


def test_the_stream_writer_writes_write_837ps_bytes(text: str) -> None:
    profile = parse_profile("default", (ROOT / "edi_templates/default.toml").read_text("utf-8"))
    batch = synthetic.batch(profile, synthetic.bulk_claims(12, 2, members=4))
    writer = StreamWriter(profile)
    parts = [writer.open(envelope_of(batch)), writer.begin_transaction(1)]
    for block in hl_tree(batch.claims, profile.limits):
        for subscriber in block.subscribers:  # one subscriber loop per piece
            parts.append(writer.provider_block(ProviderBlock(block.provider, (subscriber,))))
    parts += [writer.end_transaction(), writer.close()]
    assert "".join(parts) == write_837p(batch)


def test_a_patch_whose_target_is_gone_stops_pyx12_fast_before_it_changes_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pyx12.nodeCounter import NodeCounter

    gone = (NodeCounter, "renamed_in_a_later_pyx12", lambda self: None)
    monkeypatch.setattr(pyx12_fast, "PATCHES", (*pyx12_fast.PATCHES, gone))
    with unpatched_pyx12():
        with pytest.raises(RuntimeError, match=r"NodeCounter\.renamed_in_a_later_pyx12"):
            pyx12_fast.apply()
        assert not pyx12_fast.is_applied()
        assert "renamed_in_a_later_pyx12" not in vars(NodeCounter)  # no attribute added silently
        monkeypatch.undo()  # the real PATCHES again before the block applies them

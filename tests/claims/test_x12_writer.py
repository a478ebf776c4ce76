"""The 837P writer: generated files validated by the real pyx12 (no mock), plus properties."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from claims.errors import InvalidInput
from claims.profile import PayerProfile, parse_profile
from claims.x12 import synthetic, validate_837p, write_837p
from claims.x12.model import ClaimInput, ClaimLineInput
from claims.x12.validate import pyx12_validate

TEMPLATES = Path(__file__).parents[2] / "edi_templates"
DAY = date(2025, 1, 6)


def profile(name: str = "default", **limits: int) -> PayerProfile:
    loaded = parse_profile(name, (TEMPLATES / f"{name}.toml").read_text(encoding="utf-8"))
    return loaded.model_copy(update={"limits": loaded.limits.model_copy(update=limits)})


def segments(text: str) -> list[list[str]]:
    return [raw.strip().split("*") for raw in text.split("~") if raw.strip()]


def assert_valid(text: str) -> None:
    ok, problems = pyx12_validate(text)
    assert ok, problems
    report = validate_837p(text)
    assert report.ok, report.problems


def one_claim(sequence: int = 1, lines: int = 1, frequency: str = "1") -> ClaimInput:
    day_lines = tuple(synthetic.line(sequence * 100 + i, DAY + timedelta(i)) for i in range(lines))
    return synthetic.claim(
        sequence,
        synthetic.subscriber(1),
        synthetic.provider(1),
        day_lines,
        frequency,  # type: ignore[arg-type]
    )


def test_one_claim_passes_pyx12_and_the_checks() -> None:
    text = write_837p(synthetic.batch(profile(), (one_claim(),)))
    assert_valid(text)
    ids = [s[0] for s in segments(text)]
    assert ids.count("CLM") == 1 and ids.count("LX") == 1 and ids[-3:] == ["SE", "GE", "IEA"]


def test_many_members_and_months_with_bc_lines() -> None:
    claims = synthetic.bulk_claims(12, 6, members=4)  # every 5th line carries the BC modifier
    text = write_837p(synthetic.batch(profile(), claims))
    assert_valid(text)
    assert "SV1*HC:YP630:BC*" in text
    pairs = {(c.subscriber.member_id, c.provider.provider_id) for c in claims}
    assert sum(s[0] == "HL" and s[3] == "22" for s in segments(text)) == len(pairs)
    months = {s[3][:6] for s in segments(text) if s[0] == "DTP"}
    assert len(months) >= 2


def test_claim_split_at_fifty_lines_and_hundred_claims_per_hl() -> None:
    # 101 one-line claims of one member, then 2 claims of 50 lines: 2 subscriber HLs, 103 claims.
    claims = tuple(one_claim(i) for i in range(1, 102)) + (one_claim(200, 50), one_claim(201, 50))
    text = write_837p(synthetic.batch(profile(), claims))
    assert_valid(text)
    hls = [s for s in segments(text) if s[0] == "HL"]
    assert [h[3] for h in hls] == ["20", "22", "22"]
    with pytest.raises(InvalidInput):
        write_837p(synthetic.batch(profile(), (one_claim(300, 51),)))


def test_replacement_and_void_carry_ref_f8() -> None:
    claims = (one_claim(1), one_claim(2, 2, "7"), one_claim(3, 1, "8"))
    text = write_837p(synthetic.batch(profile(), claims))
    assert_valid(text)
    segs = segments(text)
    clms = [(i, s) for i, s in enumerate(segs) if s[0] == "CLM"]
    assert [s[5].split(":")[2] for _, s in clms] == ["1", "7", "8"]
    assert segs[clms[1][0] + 1] == ["REF", "F8", "F80000000002"]
    assert segs[clms[2][0] + 1] == ["REF", "F8", "F80000000003"]
    assert segs[clms[0][0] + 1][0] == "HI"


def test_more_than_one_transaction_set_in_one_group() -> None:
    prof = profile(claims_per_transaction=2)
    claims = synthetic.bulk_claims(5, 2, members=3)
    text = write_837p(synthetic.batch(prof, claims))
    assert_valid(text)
    segs = segments(text)
    assert [s[2] for s in segs if s[0] == "ST"] == ["0001", "0002", "0003"]
    assert next(s for s in segs if s[0] == "GE")[1] == "3"


def test_second_profile_production_medicaid_envelope() -> None:
    prof = profile("mco_medicaid_prod")
    text = write_837p(synthetic.batch(prof, (one_claim(), one_claim(2, 3, "7"))))
    assert_valid(text)
    isa = text[:106]
    assert isa[3] == "*" and isa[104] == ">" and isa[105] == "~" and "\n" not in text
    assert isa.split("*")[5:7] == ["30", "561234567      "] and isa.split("*")[15] == "P"
    assert "SBR*P*18*******MC~" in text and "SV1*HC>YP630*" in text


def test_isa_is_fixed_width_and_counts_are_computed() -> None:
    text = write_837p(synthetic.batch(profile(), synthetic.bulk_claims(3, 2, members=2), isa=42))
    isa = text.split("~")[0]
    assert len(isa) + 1 == 106 and isa.split("*")[13] == "000000042"
    segs = segments(text)
    st, se = segs.index(next(s for s in segs if s[0] == "ST")), len(segs) - 3
    assert segs[se] == ["SE", str(se - st + 1), "0001"]
    assert segs[-1] == ["IEA", "1", "000000042"]


def test_same_input_gives_the_same_bytes() -> None:
    batch = synthetic.batch(profile(), synthetic.bulk_claims(20, 3, members=5))
    assert write_837p(batch) == write_837p(replace(batch, claims=tuple(batch.claims)))


def test_text_is_upper_ascii_and_separators_in_names_are_blanked() -> None:
    member = replace(synthetic.subscriber(1), last_name="O'Núñez*Smith~", first_name="zoë")
    claim = replace(one_claim(), subscriber=member)
    text = write_837p(synthetic.batch(profile(), (claim,)))
    assert "NM1*IL*1*O'NUNEZ SMITH*ZOE****MI*" in text
    assert_valid(text)


def test_money_is_written_without_superfluous_zeros() -> None:
    lines = (
        ClaimLineInput("LA", DAY, 1, Decimal("6.50")),
        ClaimLineInput("LB", DAY + timedelta(1), 2, Decimal("140.00")),
        ClaimLineInput("LC", DAY + timedelta(2), 3, Decimal("0.25")),
    )
    claim = replace(one_claim(), lines=lines)
    text = write_837p(synthetic.batch(profile(), (claim,)))
    assert [s[2] for s in segments(text) if s[0] == "SV1"] == ["6.5", "140", "0.25"]
    assert next(s for s in segments(text) if s[0] == "CLM")[2] == "146.75"


def _no_f8(c: ClaimInput) -> ClaimInput:
    return replace(c, frequency="7", payer_claim_number=None)


def _long_id(c: ClaimInput) -> ClaimInput:
    return replace(c, claim_id="X" * 21)


def _no_diagnosis(c: ClaimInput) -> ClaimInput:
    return replace(c, subscriber=replace(c.subscriber, diagnoses=()))


def _separator_in_line_id(c: ClaimInput) -> ClaimInput:
    return replace(c, lines=(replace(c.lines[0], line_id="L1*2"),))


def _no_lines(c: ClaimInput) -> ClaimInput:
    return replace(c, lines=())


@pytest.mark.parametrize(
    ("change", "where"),
    [(_no_f8, "REF*F8"), (_long_id, "CLM01"), (_no_diagnosis, "HI"),
     (_separator_in_line_id, "separator"), (_no_lines, "lines")],
)  # fmt: skip
def test_writer_refuses_what_it_cannot_write(
    change: Callable[[ClaimInput], ClaimInput], where: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        write_837p(synthetic.batch(profile(), (change(one_claim()),)))
    message = str(caught.value).upper()
    assert where.upper() in message
    assert "TESTPERSON" not in message and "F209" not in message  # no member data in errors


def test_writer_needs_one_transaction_number_per_st() -> None:
    batch = synthetic.batch(profile(claims_per_transaction=2), synthetic.bulk_claims(3, 1))
    with pytest.raises(InvalidInput):
        write_837p(replace(batch, transaction_control_numbers=(1,)))


def test_five_digit_billing_provider_zip_is_written_then_refused_by_the_checks() -> None:
    billing = synthetic.provider(1)
    billing = replace(billing, address=replace(billing.address, zip="27601"))
    text = write_837p(synthetic.batch(profile(), (replace(one_claim(), provider=billing),)))
    report = validate_837p(text)
    assert not report.ok
    assert [(p.segment_id, p.message) for p in report.problems] == [
        ("N4", "2010AA N403 ZIP code must have 9 digits")
    ]


# ---------------------------------------------------------------------------------------------
# Properties over random claims (structure only; pyx12 runs in the tests above)

_line = st.builds(
    lambda units, cents, day, bc: (units, Decimal(cents) / 100, day, bc),
    st.integers(1, 32),
    st.integers(0, 99_999),
    st.integers(0, 27),
    st.booleans(),
)
_claim = st.tuples(st.integers(1, 4), st.integers(1, 2), st.lists(_line, min_size=1, max_size=50))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_claim, min_size=1, max_size=12))
def test_counts_totals_and_hl_parents_hold_for_random_claims(
    raw: list[tuple[int, int, list[tuple[int, Decimal, int, bool]]]],
) -> None:
    claims = tuple(
        synthetic.claim(
            n + 1, synthetic.subscriber(m), synthetic.provider(p),
            tuple(ClaimLineInput(f"L{n}X{i}", DAY + timedelta(d), u, c, modifiers=("BC",) * bc)
                  for i, (u, c, d, bc) in enumerate(lines)),
        )
        for n, (m, p, lines) in enumerate(raw)
    )  # fmt: skip
    prof = profile(claims_per_subscriber_hl=2, claims_per_transaction=5)
    segs = segments(write_837p(synthetic.batch(prof, claims)))
    _assert_se_counts(segs)
    _assert_claim_totals(segs)
    _assert_hl_parents(segs)
    assert sum(s[0] == "CLM" for s in segs) == len(claims)


def _assert_se_counts(segs: list[list[str]]) -> None:
    starts = [i for i, s in enumerate(segs) if s[0] == "ST"]
    ends = [i for i, s in enumerate(segs) if s[0] == "SE"]
    assert len(starts) == len(ends) and segs[-2][1] == str(len(starts))
    for start, end in zip(starts, ends, strict=True):
        assert segs[end][1] == str(end - start + 1) and segs[end][2] == segs[start][2]


def _assert_claim_totals(segs: list[list[str]]) -> None:
    totals: list[tuple[Decimal, Decimal]] = []
    for s in segs:
        if s[0] == "CLM":
            totals.append((Decimal(s[2]), Decimal(0)))
        elif s[0] == "SV1":
            total, running = totals[-1]
            totals[-1] = (total, running + Decimal(s[2]))
    assert all(total == running for total, running in totals)


def _assert_hl_parents(segs: list[list[str]]) -> None:
    levels: dict[str, str] = {}
    for s in segs:
        if s[0] == "ST":
            levels = {}
        elif s[0] == "HL":
            assert s[1] == str(len(levels) + 1)
            expected_parent = "" if s[3] == "20" else "20"
            assert (levels.get(s[2], "") if s[2] else "") == expected_parent
            levels[s[1]] = s[3]
        elif s[0] == "CLM":
            assert list(levels.values())[-1] == "22"  # claims sit under a subscriber HL

"""Grouping unit lines into claims, CLM01 ids and the ST / HL split (pure, no pyx12)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.errors import InvalidInput
from claims.profile import ClaimLimits
from claims.x12 import synthetic
from claims.x12.build import claim_id, group_lines, hl_tree, split_transactions, transactions_needed
from claims.x12.model import LineRecord


def _record(member: str, provider: str, day: date, line_id: str, key: str = "YP630") -> LineRecord:
    return LineRecord(member, provider, day, key, 4, Decimal("86.84"), line_id)


def test_one_claim_per_member_provider_and_calendar_month() -> None:
    records = [
        _record("M1", "P1", date(2025, 1, 31), "L1"),
        _record("M1", "P1", date(2025, 2, 1), "L2"),
        _record("M1", "P2", date(2025, 1, 5), "L3"),
        _record("M2", "P1", date(2025, 1, 5), "L4"),
        _record("M1", "P1", date(2025, 1, 2), "L5", "YP630:BC"),
    ]
    groups = group_lines(records)
    keys = [
        (g.member_id, g.provider_id, g.month, [line.line_id for line in g.lines]) for g in groups
    ]
    assert keys == [
        ("M1", "P1", "2025-01", ["L5", "L1"]),
        ("M1", "P1", "2025-02", ["L2"]),
        ("M1", "P2", "2025-01", ["L3"]),
        ("M2", "P1", "2025-01", ["L4"]),
    ]


def test_more_than_fifty_lines_start_a_new_claim() -> None:
    start = date(2025, 3, 1)
    records = [
        _record(
            "M1", "P1", start + timedelta(days=i % 31), f"L{i:03d}", ("YP630", "YP630:BC")[i % 2]
        )
        for i in range(123)
    ]
    groups = group_lines(records, lines_per_claim=50)
    assert [len(g.lines) for g in groups] == [50, 50, 23]
    assert [g.part for g in groups] == [1, 2, 3]
    dates = [line.service_date for g in groups for line in g.lines]
    assert dates == sorted(dates)


@given(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 2), st.integers(0, 400)), max_size=150),
       st.integers(1, 50))  # fmt: skip
def test_grouping_keeps_every_line_once_and_never_mixes_keys(
    raw: list[tuple[int, int, int]], size: int
) -> None:
    records = [
        _record(f"M{m}", f"P{p}", date(2025, 1, 1) + timedelta(days=d), f"L{i}")
        for i, (m, p, d) in enumerate(raw)
    ]
    groups = group_lines(records, size)
    assert sorted(line.line_id for g in groups for line in g.lines) == sorted(
        r.line_id for r in records
    )
    for group in groups:
        assert 1 <= len(group.lines) <= size
        assert {
            (x.member_id, x.provider_id, x.service_date.isoformat()[:7]) for x in group.lines
        } == {(group.member_id, group.provider_id, group.month)}


def test_claim_id_is_deterministic_and_fits_clm01() -> None:
    assert claim_id("IP", 42, 7) == "IP00000004200007"
    assert claim_id("", 1, 1) == "00000000100001"
    assert len(claim_id("ABCDEF", 999_999_999, 99_999)) == 20
    with pytest.raises(InvalidInput):
        claim_id("ABCDEFG", 1, 1)  # 21 characters
    with pytest.raises(InvalidInput):
        claim_id("ip", 1, 1)
    with pytest.raises(InvalidInput):
        claim_id("IP", 1, 100_000)


def test_transactions_split_in_input_order() -> None:
    limits = ClaimLimits.model_validate({"claims_per_transaction": 3})
    claims = synthetic.bulk_claims(7, 1, members=2)
    sets = split_transactions(claims, limits)
    assert [len(s) for s in sets] == [3, 3, 1]
    assert [c.claim_id for s in sets for c in s] == [c.claim_id for c in claims]
    assert transactions_needed(7, limits) == 3
    assert transactions_needed(0, limits) == 1


def test_at_most_the_limit_of_claims_per_subscriber_hl() -> None:
    member, billing = synthetic.subscriber(1), synthetic.provider(1)
    day = date(2025, 1, 1)
    claims = [synthetic.claim(i, member, billing, (synthetic.line(i, day),)) for i in range(1, 206)]
    (block,) = hl_tree(claims, ClaimLimits.model_validate({"claims_per_subscriber_hl": 100}))
    assert [len(s.claims) for s in block.subscribers] == [100, 100, 5]
    assert all(s.subscriber == member for s in block.subscribers)


def test_claim_slices_cut_a_month_at_the_line_limit() -> None:
    from claims.x12.build import claim_slices

    assert claim_slices(0, 50) == []
    assert claim_slices(50, 50) == [(0, 50)]
    assert claim_slices(101, 50) == [(0, 50), (50, 50), (100, 1)]

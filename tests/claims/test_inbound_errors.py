"""Malformed inbound files are refused with a clear domain error; the digest is stable."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.errors import InvalidInput
from claims.inbound import file_digest, parse_inbound

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inbound"
SAMPLE_835 = (FIXTURES / "835_emedny_sample.835").read_text(encoding="ascii")
SAMPLE_999 = (FIXTURES / "999_imsweb_accepted.999").read_text(encoding="ascii")


def _refused(text: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_inbound(text)
    return caught.value.detail


def test_empty_file() -> None:
    assert "empty" in _refused("")
    assert "empty" in _refused("  \r\n ")


def test_not_x12() -> None:
    assert "does not begin with an ISA" in _refused('{"kind": "835"}')
    assert "does not begin with an ISA" in _refused("SMITH, JOHN 1970-01-01 paid 12.00")


def test_an_837_posted_as_inbound() -> None:
    detail = _refused((FIXTURES / "837p_databricks_837p.txt").read_text(encoding="ascii"))
    assert "837 claim file" in detail


def test_truncated_inside_isa() -> None:
    assert "truncated inside its ISA" in _refused(SAMPLE_835[:60])


def test_truncated_before_the_trailers() -> None:
    cut = SAMPLE_835[: SAMPLE_835.index("CLP*PATIENT ACCOUNT NUMBER*2*34.25")]
    assert "truncated" in _refused(cut)


@given(st.integers(min_value=107, max_value=len(SAMPLE_999.rstrip()) - 2))
def test_any_cut_of_a_file_is_refused(cut: int) -> None:
    with pytest.raises(InvalidInput):
        parse_inbound(SAMPLE_999[:cut])


def test_segment_count_mismatch() -> None:
    assert "SE01" in _refused(SAMPLE_999.replace("SE*6*0001", "SE*9*0001"))


def test_control_numbers_must_match() -> None:
    assert "IEA02" in _refused(SAMPLE_999.replace("IEA*1*000000286", "IEA*1*000000287"))
    assert "GE02" in _refused(SAMPLE_999.replace("GE*1*1~", "GE*1*2~"))


def test_unsupported_transaction_set() -> None:
    text = SAMPLE_999.replace("ST*999*0001*005010X231A1", "ST*270*0001*005010X279A1")
    assert "unsupported transaction set 270" in _refused(text)


def test_a_277_that_is_not_a_277ca() -> None:
    text = (FIXTURES / "277ca_imsweb_rejected.277").read_text(encoding="ascii")
    text = text.replace("005010X214", "005010X212")
    assert "not a 277CA" in _refused(text)


def test_messages_never_quote_the_content() -> None:
    text = SAMPLE_835.replace("CORRECTED LAST", "ZZSECRETNAME")[:-40]
    assert "ZZSECRETNAME" not in _refused(text)
    assert "SMITH" not in _refused("SMITH JOHN " * 20)


def test_amount_that_is_not_a_number() -> None:
    text = SAMPLE_835.replace(
        "CLP*PATIENT ACCOUNT NUMBER*1*34.25*34.25", "CLP*PATIENT ACCOUNT NUMBER*1*34.25*ABC"
    )
    assert "CLP04" in _refused(text)


# ---------------------------------------------------------------------------------------------
# file_digest


def test_digest_ignores_trailing_newlines_and_line_breaks() -> None:
    one_line = SAMPLE_999.replace("\n", "")
    assert file_digest(SAMPLE_999) == file_digest(SAMPLE_999.rstrip("\n"))
    assert file_digest(SAMPLE_999) == file_digest(SAMPLE_999 + "\n\n")
    assert file_digest(SAMPLE_999) == file_digest(SAMPLE_999.replace("\n", "\r\n"))
    assert file_digest(SAMPLE_999) == file_digest(one_line)
    assert len(file_digest(SAMPLE_999)) == 64


def test_digest_changes_with_content() -> None:
    assert file_digest(SAMPLE_999) != file_digest(SAMPLE_999.replace("IK5*A", "IK5*R"))
    assert file_digest(SAMPLE_999) != file_digest(SAMPLE_835)


@given(st.sampled_from(["", "\n", "\r\n", "\n\n", "  \n"]), st.sampled_from(["", "\n", "\r\n"]))
def test_digest_stable_under_whitespace(trailing: str, between: str) -> None:
    body = SAMPLE_835.replace("~", "~" + between)
    assert file_digest(body + trailing) == file_digest(SAMPLE_835)


def test_parse_reports_the_digest() -> None:
    assert parse_inbound(SAMPLE_999).digest == file_digest(SAMPLE_999 + "\n")


def test_newline_as_segment_terminator_is_read_and_hashed_as_content() -> None:
    text = SAMPLE_999.strip().replace("~\n", "\n").rstrip("~") + "\n"
    assert parse_inbound(text).kind.value == "999"
    assert parse_inbound(text.replace("\n", "\r\n")).digest == parse_inbound(text).digest
    assert file_digest(text) == file_digest(text + "\n\n")
    # Here the line breaks are the terminators: dropping them makes another file.
    assert file_digest(text) != file_digest(text.replace("\n", ""))


def test_crlf_file_parses_like_lf() -> None:
    crlf = parse_inbound(SAMPLE_835.replace("~", "~\r\n"))
    assert crlf.document == parse_inbound(SAMPLE_835).document

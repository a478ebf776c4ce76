"""JSON column text written by orjson decodes to what json.dumps wrote before."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.dbkit import json_text, json_texts
from service.versioning import body_hash, canonical_json

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # past 64 bits orjson refuses: the json fallback
    # Non-finite floats are not JSON (PostgreSQL refuses json.dumps' "Infinity"): none are
    # stored in these columns (modifiers, reasons, event ids, diagnoses, traces).
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.dates()
    | st.datetimes()
    | st.decimals(allow_nan=False, allow_infinity=False)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(values)
def test_json_text_decodes_as_json_dumps_did(value: Any) -> None:
    assert json.loads(json_text(value)) == json.loads(json.dumps(value, default=str))


def test_a_shared_value_is_encoded_once_and_each_row_gets_its_text() -> None:
    shared = ["BC"]
    texts = json_texts([shared, shared, {"at": date(2026, 1, 2)}, Decimal("1.50")])
    assert texts == ['["BC"]', '["BC"]', '{"at":"2026-01-02"}', '"1.50"']
    assert json.loads(json_text(datetime(2026, 1, 2, 3, 4))) == "2026-01-02 03:04:00"


def _json_dumps_canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


flat_bodies = st.dictionaries(
    st.text(max_size=8),
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
    max_size=14,
)


@given(flat_bodies | st.dictionaries(st.text(max_size=4), values, max_size=4))
def test_the_hashed_text_is_json_dumps_byte_for_byte(body: dict[str, Any]) -> None:
    """Every stored body_hash was made from json.dumps' text: the same body must hash the same
    after the switch to orjson, or a retried request would make a new version."""
    try:
        expected = _json_dumps_canonical(body)
    except TypeError:  # keys json.dumps cannot sort (int beside text): refused alike
        with pytest.raises(TypeError):
            canonical_json(body)
        return
    assert canonical_json(body) == expected


def test_an_event_body_takes_the_fast_path_and_hashes_as_before() -> None:
    body = {"member_id": "M1", "service_date": "2026-01-02", "start_time": "09:00",
            "end_time": "09:30", "activity": "job_search", "note_id": None, "voided": False,
            "version": 3, "payer_id": "VAYA"}  # fmt: skip
    assert canonical_json(body) == _json_dumps_canonical(body)
    assert body_hash(body) == hashlib.sha256(_json_dumps_canonical(body)).hexdigest()

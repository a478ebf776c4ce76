"""JSON column text written by orjson decodes to what json.dumps wrote before."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from service.units.repository import json_text, json_texts

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
    lambda inner: st.lists(inner, max_size=4)
    | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4),
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

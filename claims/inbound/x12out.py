"""Writing the simulator's X12: segments, and the ISA/GS/ST envelopes with their counts.

Separators are the common ones (``*`` element, ``:`` component, ``^`` repetition, ``~`` plus a
line break after each segment for people reading the file); trailing empty elements are dropped,
as X12 requires.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from msgspec import Struct

from claims.money import money_str

Segments = list[str]


def seg(*elements: str) -> str:
    """One segment; trailing empty elements are left off."""
    return "*".join(_trimmed(elements))


def composite(*parts: str) -> str:
    return ":".join(_trimmed(parts))


def _trimmed(values: Sequence[str]) -> list[str]:
    kept = list(values)
    while kept and kept[-1] == "":
        kept.pop()
    return kept


def amount(value: Decimal) -> str:
    """Money as X12 R (decimal) text, always two places: 65.28, 0.00."""
    return money_str(value)


def quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def d8(day: date) -> str:
    return day.strftime("%Y%m%d")


class Addressing(Struct, frozen=True, gc=False):
    """Who sends the response (the payer) to whom (the submitter of the 837P)."""

    sender: tuple[str, str]  # ISA05, ISA06
    receiver: tuple[str, str]  # ISA07, ISA08
    application_sender: str  # GS02
    application_receiver: str  # GS03
    usage_indicator: str  # ISA15


def interchange(
    addressing: Addressing,
    control_number: int,
    created: datetime,
    groups: Sequence[tuple[str, str, Sequence[tuple[str, Segments]]]],
) -> str:
    """ISA .. IEA around groups of (GS01, GS08, [(ST01, body segments), ...]).

    ISA13 is ``control_number``; GS06 numbers follow it (control_number, +1, ...).
    """
    if not 0 < control_number + len(groups) <= 999_999_999:
        raise ValueError("control_number must fit ISA13's nine digits")
    segments = [_isa(addressing, control_number, created)]
    for index, (functional_id, version, sets) in enumerate(groups):
        group_number = str(control_number + index)
        segments.append(
            seg(
                "GS",
                functional_id,
                addressing.application_sender,
                addressing.application_receiver,
                created.strftime("%Y%m%d"),
                created.strftime("%H%M"),
                group_number,
                "X",
                version,
            )
        )
        for number, (set_id, body) in enumerate(sets, start=1):
            segments.extend(_transaction_set(set_id, version, f"{number:04d}", body))
        segments.append(seg("GE", str(len(sets)), group_number))
    segments.append(seg("IEA", str(len(groups)), f"{control_number:09d}"))
    return "".join(f"{text}~\n" for text in segments)


def _transaction_set(set_id: str, version: str, control: str, body: Segments) -> Segments:
    st03 = "" if set_id == "835" else version  # 005010X221A1 marks ST03 "Not Used"
    return [seg("ST", set_id, control, st03), *body, seg("SE", str(len(body) + 2), control)]


def _isa(addressing: Addressing, control_number: int, created: datetime) -> str:
    # ISA is fixed width: ids padded to 15, control number to 9 digits.
    return "*".join(
        [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            addressing.sender[0].ljust(2)[:2],
            addressing.sender[1].ljust(15)[:15],
            addressing.receiver[0].ljust(2)[:2],
            addressing.receiver[1].ljust(15)[:15],
            created.strftime("%y%m%d"),
            created.strftime("%H%M"),
            "^",
            "00501",
            f"{control_number:09d}",
            "0",
            addressing.usage_indicator or "T",
            ":",
        ]
    )

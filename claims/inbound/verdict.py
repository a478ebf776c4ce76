"""``ipsbill validate`` for a payer's file: which kind it is, then every problem with its place.

The kind comes first (837P, 999, 277CA, 835 or TA1), from the ST01 and GS08 of the interchange.
A 999, 277CA or 835 is then read as the service reads it (envelope, counts, amounts, dates: the
first refusal stops the reading) and walked by pyx12 against its guide's map (005010X231A1,
005010X214, 005010X221A1), whatever the file's size; every pyx12 finding is a problem here,
where the service only takes it as advice.
"""

from __future__ import annotations

from msgspec import Struct

from claims.errors import InvalidInput
from claims.inbound.parse import parse_inbound
from claims.inbound.reader import delimiters, pyx12_findings, split_segments, strip_text

GUIDES = {"999": "005010X231A1", "277CA": "005010X214", "835": "005010X221A1"}


class Verdict(Struct, frozen=True, gc=False):
    kind: str  # 837P, 999, 277CA, 835, TA1, or "" when the file is not X12 at all
    guide: str  # the implementation guide it was checked against
    problems: tuple[str, ...]  # each "where: what"

    @property
    def ok(self) -> bool:
        return not self.problems


def tell_kind(text: str) -> str:
    """The kind from the first ST01 (and GS08 for a 277); "" when there is no interchange."""
    body = strip_text(text)
    try:
        tokens = split_segments(body, delimiters(body))
    except InvalidInput:
        return ""
    st = next((seg for seg in tokens if seg[0].strip() == "ST"), None)
    gs = next((seg for seg in tokens if seg[0].strip() == "GS"), None)
    if st is None:
        return "TA1" if any(seg[0].strip() == "TA1" for seg in tokens) else ""
    set_id = st[1] if len(st) > 1 else ""
    version = gs[8] if gs is not None and len(gs) > 8 else ""
    if set_id == "277":
        return "277CA" if version.startswith("005010X214") else f"277 ({version})"
    return {"837": "837P"}.get(set_id, set_id)


def check_response(text: str) -> Verdict:
    """A 999, 277CA, 835 or TA1-only interchange: our reading, then pyx12's."""
    kind = tell_kind(text)
    guide = GUIDES.get(kind, "")
    try:
        parse_inbound(text)
    except InvalidInput as refused:
        return Verdict(kind, guide, (f"file: {refused.detail}",))
    if not guide:
        return Verdict(kind, guide, ())
    body = strip_text(text)
    findings = pyx12_findings(body, delimiters(body))
    return Verdict(kind, guide, tuple(f"segment #{f.line}: {f.message}" for f in findings))

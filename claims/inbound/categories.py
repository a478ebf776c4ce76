"""Claim status category codes (code list 507) to acknowledgment outcomes, from a data file."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from claims.inbound.model import AckOutcome, StatusCode

DATA_FILE = "claim_status_categories.toml"


class _CategoryTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    accepted: dict[str, str] = Field(min_length=1)
    received: dict[str, str] = Field(min_length=1)
    rejected: dict[str, str] = Field(min_length=1)


@cache
def category_outcomes() -> dict[str, AckOutcome]:
    """Category code -> outcome; a code listed twice in the table is refused."""
    text = resources.files("claims.inbound").joinpath("data", DATA_FILE).read_text("utf-8")
    table = _CategoryTable.model_validate(tomllib.loads(text))
    outcomes: dict[str, AckOutcome] = {}
    for outcome, codes in (
        (AckOutcome.ACCEPTED, table.accepted),
        (AckOutcome.RECEIVED, table.received),
        (AckOutcome.REJECTED, table.rejected),
    ):
        for code in codes:
            if code in outcomes:
                raise ValueError(f"{DATA_FILE}: category {code} is listed twice")
            outcomes[code] = outcome
    return outcomes


def outcome_of(codes: Iterable[StatusCode]) -> AckOutcome:
    """One rejecting category rejects the claim; else any acceptance, else any receipt."""
    table = category_outcomes()
    found = {table.get(code.category, AckOutcome.OTHER) for code in codes}
    for outcome in (AckOutcome.REJECTED, AckOutcome.ACCEPTED, AckOutcome.RECEIVED):
        if outcome in found:
            return outcome
    return AckOutcome.OTHER

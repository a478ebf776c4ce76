"""The DVR-milestone overlap table (billing-rules.md 1.3) as packaged data, validated on load."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, field_validator

from claims.model import Activity, StaffRole

EIPD_MILESTONES: frozenset[str] = frozenset(("3-A", "3-B", "3-C", "4", "5-A", "5-B", "5-C"))


class DvrOverlapTable(BaseModel):
    """EIPD milestone -> activities DVR pays for while that milestone's authorization is open."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    milestones: dict[str, frozenset[Activity]]
    state_funded_roles: frozenset[StaffRole]

    @field_validator("milestones")
    @classmethod
    def _every_milestone(
        cls, value: dict[str, frozenset[Activity]]
    ) -> dict[str, frozenset[Activity]]:
        unknown = sorted(set(value) - EIPD_MILESTONES)
        if unknown:
            raise ValueError(f"not EIPD milestones: {', '.join(unknown)}")
        # A milestone missing from the table would silently bill DVR's time to the state.
        missing = sorted(EIPD_MILESTONES - set(value))
        if missing:
            raise ValueError(f"milestones missing from the table: {', '.join(missing)}")
        return value

    def covered(self, milestone: str) -> frozenset[Activity]:
        return self.milestones.get(milestone, frozenset())


def parse_dvr_overlap(text: str) -> DvrOverlapTable:
    return DvrOverlapTable.model_validate(tomllib.loads(text))


@lru_cache(maxsize=1)
def load_dvr_overlap() -> DvrOverlapTable:
    """The packaged table, read and validated once per process."""
    source = resources.files("claims").joinpath("data/dvr_overlap.toml")
    return parse_dvr_overlap(source.read_text(encoding="utf-8"))

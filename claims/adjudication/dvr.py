"""The DVR-milestone overlap table (billing-rules.md 1.3) as data, validated when loaded."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, field_validator

from claims.model import Activity, StaffRole

EIPD_MILESTONES = ("3-A", "3-B", "3-C", "4", "5-A", "5-B", "5-C")


class DvrOverlapTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    milestones: dict[str, frozenset[Activity]]
    state_funded_roles: frozenset[StaffRole]

    @field_validator("milestones")
    @classmethod
    def _known(cls, value: dict[str, frozenset[Activity]]) -> dict[str, frozenset[Activity]]:
        unknown = sorted(set(value) - set(EIPD_MILESTONES))
        if unknown:
            raise ValueError(f"not EIPD milestones: {', '.join(unknown)}")
        return value

    def covers(self, milestone: str, activity: Activity) -> bool:
        return activity in self.milestones.get(milestone, frozenset())


def parse_dvr_overlap(text: str) -> DvrOverlapTable:
    return DvrOverlapTable.model_validate(tomllib.loads(text))


@lru_cache(maxsize=1)
def load_dvr_overlap() -> DvrOverlapTable:
    text = resources.files("claims").joinpath("data/dvr_overlap.toml").read_text("utf-8")
    return parse_dvr_overlap(text)

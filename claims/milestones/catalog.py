"""The NC CORE milestone catalog, loaded from ``claims/data/milestones.toml`` and validated.

The catalog is data (billing-rules.md 3: "The catalog is data, not code"): amounts, payer kinds,
frequencies, prerequisites and thresholds live in the TOML file; the engine only knows which rule
each milestone id follows.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MILESTONE_IDS: tuple[str, ...] = (
    "1", "2", "3-A", "3-B", "3-C", "4", "5-A", "5-B", "5-C", "6", "7", "8", "9",
)  # fmt: skip

# Milestones whose rule implements one frequency only: 3-A and 3-B are earned twice, then each
# further time with the funding source's approval (docs/milestones.md, "Job search and employer
# networking"); search_rules reads the limit as that count. A catalog giving either another
# frequency would be billed by a rule it does not describe, so it is refused at load time.
FIXED_FREQUENCIES: dict[str, str] = {
    "3-A": "repeatable_with_approval_after",
    "3-B": "repeatable_with_approval_after",
}

# The thresholds each milestone's rule reads; a catalog without them is refused at load time.
REQUIRED_THRESHOLDS: dict[str, tuple[str, ...]] = {
    "1": ("sections",),
    "2": ("sections",),
    "3-A": ("applications",),
    "3-B": ("employer_contacts",),
    "3-C": ("contact_days",),
    "4": ("contacts_per_week",),
    "5-A": ("days_after_recovery", "window_days", "contacts_in_window"),
    "5-B": ("days_after_recovery", "window_days", "contacts_in_window"),
    "5-C": ("days_after_recovery", "window_days", "contacts_in_window"),
    "6": ("meetings_per_month",),
    "7": ("advancement_types", "profile_update_window_days"),
    "8": ("documents",),
    "9": (),
}


class PayerKind(StrEnum):
    LME_MCO = "lme_mco"
    EIPD = "eipd"  # NC DVR's Employment and Independence for People with Disabilities


class Frequency(StrEnum):
    ONCE = "once"
    REPEATABLE_WITH_APPROVAL_AFTER = "repeatable_with_approval_after"
    ONCE_PER_JOB = "once_per_job"
    MONTHLY = "monthly"
    AT_MOST = "at_most"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Thresholds(_Frozen):
    sections: tuple[str, ...] | None = None
    in_person_required: bool = False
    signature_required: bool = False
    applications: int | None = Field(default=None, ge=1)
    employer_contacts: int | None = Field(default=None, ge=1)
    contact_days: int | None = Field(default=None, ge=1)
    contacts_per_week: int | None = Field(default=None, ge=1)
    days_after_recovery: int | None = Field(default=None, ge=1)
    window_days: int | None = Field(default=None, ge=1)
    contacts_in_window: int | None = Field(default=None, ge=1)
    meetings_per_month: int | None = Field(default=None, ge=1)
    advancement_types: tuple[str, ...] | None = None
    profile_update_window_days: int | None = Field(default=None, ge=0)
    documents: tuple[str, ...] | None = None
    goals_met_required: bool = True


class MilestoneDef(_Frozen):
    id: str
    name: str = Field(min_length=1)
    amount: Decimal = Field(gt=0, decimal_places=2)
    payer_kind: PayerKind
    frequency: Frequency
    limit: int | None = Field(default=None, ge=1)
    requires: tuple[str, ...] = ()
    thresholds: Thresholds = Thresholds()

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_is_text(cls, value: object) -> object:
        # A TOML float would carry binary rounding into money: amounts must be strings.
        if not isinstance(value, str):
            raise ValueError('amount must be a string such as "2120.00"')
        return value

    @model_validator(mode="after")
    def _complete(self) -> MilestoneDef:
        if self.id not in REQUIRED_THRESHOLDS:
            raise ValueError(f"unknown milestone id {self.id}")
        needs_limit = self.frequency in (
            Frequency.AT_MOST,
            Frequency.REPEATABLE_WITH_APPROVAL_AFTER,
        )
        if needs_limit != (self.limit is not None):
            raise ValueError(f"milestone {self.id}: limit goes with at_most/repeatable only")
        fixed = FIXED_FREQUENCIES.get(self.id)
        if fixed is not None and self.frequency != fixed:
            raise ValueError(f"milestone {self.id}: its rule is {fixed}, not {self.frequency}")
        absent = [k for k in REQUIRED_THRESHOLDS[self.id] if getattr(self.thresholds, k) is None]
        if absent:
            raise ValueError(f"milestone {self.id}: thresholds missing: {', '.join(absent)}")
        return self


class MilestoneCatalog(_Frozen):
    milestones: tuple[MilestoneDef, ...] = Field(alias="milestone")

    @model_validator(mode="after")
    def _every_milestone_once(self) -> MilestoneCatalog:
        ids = [m.id for m in self.milestones]
        if sorted(ids) != sorted(MILESTONE_IDS):
            raise ValueError(f"catalog must list each of {', '.join(MILESTONE_IDS)} exactly once")
        for m in self.milestones:
            unknown = [r for r in m.requires if r not in ids]
            if unknown:
                raise ValueError(f"milestone {m.id}: unknown prerequisite {', '.join(unknown)}")
        return self

    def get(self, milestone_id: str) -> MilestoneDef:
        for m in self.milestones:
            if m.id == milestone_id:
                return m
        raise KeyError(milestone_id)

    def rank(self, milestone_id: str) -> int:
        """Catalog order, for sorting lines and reports."""
        return MILESTONE_IDS.index(milestone_id)


def parse_catalog(text: str) -> MilestoneCatalog:
    """Validate catalog TOML text (tests and alternative catalogs use this directly)."""
    return MilestoneCatalog.model_validate(tomllib.loads(text))


@cache
def load_catalog() -> MilestoneCatalog:
    """The packaged catalog, read once per process."""
    text = resources.files("claims.data").joinpath("milestones.toml").read_text(encoding="utf-8")
    return parse_catalog(text)

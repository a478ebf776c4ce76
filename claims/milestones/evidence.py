"""Milestone evidence: what a provider documents beyond service events (contract, "Milestones").

Each kind has a pydantic schema for its own fields (``EVIDENCE_FIELDS``); the service validates a
PUT body's fields with :func:`validate_fields`, so a bad field is a 422 naming the field (never its
content: evidence may sit next to personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from claims.errors import InvalidInput
from claims.milestones.catalog import Frequency, load_catalog


class EvidenceKind(StrEnum):
    CAREER_PROFILE_SECTION = "career_profile_section"
    CAREER_PROFILE_SIGNED = "career_profile_signed"
    JOB_APPLICATION = "job_application"
    EMPLOYER_CONTACT = "employer_contact"
    JOB_START = "job_start"
    JOB_END = "job_end"
    VOCATIONAL_RECOVERY_APPROVED = "vocational_recovery_approved"
    CAREER_ADVANCEMENT = "career_advancement"
    EDUCATION_REPORT = "education_report"
    INDEPENDENCE_PLAN = "independence_plan"
    # Added to the contract's kinds: the Program Specialist's / funding source's consent to a third
    # (or later) 3-A or 3-B (004 lines 38 and 48, "must consult ... after earning this milestone
    # twice").
    APPROVAL = "approval"


FieldValue = str | int | bool | Decimal | None


def _frozen_fields(raw: Mapping[str, FieldValue] | None) -> Mapping[str, FieldValue]:
    return MappingProxyType(dict(raw or {}))


@dataclass(frozen=True, slots=True)
class MilestoneEvidence:
    """One documented fact. ``fields`` holds the kind's own fields, read-only.

    Not hashable (its ``fields`` mapping is not); key it by ``evidence_id``.
    """

    evidence_id: str
    member_id: str
    provider_id: str
    kind: EvidenceKind
    date: date
    fields: Mapping[str, FieldValue] = field(default_factory=lambda: _frozen_fields(None))
    voided: bool = False
    version: int = 1

    def __post_init__(self) -> None:
        if type(self.kind) is not EvidenceKind:  # a stored row's plain string
            object.__setattr__(self, "kind", EvidenceKind(self.kind))
        if not isinstance(self.fields, MappingProxyType):
            object.__setattr__(self, "fields", _frozen_fields(self.fields))

    def text(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if isinstance(value, str) else None

    def flag(self, name: str) -> bool:
        return self.fields.get(name) is True


# ---------------------------------------------------------------------------------------------
# Field schemas per kind


class _Fields(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class NoFields(_Fields):
    pass


class CareerProfileSectionFields(_Fields):
    section: str

    @field_validator("section")
    @classmethod
    def _known_section(cls, value: str) -> str:
        # The complete list is milestone 2's (004 line 20, "Sections include ...").
        return _one_of(value, load_catalog().get("2").thresholds.sections)


class JobApplicationFields(_Fields):
    # 004 line 38, Job Search Log: "date of application, employer, position, method of submission".
    employer: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=200)
    method: str = Field(min_length=1, max_length=100)


class EmployerContactFields(_Fields):
    # 004 line 49, employer contact log: "date of contact, employer, employer point of contact".
    employer: str = Field(min_length=1, max_length=200)
    contact_name: str = Field(min_length=1, max_length=200)
    face_to_face: bool


class JobStartFields(_Fields):
    employer: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=200)
    hours_per_week: Decimal = Field(gt=0, le=80)
    hourly_wage: Decimal = Field(ge=0, le=1000, decimal_places=2)


class JobEndFields(_Fields):
    # Optional: which job ended when several are open; without it, the latest job started.
    employer: str | None = Field(default=None, min_length=1, max_length=200)


class CareerAdvancementFields(_Fields):
    type: str

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        # 004 line 95: promotion, better job, pay increase, more hours, new title (catalog data).
        return _one_of(value, load_catalog().get("7").thresholds.advancement_types)


class EducationReportFields(_Fields):
    document: str

    @field_validator("document")
    @classmethod
    def _known_document(cls, value: str) -> str:
        # 004 line 104: "certificate or grade report at the end of quarter/semester".
        return _one_of(value, load_catalog().get("8").thresholds.documents)


class IndependencePlanFields(_Fields):
    goals_met: bool


class ApprovalFields(_Fields):
    milestone: str

    @field_validator("milestone")
    @classmethod
    def _needs_approval(cls, value: str) -> str:
        repeatable = Frequency.REPEATABLE_WITH_APPROVAL_AFTER
        ids = tuple(m.id for m in load_catalog().milestones if m.frequency is repeatable)
        return _one_of(value, ids)


def _one_of(value: str, allowed: tuple[str, ...] | None) -> str:
    if value not in (allowed or ()):
        raise ValueError(f"must be one of: {', '.join(allowed or ())}")
    return value


EVIDENCE_FIELDS: dict[EvidenceKind, type[_Fields]] = {
    EvidenceKind.CAREER_PROFILE_SECTION: CareerProfileSectionFields,
    EvidenceKind.CAREER_PROFILE_SIGNED: NoFields,
    EvidenceKind.JOB_APPLICATION: JobApplicationFields,
    EvidenceKind.EMPLOYER_CONTACT: EmployerContactFields,
    EvidenceKind.JOB_START: JobStartFields,
    EvidenceKind.JOB_END: JobEndFields,
    EvidenceKind.VOCATIONAL_RECOVERY_APPROVED: NoFields,
    EvidenceKind.CAREER_ADVANCEMENT: CareerAdvancementFields,
    EvidenceKind.EDUCATION_REPORT: EducationReportFields,
    EvidenceKind.INDEPENDENCE_PLAN: IndependencePlanFields,
    EvidenceKind.APPROVAL: ApprovalFields,
}


def validate_fields(kind: EvidenceKind, raw: Mapping[str, object]) -> dict[str, FieldValue]:
    """Check a kind's fields; the result is what :class:`MilestoneEvidence` stores.

    Raises :class:`InvalidInput` whose ``errors`` name each bad field (location, message), without
    echoing the submitted value.
    """
    try:
        parsed = EVIDENCE_FIELDS[kind].model_validate(dict(raw))
    except ValidationError as exc:
        errors = tuple(((*_location(e["loc"]),), e["msg"]) for e in exc.errors())
        raise InvalidInput(f"invalid fields for evidence kind {kind.value}", errors) from None
    # JSON-ready (decimals as strings), as the evidence row stores it.
    return {k: v for k, v in parsed.model_dump(mode="json").items() if v is not None}


def _location(loc: tuple[int | str, ...]) -> tuple[str | int, ...]:
    return ("fields", *loc)

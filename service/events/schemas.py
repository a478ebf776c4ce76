"""Service-event bodies and answers (contract, "Service events")."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from claims.model import Activity, Contact, ReasonCode, Setting
from service.problems import FieldProblem
from service.schemas_common import Body, Id

Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
EXAMPLE: dict[str, Any] = {
    "member_id": "M-1001",
    "provider_id": "P-01",
    "staff_id": "S-07",
    "service_date": "2026-03-02",
    "start_time": "09:00",
    "end_time": "09:50",
    "activity": "job_search",
    "contact": "in_person",
    "setting": "individual",
    "place_of_service": "99",
    "note_id": "N-5521",
}


class EventIn(Body):
    member_id: Id
    provider_id: Id
    staff_id: Id
    service_date: date
    start_time: Clock = Field(description="HH:MM, 24 h, provider-local")
    end_time: Clock = Field(description="HH:MM, after start_time, same day")
    activity: Activity
    contact: Contact
    setting: Setting
    place_of_service: Annotated[str, StringConstraints(pattern=r"^\d{2}$")] = "99"
    note_id: Annotated[str | None, StringConstraints(min_length=1, max_length=64)] = None

    model_config = {"json_schema_extra": {"example": EXAMPLE}}

    @model_validator(mode="after")
    def _end_after_start(self) -> EventIn:
        # billing-rules.md 1.1.1: same day; end after start, else 422.
        if self.end_time <= self.start_time:
            message = "must be after start_time on the same day"
            raise FieldProblem("end_time", message, "end-before-start")
        return self

    def start(self) -> time:
        return time.fromisoformat(self.start_time)

    def end(self) -> time:
        return time.fromisoformat(self.end_time)


class BatchEventIn(EventIn):
    event_id: Id


class EventBatchIn(BaseModel):
    events: list[Any] = Field(min_length=1, max_length=1000)

    model_config = {"json_schema_extra": {"example": {"events": [{"event_id": "E-1", **EXAMPLE}]}}}


class ReasonOut(BaseModel):
    code: ReasonCode  # billing-rules section 4; sent as its string, as before
    minutes: int
    detail: str


EventStatus = Literal["billable", "partial", "held", "excluded"]


class AdjudicationOut(BaseModel):
    status: EventStatus
    procedure: str
    modifiers: list[str]
    minutes: int
    billable_minutes: int
    reasons: list[ReasonOut]


class EventOut(BaseModel):
    event_id: str
    member_id: str
    provider_id: str
    staff_id: str
    service_date: date
    start_time: str
    end_time: str
    activity: str
    contact: str
    setting: str
    place_of_service: str
    note_id: str | None
    voided: bool
    version: int
    updated_at: datetime
    adjudication: AdjudicationOut


class BatchResult(BaseModel):
    event_id: str | None
    status: int = Field(description="the HTTP status this event alone would have answered")
    result: Literal["created", "updated", "unchanged", "rejected"]
    event: EventOut | None = None
    problem: dict[str, Any] | None = None


class BatchOut(BaseModel):
    results: list[BatchResult]
    created: int
    updated: int
    unchanged: int
    rejected: int

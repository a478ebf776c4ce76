"""Rows to the core's frozen values. The only place that knows both shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from claims import model as core
from service import models as orm


def member(row: orm.Member) -> core.Member:
    periods = tuple(
        core.DateRange(
            date.fromisoformat(str(p["start_date"])),
            date.fromisoformat(str(p["end_date"])) if p.get("end_date") else None,
        )
        for p in row.act_periods or ()
    )
    return core.Member(
        member_id=row.member_id,
        payer_id=row.payer_id,
        birth_date=row.birth_date,
        subscriber_id=row.subscriber_id,
        diagnoses=tuple(row.diagnoses or ()),
        dvr_shared_case=row.dvr_shared_case,
        act_periods=periods,
        version=row.version,
    )


# Stored values are the enums' own (checked on the way in): a dict hit, not an Enum() call.
_ACTIVITIES = {item.value: item for item in core.Activity}
_CONTACTS = {item.value: item for item in core.Contact}
_SETTINGS = {item.value: item for item in core.Setting}


def event(row: orm.ServiceEvent) -> core.ServiceEvent:
    return core.ServiceEvent(
        event_id=row.event_id,
        member_id=row.member_id,
        provider_id=row.provider_id,
        staff_id=row.staff_id,
        service_date=row.service_date,
        start_time=row.start_time,
        end_time=row.end_time,
        activity=_ACTIVITIES[row.activity],
        contact=_CONTACTS[row.contact],
        setting=_SETTINGS[row.setting],
        place_of_service=row.place_of_service,
        note_id=row.note_id,
        voided=row.voided,
        version=row.version,
    )


def staff(row: orm.Staff) -> core.Staff:
    return core.Staff(
        provider_id=row.provider_id,
        staff_id=row.staff_id,
        role=core.StaffRole(row.role),
        version=row.version,
    )


def fidelity(row: orm.FidelityReview) -> core.FidelityReview:
    return core.FidelityReview(
        provider_id=row.provider_id,
        review_id=row.review_id,
        score=row.score,
        final_report_date=row.final_report_date,
        reevaluation_requested_on=row.reevaluation_requested_on,
    )


def authorization(row: orm.Authorization) -> core.Authorization:
    return core.Authorization(
        authorization_id=row.authorization_id,
        member_id=row.member_id,
        provider_id=row.provider_id,
        payer_id=row.payer_id,
        start_date=row.start_date,
        end_date=row.end_date,
        units=row.units,
        procedure=row.procedure,
        version=row.version,
    )


def eipd(row: orm.EipdAuthorization) -> core.EipdAuthorization:
    return core.EipdAuthorization(
        authorization_id=row.authorization_id,
        member_id=row.member_id,
        provider_id=row.provider_id,
        milestone=row.milestone,
        start_date=row.start_date,
        end_date=row.end_date,
        version=row.version,
    )


def fee_schedule(row: orm.FeeSchedule) -> core.FeeSchedule:
    rates = tuple(sorted((key, Decimal(value)) for key, value in row.rates.items()))
    return core.FeeSchedule(payer_id=row.payer_id, effective_from=row.effective_from, rates=rates)

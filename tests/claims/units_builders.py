"""Builders shared by the units-engine tests (no tests of its own).

A member of 36 with full data, one payer with rates for YP630 and YP630:BC since 2020, and
two providers whose staff are an ESP and an EPM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from msgspec.structs import replace

from claims.model import (
    Activity,
    Adjudication,
    Contact,
    FeeSchedule,
    Member,
    MemberContext,
    MemberResult,
    Reason,
    ReasonCode,
    RuleSettings,
    ServiceEvent,
    Setting,
    Staff,
    StaffRole,
    UnitLine,
)
from claims.units import adjudicate_member

DAY = date(2026, 3, 2)
PAYER = "PAYER-1"
RATE = Decimal("21.37")
BC_RATE = Decimal("30.05")
MEMBER = Member(
    "M-1", PAYER, birth_date=date(1990, 5, 5), subscriber_id="SUB-1", diagnoses=("F20.9",)
)
FEES = (FeeSchedule(PAYER, date(2020, 1, 1), (("YP630", RATE), ("YP630:BC", BC_RATE))),)
STAFF = (
    Staff("P-1", "ESP-1", StaffRole.ESP),
    Staff("P-1", "EPM-1", StaffRole.EPM),
    Staff("P-2", "ESP-2", StaffRole.ESP),
)


def hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def ev(
    event_id: str,
    start: str = "09:00",
    end: str = "09:30",
    *,
    day: date = DAY,
    provider: str = "P-1",
    staff: str = "ESP-1",
    activity: Activity = Activity.JOB_SEARCH,
    contact: Contact = Contact.IN_PERSON,
    setting: Setting = Setting.INDIVIDUAL,
    note: str | None = "NOTE",
    voided: bool = False,
) -> ServiceEvent:
    return ServiceEvent(
        event_id, MEMBER.member_id, provider, staff, day, hhmm(start), hhmm(end),
        activity, contact, setting, note_id=note, voided=voided,
    )  # fmt: skip


def context(**overrides: Any) -> MemberContext:
    base = MemberContext(member=MEMBER, settings=RuleSettings(), staff=STAFF, fee_schedules=FEES)
    return replace(base, **overrides)


@dataclass(frozen=True)
class Outcome:
    result: MemberResult

    def adj(self, event_id: str) -> Adjudication:
        (found,) = [a for a in self.result.adjudications if a.event_id == event_id]
        return found

    def reason(self, event_id: str, code: ReasonCode) -> Reason:
        (found,) = [r for r in self.adj(event_id).reasons if r.code is code]
        return found

    def codes(self, event_id: str) -> dict[ReasonCode, int]:
        return {r.code: r.minutes for r in self.adj(event_id).reasons}

    def line(
        self, provider: str = "P-1", modifiers: tuple[str, ...] = (), day: date = DAY
    ) -> UnitLine:
        (found,) = [
            ln
            for ln in self.result.lines
            if (ln.provider_id, ln.modifiers, ln.service_date) == (provider, modifiers, day)
        ]
        return found


def run(events: Sequence[ServiceEvent], **overrides: Any) -> Outcome:
    return Outcome(adjudicate_member(events, context(**overrides)))


def money(units: int, rate: Decimal) -> Decimal:
    """units x rate to the cent, half up (billing-rules 1.4)."""
    return (rate * units).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

"""The domain's plain values: what the rules engine, the milestone engine and the 837P writer read.

Every value of the core is a frozen ``msgspec.Struct`` with ``gc=False`` and no behaviour beyond
small derived properties: an ordinary constructor that runs in C (the engine builds an
``Adjudication`` per event and a ``UnitLine`` per line; a frozen dataclass's ``__init__`` was most
of its time), fields read as fast as slots, and no cycle-collector tracking (a value never refers
back to what holds it). ``msgspec.structs.replace`` / ``asdict`` / ``fields`` stand for their
``dataclasses`` namesakes. The service layer builds these from database rows; the pure core never
sees a row, a session or a clock (callers pass ``today`` in).
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from enum import StrEnum

from msgspec import Struct, field

from claims.places import facility_places_of_service

PROCEDURE = "YP630"
BC_MODIFIER = "BC"


class Activity(StrEnum):
    # Direct services to the individual (contract, "Service events").
    ENGAGEMENT = "engagement"
    INTAKE = "intake"
    CAREER_PROFILE = "career_profile"
    BENEFITS_COUNSELING = "benefits_counseling"
    JOB_SEARCH = "job_search"
    JOB_DEVELOPMENT = "job_development"
    JOB_SUPPORT = "job_support"
    PEER_SUPPORT = "peer_support"
    EDUCATION_SUPPORT = "education_support"
    CAREER_ADVANCEMENT = "career_advancement"
    # Never billable; still recorded and still milestone evidence.
    EMPLOYER_CONTACT = "employer_contact"
    TEAM_MEETING = "team_meeting"
    SUPERVISION = "supervision"
    DOCUMENTATION = "documentation"
    TRAVEL = "travel"
    COLLATERAL = "collateral"


# YP630 def., "Service Exclusions and Limitations" k and l: IPS "cannot be billed for meetings,
# paperwork, documentation, or travel time"; collateral contacts are not with the individual.
NON_BILLABLE_ACTIVITIES: frozenset[Activity] = frozenset(
    {
        Activity.EMPLOYER_CONTACT,
        Activity.TEAM_MEETING,
        Activity.SUPERVISION,
        Activity.DOCUMENTATION,
        Activity.TRAVEL,
        Activity.COLLATERAL,
    }
)


class Contact(StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"
    NONE = "none"


class Setting(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


class StaffRole(StrEnum):
    TL = "TL"  # team lead
    ESP = "ESP"  # employment support professional
    EPM = "EPM"  # employment peer mentor
    PA = "PA"  # program assistant
    BC = "BC"  # benefits counselor


class EventStatus(StrEnum):
    BILLABLE = "billable"
    PARTIAL = "partial"
    HELD = "held"
    EXCLUDED = "excluded"


class LineStatus(StrEnum):
    BILLABLE = "billable"
    HELD = "held"
    EXCLUDED = "excluded"  # no units left on the line (e.g. every event voided or excluded)
    CLAIMED = "claimed"


class ReasonCode(StrEnum):
    """billing-rules.md section 4. Part of the contract: never rename a value."""

    NON_BILLABLE_ACTIVITY = "non_billable_activity"
    NO_DIRECT_CONTACT = "no_direct_contact"
    GROUP_SETTING = "group_setting"
    OVERLAPPING_TIME = "overlapping_time"
    BELOW_UNIT_THRESHOLD = "below_unit_threshold"
    DAILY_CAP = "daily_cap"
    MEMBER_UNDER_16 = "member_under_16"
    ACT_ENROLLMENT = "act_enrollment"
    OTHER_PROVIDER_AUTHORIZED = "other_provider_authorized"
    FIDELITY_BELOW_MINIMUM = "fidelity_below_minimum"
    DVR_MILESTONE_OVERLAP = "dvr_milestone_overlap"
    NO_AUTHORIZATION = "no_authorization"
    AUTHORIZATION_EXHAUSTED = "authorization_exhausted"
    MISSING_SERVICE_NOTE = "missing_service_note"
    MISSING_MEMBER_DATA = "missing_member_data"
    MISSING_FEE_SCHEDULE = "missing_fee_schedule"
    TIMELY_FILING_EXPIRED = "timely_filing_expired"
    AWAITING_PAYER_CLAIM_NUMBER = "awaiting_payer_claim_number"
    VOIDED = "voided"
    STAFF_ROLE_NOT_BILLABLE = "staff_role_not_billable"
    FACILITY_SETTING = "facility_setting"


# Reasons that hold minutes until something arrives; every other code excludes or drops them.
HOLD_REASONS: frozenset[ReasonCode] = frozenset(
    {
        ReasonCode.NO_AUTHORIZATION,
        ReasonCode.AUTHORIZATION_EXHAUSTED,
        ReasonCode.MISSING_SERVICE_NOTE,
        ReasonCode.MISSING_MEMBER_DATA,
        ReasonCode.MISSING_FEE_SCHEDULE,
        ReasonCode.AWAITING_PAYER_CLAIM_NUMBER,
    }
)


class Rounding(StrEnum):
    MIDPOINT = "midpoint"  # a unit needs 8 minutes: floor((m + 7) / 15), the CMS timed-code rule
    WHOLE = "whole"  # floor(m / 15)


# ---------------------------------------------------------------------------------------------
# Reference data


class DateRange(Struct, frozen=True, gc=False):
    start: date
    end: date | None  # None: open-ended

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class Member(Struct, frozen=True, gc=False):
    member_id: str
    payer_id: str
    birth_date: date
    subscriber_id: str | None = None
    diagnoses: tuple[str, ...] = ()
    dvr_shared_case: bool = False
    act_periods: tuple[DateRange, ...] = ()
    version: int = 1


class Staff(Struct, frozen=True, gc=False):
    provider_id: str
    staff_id: str
    role: StaffRole
    version: int = 1


class FidelityReview(Struct, frozen=True, gc=False):
    provider_id: str
    review_id: str
    score: int
    final_report_date: date
    # docs/units.md "Fidelity": a 65-73 review whose re-evaluation was asked for within
    # 180 days of its final report does not gate until the re-evaluation is recorded.
    reevaluation_requested_on: date | None = None


class Authorization(Struct, frozen=True, gc=False):
    """A YP630 authorization of units for one member with one provider."""

    authorization_id: str
    member_id: str
    provider_id: str
    payer_id: str
    start_date: date
    end_date: date
    units: int
    procedure: str = PROCEDURE
    version: int = 1

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


class EipdAuthorization(Struct, frozen=True, gc=False):
    """A DVR (EIPD) milestone authorization: while open, the milestone's activities are DVR's."""

    authorization_id: str
    member_id: str
    provider_id: str
    milestone: str  # "3-A" ... "5-C"
    start_date: date
    end_date: date | None
    version: int = 1

    def covers(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class FeeSchedule(Struct, frozen=True, gc=False):
    """Per-unit rates keyed by procedure-with-modifiers ("YP630", "YP630:BC")."""

    payer_id: str
    effective_from: date
    rates: tuple[tuple[str, Decimal], ...]

    def rate(self, procedure_key: str) -> Decimal | None:
        for key, value in self.rates:
            if key == procedure_key:
                return value
        return None


# ---------------------------------------------------------------------------------------------
# Service events and their adjudication


class ServiceEvent(Struct, frozen=True, gc=False):
    event_id: str
    member_id: str
    provider_id: str
    staff_id: str
    service_date: date
    start_time: time
    end_time: time
    activity: Activity
    contact: Contact
    setting: Setting
    place_of_service: str = "99"
    note_id: str | None = None
    voided: bool = False
    version: int = 1

    @property
    def minutes(self) -> int:
        return (self.end_time.hour * 60 + self.end_time.minute) - (
            self.start_time.hour * 60 + self.start_time.minute
        )

    @property
    def start_minute(self) -> int:
        return self.start_time.hour * 60 + self.start_time.minute

    @property
    def end_minute(self) -> int:
        return self.end_time.hour * 60 + self.end_time.minute


class Reason(Struct, frozen=True, gc=False):
    code: ReasonCode
    minutes: int
    detail: str


class Adjudication(Struct, frozen=True, gc=False):
    """What became of one event's minutes: minutes == billable_minutes + sum(reason minutes)."""

    event_id: str
    event_version: int
    status: EventStatus
    minutes: int
    billable_minutes: int
    reasons: tuple[Reason, ...] = ()
    procedure: str = PROCEDURE
    modifiers: tuple[str, ...] = ()


class UnitLine(Struct, frozen=True, gc=False):
    """One claim line's worth: a member, provider, date of service and procedure-with-modifiers.

    ``units`` are the billable units (after rounding, cap and authorization); ``held_units`` wait
    for something (a note, an authorization, member data, a rate). ``auth_units`` are the units
    that count against the first-64 allowance and against authorizations (see the engine).
    """

    member_id: str
    provider_id: str
    payer_id: str
    service_date: date
    procedure: str
    modifiers: tuple[str, ...]
    minutes: int
    units: int
    held_units: int
    status: LineStatus
    event_ids: tuple[str, ...]
    rate: Decimal | None
    charge: Decimal
    hold_reason: ReasonCode | None = None
    authorization_id: str | None = None
    auth_units: int = 0
    # When a line draws from more than one authorization (docs/units.md, "Overlapping
    # authorizations"): every (authorization_id, units) drawn, in drawing order; else ().
    authorization_draws: tuple[tuple[str, int], ...] = ()

    @property
    def procedure_key(self) -> str:
        return ":".join((self.procedure, *self.modifiers))


class UnitCounters(Struct, frozen=True, gc=False):
    """Units counted before the first re-adjudicated date: the engine need not see history.

    ``by_provider``: units with each provider (toward the first-64 allowance);
    ``by_authorization``: units drawn from each authorization.
    """

    by_provider: tuple[tuple[str, int], ...] = ()
    by_authorization: tuple[tuple[str, int], ...] = ()


class RuleSettings(Struct, frozen=True, gc=False):
    """The payer-profile keys the units engine reads (billing-rules.md, ``profile.<key>``)."""

    rounding: Rounding = Rounding.MIDPOINT
    daily_unit_cap: int = 32
    units_without_authorization: int = 64
    timely_filing_days: int = 90
    minimum_fidelity_score: int = 74
    minimum_age: int = 16
    # docs/units.md "Fidelity": the lowest score a re-evaluation request defers, and the
    # days after the final report within which the request must fall.
    reevaluation_floor_score: int = 65
    reevaluation_window_days: int = 180
    # docs/units.md "Real minutes": the payer's zone (an IANA name; the core uses zoneinfo).
    time_zone: str = "America/New_York"
    # docs/units.md "Facility settings": CMS place-of-service codes never billed.
    excluded_places_of_service: frozenset[str] = field(default_factory=facility_places_of_service)


class MemberContext(Struct, frozen=True, gc=False):
    """Everything the engine needs to adjudicate one member's events."""

    member: Member
    settings: RuleSettings
    staff: tuple[Staff, ...] = ()
    fidelity_reviews: tuple[FidelityReview, ...] = ()
    authorizations: tuple[Authorization, ...] = ()  # every YP630 authorization of the member
    eipd_authorizations: tuple[EipdAuthorization, ...] = ()
    fee_schedules: tuple[FeeSchedule, ...] = ()  # the member's payer's, any order
    counters: UnitCounters = field(default_factory=UnitCounters)


class MemberResult(Struct, frozen=True, gc=False):
    adjudications: tuple[Adjudication, ...]
    lines: tuple[UnitLine, ...]

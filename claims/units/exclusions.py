"""Rules that exclude a whole event (billing-rules.md 1.1.2 and 1.2).

Each rule answers (reason code, detail) or None. The first rule that applies wins, in the order
of ``RULES``, and every minute of the event goes under that one reason: an excluded event takes
no further part in the day (no overlap, no line).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from claims.fidelity import gating_detail
from claims.model import NON_BILLABLE_ACTIVITIES, Contact, ReasonCode, ServiceEvent, Setting
from claims.units.lookup import MemberLookup

Finding = tuple[ReasonCode, str] | None
Rule = Callable[[ServiceEvent, date, MemberLookup], Finding]


def _non_billable_activity(event: ServiceEvent, day: date, look: MemberLookup) -> Finding:
    # YP630 def., Service Exclusions k and l: IPS "cannot be billed for meetings, paperwork,
    # documentation, or travel time"; collateral and employer contacts are not with the person.
    if event.activity in NON_BILLABLE_ACTIVITIES:
        return ReasonCode.NON_BILLABLE_ACTIVITY, f"{event.activity.value} is not direct service"
    return None


def _no_direct_contact(event: ServiceEvent, day: date, look: MemberLookup) -> Finding:
    # YP630 def.: "Service can only be billed when providing direct service to the individual".
    if event.contact is Contact.NONE:
        return ReasonCode.NO_DIRECT_CONTACT, "no direct contact with the member"
    return None


def _group_setting(event: ServiceEvent, day: date, look: MemberLookup) -> Finding:
    # YP630 def.: "All IPS services are provided on an individual basis ... not in groups".
    if event.setting is Setting.GROUP:
        return ReasonCode.GROUP_SETTING, "services in a group are not billable"
    return None


def _member_under_16(event: ServiceEvent, day: date, look: MemberLookup) -> Finding:
    # YP630 def., Eligibility: "individuals 16 years and older".
    if not look.age_reached(day):
        return ReasonCode.MEMBER_UNDER_16, f"member under {look.settings.minimum_age} on {day}"
    return None


def _act_enrollment(event: ServiceEvent, day: date, look: MemberLookup) -> Finding:
    # YP630 def.: "shall not be provided during the same authorization period as ACT".
    if look.in_act(day):
        return ReasonCode.ACT_ENROLLMENT, f"member enrolled in ACT on {day}"
    return None


def _other_provider_authorized(event: ServiceEvent, day: date, look: MemberLookup) -> Finding:
    # YP630 def.: "only one IPS provider organization during any active authorization period".
    auth = look.other_provider_authorization(event.provider_id, day)
    if auth is not None:
        detail = (
            f"authorization {auth.authorization_id} of provider {auth.provider_id} covers {day}"
        )
        return ReasonCode.OTHER_PROVIDER_AUTHORIZED, detail
    return None


def _fidelity_below_minimum(event: ServiceEvent, day: date, look: MemberLookup) -> Finding:
    # YP630 def., Fidelity Evaluation: "must score a minimum of 74 ... to continue to bill State
    # funds". A review is in force from its final report date; no review yet: may bill; a
    # requested re-evaluation defers a 65-73 score (docs/units.md, "Fidelity").
    review = look.review_in_force(event.provider_id, day)
    if review is not None:
        return ReasonCode.FIDELITY_BELOW_MINIMUM, gating_detail(review, look.settings)
    return None


def _staff_role_not_billable(event: ServiceEvent, day: date, look: MemberLookup) -> Finding:
    # YP630 def., Staffing: the Program Assistant keeps records, reports, calls and
    # authorization requests, administrative work that "cannot be billed" (docs/units.md).
    staff = look.not_billing_staff  # most providers have no Program Assistant on record
    if staff and (event.provider_id, event.staff_id) in staff:
        return ReasonCode.STAFF_ROLE_NOT_BILLABLE, f"staff {event.staff_id} is a Program Assistant"
    return None


def _facility_setting(event: ServiceEvent, day: date, look: MemberLookup) -> Finding:
    # YP630 def.: "not in groups, facilities, and/or congregate settings" (billing-rules 1.5).
    if event.place_of_service in look.facilities:
        detail = f"place of service {event.place_of_service} is a facility or congregate setting"
        return ReasonCode.FACILITY_SETTING, detail
    return None


def _dvr_milestone_overlap(event: ServiceEvent, day: date, look: MemberLookup) -> Finding:
    # YP630 def., Service Exclusions: for a DVR shared case "State funds will only reimburse for
    # services not covered in a DVR milestone"; EPM services stay state-funded (table 1.3).
    if not look.eipd or look.state_funded_role(event.provider_id, event.staff_id):
        return None
    auth = look.dvr_milestone(day, event.activity)
    if auth is not None:
        milestone = f"EIPD milestone {auth.milestone} ({auth.authorization_id})"
        detail = f"{milestone} covers {event.activity.value}"
        return ReasonCode.DVR_MILESTONE_OVERLAP, detail
    return None


# First match wins, in this order (billing-rules 1.1.2, then table 1.2). The first five read
# only the event (and the staff member's role); the next four only the date and provider, so
# they are answered once per provider and day; the DVR rule reads the activity and staff as well.
EVENT_RULES: tuple[Rule, ...] = (
    _non_billable_activity,
    _no_direct_contact,
    _group_setting,
    _facility_setting,
    _staff_role_not_billable,
)
DAY_RULES: tuple[Rule, ...] = (
    _member_under_16,
    _act_enrollment,
    _other_provider_authorized,
    _fidelity_below_minimum,
)
ACTIVITY_RULES: tuple[Rule, ...] = (_dvr_milestone_overlap,)
RULES: tuple[Rule, ...] = (*EVENT_RULES, *DAY_RULES, *ACTIVITY_RULES)


class Exclusions:
    """``RULES`` in order for one member, the day rules' answers memoised per date and provider."""

    __slots__ = ("look", "_days")

    def __init__(self, look: MemberLookup) -> None:
        self.look = look
        self._days: dict[tuple[date, str], Finding] = {}

    def first(self, event: ServiceEvent, day: date) -> Finding:
        look = self.look
        finding = _first_of(EVENT_RULES, event, day, look)
        if finding is not None:
            return finding
        key = (day, event.provider_id)
        if key in self._days:
            finding = self._days[key]
        else:
            finding = self._days[key] = _first_of(DAY_RULES, event, day, look)
        if finding is not None:
            return finding
        return _first_of(ACTIVITY_RULES, event, day, look)


def _first_of(
    rules: tuple[Rule, ...], event: ServiceEvent, day: date, look: MemberLookup
) -> Finding:
    """The finding of the first of ``rules`` that applies to the event, else None."""
    for rule in rules:
        finding = rule(event, day, look)
        if finding is not None:
            return finding
    return None

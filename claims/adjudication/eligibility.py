"""Who-and-when rules that exclude a whole event (billing-rules.md 1.1.2 and 1.2).

Each rule answers the reason code and a detail, or None. The first rule that applies wins, in
the order of ``RULES``; an excluded event takes no further part in the day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from claims.adjudication.dvr import DvrOverlapTable
from claims.model import (
    NON_BILLABLE_ACTIVITIES,
    Authorization,
    Contact,
    EipdAuthorization,
    FidelityReview,
    MemberContext,
    ReasonCode,
    ServiceEvent,
    Setting,
    StaffRole,
)

Finding = tuple[ReasonCode, str] | None


@dataclass(frozen=True, slots=True)
class Lookup:
    """The member context indexed once per adjudication, so each rule is a cheap look-up."""

    context: MemberContext
    roles: dict[tuple[str, str], StaffRole]
    reviews: dict[str, tuple[FidelityReview, ...]]  # by provider, newest first
    authorizations: tuple[Authorization, ...]
    eipd: tuple[EipdAuthorization, ...]
    dvr: DvrOverlapTable
    # Findings of the rules that depend only on the provider and the date, computed once each.
    by_provider_day: dict[tuple[str, date], Finding] = field(default_factory=dict)

    @classmethod
    def build(cls, context: MemberContext, dvr: DvrOverlapTable) -> Lookup:
        reviews: dict[str, list[FidelityReview]] = {}
        for review in context.fidelity_reviews:
            reviews.setdefault(review.provider_id, []).append(review)
        return cls(
            context=context,
            roles={(s.provider_id, s.staff_id): s.role for s in context.staff},
            reviews={
                p: tuple(sorted(r, key=lambda x: (x.final_report_date, x.review_id), reverse=True))
                for p, r in reviews.items()
            },
            authorizations=tuple(
                sorted(context.authorizations, key=lambda a: (a.start_date, a.authorization_id))
            ),
            eipd=tuple(
                a for a in context.eipd_authorizations if a.member_id == context.member.member_id
            ),
            dvr=dvr,
        )

    def authorization_for(self, provider_id: str, day: date) -> Authorization | None:
        for auth in self.authorizations:
            if auth.provider_id == provider_id and auth.covers(day):
                return auth
        return None


def _activity(event: ServiceEvent, _: Lookup) -> Finding:
    # YP630 def., Service Exclusions k and l: "cannot be billed for meetings, paperwork,
    # documentation, or travel time"; collateral contacts are not with the individual.
    if event.activity in NON_BILLABLE_ACTIVITIES:
        return ReasonCode.NON_BILLABLE_ACTIVITY, f"{event.activity.value} is not direct service"
    return None


def _contact(event: ServiceEvent, _: Lookup) -> Finding:
    if event.contact is Contact.NONE:
        return ReasonCode.NO_DIRECT_CONTACT, "no contact with the individual"
    return None


def _group(event: ServiceEvent, _: Lookup) -> Finding:
    # YP630 def.: "All IPS services are provided on an individual basis ... not in groups".
    if event.setting is Setting.GROUP:
        return ReasonCode.GROUP_SETTING, "IPS is billed for individual services only"
    return None


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _age(event: ServiceEvent, look: Lookup) -> Finding:
    # YP630 def., Eligibility: individuals 16 and older. A birthday on the date counts.
    minimum = look.context.settings.minimum_age
    if age_on(look.context.member.birth_date, event.service_date) < minimum:
        return ReasonCode.MEMBER_UNDER_16, f"member under {minimum} on {event.service_date}"
    return None


def _act(event: ServiceEvent, look: Lookup) -> Finding:
    # YP630 def.: IPS "shall not be provided during the same authorization period as ACT".
    if any(period.covers(event.service_date) for period in look.context.member.act_periods):
        return ReasonCode.ACT_ENROLLMENT, f"member enrolled in ACT on {event.service_date}"
    return None


def _other_provider(event: ServiceEvent, look: Lookup) -> Finding:
    # YP630 def.: "only one IPS provider organization during any active authorization period".
    # A provider holding its own authorization for the date is not the "other" one.
    if look.authorization_for(event.provider_id, event.service_date) is not None:
        return None
    for auth in look.authorizations:
        if auth.provider_id != event.provider_id and auth.covers(event.service_date):
            return (
                ReasonCode.OTHER_PROVIDER_AUTHORIZED,
                f"authorization {auth.authorization_id} of another provider covers the date",
            )
    return None


def _fidelity(event: ServiceEvent, look: Lookup) -> Finding:
    # YP630 def., Fidelity Evaluation: "must score a minimum of 74 ... to continue to bill State
    # funds". A review is in force from its final report date; no review yet: may bill.
    for review in look.reviews.get(event.provider_id, ()):
        if review.final_report_date <= event.service_date:
            if review.score < look.context.settings.minimum_fidelity_score:
                return (
                    ReasonCode.FIDELITY_BELOW_MINIMUM,
                    f"fidelity review of {review.final_report_date} scored {review.score}",
                )
            return None
    return None


def _dvr(event: ServiceEvent, look: Lookup) -> Finding:
    # YP630 def., Service Exclusions: "State funds will only reimburse for services not covered
    # in a DVR milestone"; EPM services stay state-funded (table 1.3, claims/data).
    if not look.context.member.dvr_shared_case:
        return None
    if look.roles.get((event.provider_id, event.staff_id)) in look.dvr.state_funded_roles:
        return None
    for auth in look.eipd:
        if auth.covers(event.service_date) and look.dvr.covers(auth.milestone, event.activity):
            return (
                ReasonCode.DVR_MILESTONE_OVERLAP,
                f"EIPD milestone {auth.milestone} ({auth.authorization_id}) covers "
                f"{event.activity.value}",
            )
    return None


EVENT_RULES: tuple[Callable[[ServiceEvent, Lookup], Finding], ...] = (_activity, _contact, _group)
# These four read only the event's provider and date: one answer per provider-day.
PROVIDER_DAY_RULES: tuple[Callable[[ServiceEvent, Lookup], Finding], ...] = (
    _age,
    _act,
    _other_provider,
    _fidelity,
)
RULES = EVENT_RULES + PROVIDER_DAY_RULES + (_dvr,)


_UNSEEN: Finding = (ReasonCode.VOIDED, "not looked up yet")  # a sentinel, never returned


def exclusion(event: ServiceEvent, look: Lookup) -> Finding:
    """The first rule of ``RULES`` that applies, in that order."""
    if (
        event.activity in NON_BILLABLE_ACTIVITIES
        or event.contact is Contact.NONE
        or event.setting is Setting.GROUP
    ):
        return _first(event, look, EVENT_RULES)
    key = (event.provider_id, event.service_date)
    finding = look.by_provider_day.get(key, _UNSEEN)
    if finding is _UNSEEN:
        finding = look.by_provider_day[key] = _first(event, look, PROVIDER_DAY_RULES)
    if finding is not None or not look.context.member.dvr_shared_case:
        return finding
    return _dvr(event, look)


def _first(
    event: ServiceEvent, look: Lookup, rules: tuple[Callable[[ServiceEvent, Lookup], Finding], ...]
) -> Finding:
    for rule in rules:
        finding = rule(event, look)
        if finding is not None:
            return finding
    return None

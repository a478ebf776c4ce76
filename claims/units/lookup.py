"""The member context indexed once per adjudication, so each rule is a cheap look-up.

Date-keyed answers are memoised per call: a member's events cluster on a few dates and the same
question (which review is in force, which rate applies) recurs for every event of the day.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from decimal import Decimal
from functools import lru_cache

from claims.fidelity import FidelityGate
from claims.model import (
    PROCEDURE,
    Activity,
    Authorization,
    EipdAuthorization,
    FeeSchedule,
    FidelityReview,
    MemberContext,
    StaffRole,
)
from claims.money import line_charge, to_money
from claims.units.dvr import DvrOverlapTable

ZERO = to_money(0)
# Few distinct (units, rate) pairs recur across all members: each is worked out once.
_line_charge = lru_cache(maxsize=4096)(line_charge)


class MemberLookup:
    __slots__ = (
        "context", "settings", "roles", "fidelity", "authorizations", "eipd",
        "dvr", "fee_dates", "fee_rates", "member_data_missing", "member_id", "payer_id",
        "own", "not_billing_staff", "facilities",
    )  # fmt: skip

    def __init__(self, context: MemberContext, dvr: DvrOverlapTable) -> None:
        member = context.member
        self.context = context
        self.settings = context.settings
        self.roles = {(s.provider_id, s.staff_id): s.role for s in context.staff}
        self.fidelity = FidelityGate(context.fidelity_reviews, context.settings)
        # docs/units.md "Who bills": a Program Assistant's duties are administrative.
        self.not_billing_staff = frozenset(
            (s.provider_id, s.staff_id) for s in context.staff if s.role is StaffRole.PA
        )
        self.facilities = context.settings.excluded_places_of_service
        self.authorizations = _own_yp630(context.authorizations, member.member_id)
        self.eipd = _open_eipd(
            context.eipd_authorizations, member.member_id, member.dvr_shared_case
        )
        self.dvr = dvr
        fees: list[FeeSchedule] = sorted(context.fee_schedules, key=lambda f: f.effective_from)
        self.fee_dates = [f.effective_from for f in fees]
        # reversed: a key listed twice keeps its first rate, as FeeSchedule.rate reads it.
        self.fee_rates = [dict(reversed(f.rates)) for f in fees]
        # Attachment A: the 837P needs an ICD-10-CM code and the member's subscriber id.
        self.member_data_missing = not member.diagnoses or not member.subscriber_id
        self.member_id, self.payer_id = member.member_id, member.payer_id
        # Each provider's own authorizations in drawing order: the earliest end date first
        # (docs/units.md, "Overlapping authorizations"; see holds.authorize).
        self.own: dict[str, tuple[Authorization, ...]] = {}
        for auth in sorted(self.authorizations, key=_drawing_order):
            self.own[auth.provider_id] = (*self.own.get(auth.provider_id, ()), auth)

    def age_reached(self, day: date) -> bool:
        """Age on the date of service >= minimum_age; a birthday on the date counts as reached."""
        born = self.context.member.birth_date
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return age >= self.settings.minimum_age

    def in_act(self, day: date) -> bool:
        periods = self.context.member.act_periods
        # Most members have none: no generator is made for them.
        return bool(periods) and any(period.covers(day) for period in periods)

    def other_provider_authorization(self, provider_id: str, day: date) -> Authorization | None:
        for auth in self.authorizations:
            if auth.provider_id != provider_id and auth.start_date <= day <= auth.end_date:
                return auth
        return None

    def charge(self, units: int, rate: Decimal | None) -> Decimal:
        """billing-rules 1.4: units x rate, two places, half-up."""
        return ZERO if rate is None else _line_charge(units, rate)

    def review_in_force(self, provider_id: str, day: date) -> FidelityReview | None:
        """The review in force on the date of service when it stops billing (claims/fidelity)."""
        return self.fidelity.gating(provider_id, day)

    def dvr_milestone(self, day: date, activity: Activity) -> EipdAuthorization | None:
        for auth in self.eipd:
            if auth.covers(day) and activity in self.dvr.covered(auth.milestone):
                return auth
        return None

    def state_funded_role(self, provider_id: str, staff_id: str) -> bool:
        # Unknown staff cannot be shown to be an EPM, so their time is not exempted.
        role: StaffRole | None = self.roles.get((provider_id, staff_id))
        return role is not None and role in self.dvr.state_funded_roles

    def rate(self, day: date, key: str) -> Decimal | None:
        # billing-rules 1.4: the schedule in effect is the one with the latest effective_from
        # on or before the date; an older schedule's rate does not stand in for a missing one.
        index = bisect_right(self.fee_dates, day)
        return self.fee_rates[index - 1].get(key) if index else None


def _drawing_order(auth: Authorization) -> tuple[date, date, str]:
    return (auth.end_date, auth.start_date, auth.authorization_id)


def _own_yp630(auths: tuple[Authorization, ...], member_id: str) -> tuple[Authorization, ...]:
    mine = (a for a in auths if a.member_id == member_id and a.procedure == PROCEDURE)
    return tuple(sorted(mine, key=lambda a: (a.start_date, a.authorization_id)))


def _open_eipd(
    auths: tuple[EipdAuthorization, ...], member_id: str, shared_case: bool
) -> tuple[EipdAuthorization, ...]:
    # The DVR overlap rule applies only to a DVR shared case (YP630 def., Service Exclusions).
    if not shared_case:
        return ()
    mine = (a for a in auths if a.member_id == member_id)
    return tuple(sorted(mine, key=lambda a: (a.start_date, a.authorization_id)))

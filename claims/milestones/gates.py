"""What keeps an earned milestone off an invoice (docs/milestones.md, "Earned but waiting").

Fidelity gates milestones as it gates units (YP630 def., Fidelity Evaluation: "a minimum of 74
... to continue to bill State funds and DVR milestones"), and an EIPD milestone is invoiced only
under an EIPD authorization for that milestone whose period covers the earned date.
"""

from __future__ import annotations

from msgspec import Struct, field

from claims.fidelity import FidelityGate, gating_detail
from claims.milestones.catalog import PayerKind
from claims.milestones.results import EarnedMilestone
from claims.model import EipdAuthorization, FidelityReview, RuleSettings


class MilestoneGates(Struct, frozen=True, gc=False):
    """The member's providers' fidelity reviews and the member's EIPD authorizations."""

    fidelity_reviews: tuple[FidelityReview, ...] = ()
    eipd_authorizations: tuple[EipdAuthorization, ...] = ()
    settings: RuleSettings = field(default_factory=RuleSettings)


class Gatekeeper:
    __slots__ = ("fidelity", "settings", "eipd")

    def __init__(self, gates: MilestoneGates) -> None:
        self.fidelity = FidelityGate(gates.fidelity_reviews, gates.settings)
        self.settings = gates.settings
        self.eipd = gates.eipd_authorizations

    def authorization(self, e: EarnedMilestone) -> EipdAuthorization | None:
        """The EIPD authorization of this milestone, member and provider covering the earned
        date; the latest-starting one when several overlap."""
        covering = [
            a for a in self.eipd
            if a.member_id == e.member_id and a.milestone == e.milestone
            and a.provider_id == e.provider_id and a.covers(e.earned_on)
        ]  # fmt: skip
        return max(covering, key=lambda a: (a.start_date, a.authorization_id), default=None)

    def waiting(self, e: EarnedMilestone) -> tuple[tuple[str, ...], str | None]:
        """Why the occurrence is not invoiced yet (plain English), and its EIPD authorization."""
        reasons: list[str] = []
        review = self.fidelity.gating(e.provider_id, e.earned_on)
        if review is not None:
            reasons.append(gating_detail(review, self.settings))
        auth = None
        if e.payer_kind is PayerKind.EIPD:
            auth = self.authorization(e)
            if auth is None:
                reasons.append(
                    f"no EIPD authorization for milestone {e.milestone} covering "
                    f"{e.earned_on.isoformat()}"
                )
        return tuple(reasons), auth.authorization_id if auth else None

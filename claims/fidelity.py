"""Which fidelity review stops a provider billing on a date (docs/units.md, "Fidelity").

YP630 def., Fidelity Evaluation: a team "must score a minimum of 74 ... to continue to bill State
funds and DVR milestones"; a 65-73 team's re-evaluation is "scheduled within 180 days", and "If an
IPS team's second score falls below the 74 ... they will not be eligible to bill State funds".
Units (claims/units) and milestones (claims/milestones) both ask :meth:`FidelityGate.gating`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, timedelta

from claims.model import FidelityReview, RuleSettings


class FidelityGate:
    """Each provider's reviews in final-report order, each marked gating or not once."""

    __slots__ = ("_dates", "_gating")

    def __init__(self, reviews: Iterable[FidelityReview], settings: RuleSettings) -> None:
        self._dates: dict[str, list[date]] = {}
        self._gating: dict[str, list[FidelityReview | None]] = {}
        last: dict[str, FidelityReview] = {}
        # Same-day reviews: the higher review_id is taken as the later one (a stable answer).
        for review in sorted(reviews, key=lambda r: (r.final_report_date, r.review_id)):
            prior = last.get(review.provider_id)
            # A re-evaluation (the review after a deferred one) is never deferred itself.
            deferred = _deferred(review, settings) and not (
                prior is not None and _deferred(prior, settings)
            )
            stops = review.score < settings.minimum_fidelity_score and not deferred
            self._dates.setdefault(review.provider_id, []).append(review.final_report_date)
            self._gating.setdefault(review.provider_id, []).append(review if stops else None)
            last[review.provider_id] = review

    def gating(self, provider_id: str, day: date) -> FidelityReview | None:
        """The review in force on ``day`` (the latest whose final report is dated on or before
        it) when it stops billing; None when the provider may bill (also with no review yet)."""
        dates = self._dates.get(provider_id)
        if not dates:
            return None
        index = bisect_right(dates, day)
        return self._gating[provider_id][index - 1] if index else None


def _deferred(review: FidelityReview, settings: RuleSettings) -> bool:
    """A 65-73 review whose re-evaluation was asked for within the window after its report."""
    asked = review.reevaluation_requested_on
    if asked is None or not settings.reevaluation_floor_score <= review.score:
        return False
    if review.score >= settings.minimum_fidelity_score:
        return False
    window = timedelta(days=settings.reevaluation_window_days)
    return review.final_report_date <= asked <= review.final_report_date + window


def gating_detail(review: FidelityReview, settings: RuleSettings) -> str:
    return (
        f"fidelity review {review.review_id} scored {review.score}, below "
        f"{settings.minimum_fidelity_score} (in force from {review.final_report_date.isoformat()})"
    )

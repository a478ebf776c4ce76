"""15-minute units (billing-rules.md 1.1.3 and 1.1.5)."""

from __future__ import annotations

from claims.model import BC_MODIFIER, PROCEDURE, Activity, Rounding

UNIT_MINUTES = 15  # YP630 def., Attachment A: "1 unit = 15 minutes"
_BC: tuple[str, ...] = (BC_MODIFIER,)
_KEYS = {(): PROCEDURE, _BC: f"{PROCEDURE}:{BC_MODIFIER}"}  # the two procedure keys lines use


def units_for_minutes(minutes: int, rounding: Rounding) -> int:
    """Units for a line's day total of minutes under ``profile.rounding``."""
    if minutes <= 0:
        return 0
    if rounding is Rounding.MIDPOINT:
        # A unit needs 8 or more minutes: the CMS/CPT timed-code rule.
        return (minutes + 7) // UNIT_MINUTES
    return minutes // UNIT_MINUTES


def modifiers_for(activity: Activity) -> tuple[str, ...]:
    # YP630 def., Attachment A: "Modifier must be utilized when billing for Benefits Counseling".
    return _BC if activity is Activity.BENEFITS_COUNSELING else ()


def procedure_key(modifiers: tuple[str, ...]) -> str:
    """The fee-schedule key: "YP630" or "YP630:BC"."""
    return _KEYS.get(modifiers) or ":".join((PROCEDURE, *modifiers))

"""The YP630 units rules engine (billing-rules.md section 1): events in, explained units out.

The service layer calls ``adjudicate_member`` per member (events from a first date onward plus
a ``MemberContext`` with counters from before that date); the claims stage calls
``apply_timely_filing`` (or ``apply_timely_filing_to_result``) with its ``today``.
"""

from claims.units.dvr import DvrOverlapTable, load_dvr_overlap, parse_dvr_overlap
from claims.units.engine import adjudicate_member
from claims.units.rounding import UNIT_MINUTES, units_for_minutes
from claims.units.timely import (
    apply_timely_filing,
    apply_timely_filing_to_result,
    expire_adjudication,
    filing_deadline_passed,
)

__all__ = [
    "UNIT_MINUTES",
    "DvrOverlapTable",
    "adjudicate_member",
    "apply_timely_filing",
    "apply_timely_filing_to_result",
    "expire_adjudication",
    "filing_deadline_passed",
    "load_dvr_overlap",
    "parse_dvr_overlap",
    "units_for_minutes",
]

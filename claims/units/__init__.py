"""The YP630 units rules engine (billing-rules.md section 1): events in, explained units out.

The service layer calls ``adjudicate_member`` per member (events from a first date onward plus
a ``MemberContext`` with counters from before that date); a claim batch asks
``filing_cutoff`` for the timely-filing cut-off on its ``today`` (claims.units.timely).
"""

from claims.units.dvr import DvrOverlapTable, load_dvr_overlap, parse_dvr_overlap
from claims.units.engine import adjudicate_member
from claims.units.rounding import UNIT_MINUTES, units_for_minutes
from claims.units.timely import (
    expire_adjudication,
    filing_cutoff,
    filing_deadline_passed,
)

__all__ = [
    "UNIT_MINUTES",
    "DvrOverlapTable",
    "adjudicate_member",
    "expire_adjudication",
    "filing_cutoff",
    "filing_deadline_passed",
    "load_dvr_overlap",
    "parse_dvr_overlap",
    "units_for_minutes",
]

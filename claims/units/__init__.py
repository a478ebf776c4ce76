"""The YP630 units rules engine (billing-rules.md section 1): events in, explained units out.

The service layer calls ``adjudicate_member`` per member (events from a first date onward plus
a ``MemberContext`` with counters from before that date); a claim batch asks
``filing_cutoff`` for the timely-filing cut-off on its ``today`` (claims.units.timely).

The hot paths read enum members through module constants (``_BILLABLE = EventStatus.BILLABLE``)
because on CPython 3.11 ``EnumType`` defines ``__getattr__``, which takes every
``EventStatus.BILLABLE`` read off the fast path: about 100 ns a read, 6% of the engine's
instructions (callgrind, bench/engine.py's caseload).
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

"""The YP630 units rules engine (billing-rules.md section 1): events in, explained units out."""

from claims.adjudication.day import units_for_minutes
from claims.adjudication.dvr import DvrOverlapTable, load_dvr_overlap, parse_dvr_overlap
from claims.adjudication.engine import adjudicate_member

__all__ = [
    "DvrOverlapTable",
    "adjudicate_member",
    "load_dvr_overlap",
    "parse_dvr_overlap",
    "units_for_minutes",
]

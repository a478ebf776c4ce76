"""NC CORE milestones: the catalog (data), the evidence kinds, the engine and invoice planning.

Source: NC DHHS "NC CORE Milestones and Expectations" (seeds/004), billing-rules.md section 3.
"""

from claims.milestones.catalog import (
    Frequency,
    MilestoneCatalog,
    MilestoneDef,
    PayerKind,
    load_catalog,
    parse_catalog,
)
from claims.milestones.engine import evaluate_member
from claims.milestones.evidence import (
    EVIDENCE_FIELDS,
    EvidenceKind,
    MilestoneEvidence,
    validate_fields,
)
from claims.milestones.gates import MilestoneGates
from claims.milestones.invoicing import InvoicedOccurrence, LineKind, PlannedLine, plan_invoice
from claims.milestones.results import (
    EarnedMilestone,
    MemberMilestones,
    MilestoneProgress,
    OccurrenceKey,
)

__all__ = [
    "EVIDENCE_FIELDS",
    "EarnedMilestone",
    "EvidenceKind",
    "Frequency",
    "InvoicedOccurrence",
    "LineKind",
    "MemberMilestones",
    "MilestoneCatalog",
    "MilestoneDef",
    "MilestoneEvidence",
    "MilestoneGates",
    "MilestoneProgress",
    "OccurrenceKey",
    "PayerKind",
    "PlannedLine",
    "evaluate_member",
    "load_catalog",
    "parse_catalog",
    "plan_invoice",
    "validate_fields",
]

"""Every ORM model, in one package, so Alembic and the repositories see one metadata."""

from service.models.access import ApiKey, AuditEntry
from service.models.base import Base
from service.models.claims import (
    Claim,
    ClaimBatch,
    ClaimBatchPart,
    ClaimHistory,
    ClaimLine,
    ClaimTotal,
    ControlCounter,
    InboundFile,
)
from service.models.console import ConsoleSession, ConsoleUser
from service.models.events import ServiceEvent, UnitCounter, UnitLine
from service.models.jobs import Job
from service.models.milestones import Invoice, InvoiceLine, InvoicePayment, MilestoneEvidence
from service.models.reference import (
    Authorization,
    EipdAuthorization,
    FeeSchedule,
    FidelityReview,
    Member,
    Payer,
    Provider,
    RecordVersion,
    Staff,
)
from service.models.remittance import ProviderAdjustmentRow, RemittanceException

__all__ = [
    "ProviderAdjustmentRow",
    "RemittanceException",
    "ApiKey",
    "AuditEntry",
    "Authorization",
    "Base",
    "Claim",
    "ClaimBatch",
    "ClaimBatchPart",
    "ClaimHistory",
    "ClaimLine",
    "ClaimTotal",
    "ConsoleSession",
    "ConsoleUser",
    "ControlCounter",
    "EipdAuthorization",
    "FeeSchedule",
    "FidelityReview",
    "InboundFile",
    "Invoice",
    "InvoiceLine",
    "InvoicePayment",
    "Job",
    "Member",
    "MilestoneEvidence",
    "Payer",
    "Provider",
    "RecordVersion",
    "ServiceEvent",
    "Staff",
    "UnitCounter",
    "UnitLine",
]

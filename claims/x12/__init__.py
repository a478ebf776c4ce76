"""837P (005010X222A1) claims: grouping, the writer and the release checks.

The service calls ``group_lines`` / ``claim_id`` to plan claims, ``write_837p`` to write a batch
and ``validate_837p`` before releasing it; ``npi_is_valid`` checks a provider's NPI at PUT time.
"""

from claims.identifiers import npi_is_valid
from claims.x12.build import claim_id, group_lines, transactions_needed
from claims.x12.model import (
    Address,
    BatchInput,
    BillingProvider,
    ClaimGroup,
    ClaimInput,
    ClaimLineInput,
    LineRecord,
    Problem,
    Subscriber,
    ValidationReport,
)
from claims.x12.validate import validate_837p
from claims.x12.writer import write_837p

__all__ = [
    "Address",
    "BatchInput",
    "BillingProvider",
    "ClaimGroup",
    "ClaimInput",
    "ClaimLineInput",
    "LineRecord",
    "Problem",
    "Subscriber",
    "ValidationReport",
    "claim_id",
    "group_lines",
    "npi_is_valid",
    "transactions_needed",
    "validate_837p",
    "write_837p",
]

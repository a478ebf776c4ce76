"""837P (005010X222A1) claims: grouping, the writer and the release checks.

``group_lines`` groups lines into claims (the service plans from line counts with
``build.claim_slices`` and lays out the HL tree with ``build.hl_layout``); ``write_837p`` and
``validate_837p`` write and check a whole batch (the service uses their streaming forms,
``writer.StreamWriter`` and ``stream.StreamValidator``); ``npi_is_valid`` checks an NPI.
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

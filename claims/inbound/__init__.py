"""Inbound EDI: 999, 277CA and 835 from payers read into frozen values, and a payer simulator.

The service layer calls ``parse_inbound(text)`` and ``file_digest(text)``; the frozen Structs it
gets back live in ``claims.inbound.model``. ``claims.inbound.simulate`` answers an 837P the way a
payer would, for round-trip tests and the demo.
"""

from claims.inbound.model import (
    Ack999,
    AckGroup,
    AckOutcome,
    AckTransaction,
    Adjustment,
    ClaimAck,
    ClaimStatus277,
    Envelope,
    FunctionalGroup,
    InboundFile,
    InboundKind,
    LineAck,
    ParseWarning,
    Payment,
    ProviderAdjustment,
    RemitClaim,
    RemitLine,
    RemitOutcome,
    Remittance835,
    StatusCode,
    StatusInfo,
    StatusSummary,
)
from claims.inbound.parse import file_digest, parse_inbound

__all__ = [
    "Ack999",
    "AckGroup",
    "AckOutcome",
    "AckTransaction",
    "Adjustment",
    "ClaimAck",
    "ClaimStatus277",
    "Envelope",
    "FunctionalGroup",
    "InboundFile",
    "InboundKind",
    "LineAck",
    "ParseWarning",
    "Payment",
    "ProviderAdjustment",
    "RemitClaim",
    "RemitLine",
    "RemitOutcome",
    "Remittance835",
    "StatusCode",
    "StatusInfo",
    "StatusSummary",
    "file_digest",
    "parse_inbound",
]

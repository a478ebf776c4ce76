"""The entry point for inbound EDI: tell the kind of a payer file, read it, fingerprint it."""

from __future__ import annotations

import hashlib

from claims.inbound.ack999 import parse_999
from claims.inbound.model import Ack999, ClaimStatus277, InboundFile, InboundKind, Remittance835
from claims.inbound.reader import ISA_LENGTH, Interchange, read_interchange
from claims.inbound.remit835 import parse_835
from claims.inbound.status277 import parse_277ca


def parse_inbound(text: str) -> InboundFile:
    """Read a 999, 277CA or 835; ``InvalidInput`` for anything else, or a broken envelope."""
    interchange = read_interchange(text)
    return InboundFile(interchange.kind, file_digest(text), _parse(interchange))


def _parse(interchange: Interchange) -> Ack999 | ClaimStatus277 | Remittance835:
    if interchange.kind is InboundKind.ACK_999:
        return parse_999(interchange)
    if interchange.kind is InboundKind.CLAIM_ACK_277CA:
        return parse_277ca(interchange)
    return parse_835(interchange)


def file_digest(text: str) -> str:
    """sha256 of the text without line breaks and surrounding blanks: the idempotency key.

    The same file saved with CRLF, LF, wrapped one segment per line or with a trailing newline
    hashes the same. When a file uses the line break itself as segment terminator the breaks are
    kept (only CRLF becomes LF), since they are then the file's content.
    """
    body = text.lstrip("\ufeff \t\r\n").rstrip(" \t\r\n").replace("\r\n", "\n")
    if len(body) < ISA_LENGTH or body[ISA_LENGTH - 1] not in "\r\n":
        body = body.replace("\r", "").replace("\n", "")
    return hashlib.sha256(body.encode("utf-8")).hexdigest()

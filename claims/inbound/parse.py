"""The entry point for inbound EDI: tell the kind of a payer file, read it, fingerprint it."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from claims.inbound.ack999 import parse_999
from claims.inbound.model import Document, InboundFile, InboundKind, InterchangeAcks
from claims.inbound.reader import ISA_LENGTH, Interchange, read_interchange
from claims.inbound.remit835 import parse_835
from claims.inbound.status277 import parse_277ca


def parse_inbound(text: str) -> InboundFile:
    """Read a 999, 277CA or 835; ``InvalidInput`` for anything else, or a broken envelope."""
    with _no_cycle_collection():
        interchange = read_interchange(text)
        return InboundFile(interchange.kind, file_digest(text), _parse(interchange))


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A 10 MB 835 builds about a million small acyclic values; each full pass of the cycle
    collector walks all of them, so the passes made reading grow with the square of the size
    (a 10 MB file took 2.6 times longer than five 2 MB ones). Reference counting frees them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse(interchange: Interchange) -> Document:
    if interchange.kind is InboundKind.ACK_999:
        return parse_999(interchange)
    if interchange.kind is InboundKind.CLAIM_ACK_277CA:
        return parse_277ca(interchange)
    if interchange.kind is InboundKind.INTERCHANGE_ACK:
        return InterchangeAcks(interchange.envelope, interchange.warnings)
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

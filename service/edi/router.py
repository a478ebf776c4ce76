"""``POST /v1/edi/inbound``: a raw 999, 277CA or 835 (contract, "Inbound EDI and payments")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel

from claims.errors import InvalidInput, NotFound
from service import models as orm
from service.auth.principal import Principal, Role
from service.deps import SessionDep, require
from service.edi.lists import router as lists_router
from service.edi.service import receive
from service.jobs import service as jobs
from service.jobs.inbound import enqueue_inbound
from service.jobs.schemas import JobOut
from service.schemas_common import RowIdPath

router = APIRouter(tags=["inbound EDI"])
MAX_BYTES = 50 * 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
ACCEPTED_TYPES = ("application/edi-x12", "text/plain", "application/octet-stream")


class InboundOut(BaseModel):
    kind: str  # 999, 277CA, 835, or TA1 for an interchange of TA1 segments only
    claims_updated: int  # claims whose state differs after the file (docs/edi.md)
    claim_ids: list[str]
    unmatched: list[dict[str, str]]
    duplicate: bool
    warnings: list[dict[str, Any]] = []
    exceptions: list[dict[str, Any]] = []  # 835 claim payments held back, with the checks failed
    batch_ids: list[str] = []  # batches a TA1, 999 or level-wide 277CA answered
    provider_adjustments: int = 0  # PLB amounts recorded


class InboundFileOut(InboundOut):
    """A stored file's result: what applying it did (the answer its first posting had)."""

    file_id: int
    received_at: datetime


@router.post(
    "/v1/edi/inbound",
    response_model=InboundOut,
    responses={
        202: {"model": JobOut, "description": "respond-async or a large file: a job applies it"},
        415: {"description": "the body is not an X12 file type"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/edi-x12": {
                    "schema": {"type": "string"},
                    "example": "ISA*00*          *00*          *ZZ*...",
                }
            },
        }
    },
)
async def post_inbound(
    request: Request,
    session: SessionDep,
    principal: Principal = require(Role.FINANCE),
    prefer: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    raw = await _body(request)
    text = _decoded(raw)
    if jobs.wants_async(prefer) or len(raw) > request.app.state.settings.inbound_async_bytes:
        return jobs.accepted(request, await enqueue_inbound(session, principal, text))
    return await receive(session, principal, request.app.state.profiles, text)


async def _body(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ACCEPTED_TYPES:
        raise HTTPException(415, "send the raw X12 file as application/edi-x12")
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise HTTPException(413, "an inbound file may be at most 50 MiB")
    return raw


def _decoded(raw: bytes) -> str:
    raw = raw.removeprefix(UTF8_BOM)  # some Windows tools put one in front: X12 allows it
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, "an X12 file is ASCII text; this body is not") from exc
    if "\x00" in text:  # PostgreSQL cannot store it; refused on every database alike
        at = text.index("\x00")
        raise InvalidInput(
            f"the X12 file holds a NUL character (at byte {at})",
            [(("body",), f"NUL character at byte {at}")],
        )
    return text


@router.get("/v1/edi/inbound/{file_id}", response_model=InboundFileOut)
async def get_inbound(
    session: SessionDep,
    file_id: RowIdPath,
    principal: Principal = require(Role.FINANCE),
) -> Any:
    """A stored file's result, seen within the scope it was posted in (docs/edi.md)."""
    row = await session.get(orm.InboundFile, file_id)
    if row is None or not sees_file(principal, row):
        raise NotFound(f"no inbound file {file_id}")
    return {**row.result, "file_id": row.id, "received_at": row.received_at}


def sees_file(principal: Principal, row: orm.InboundFile) -> bool:
    """Admin and unscoped finance keys see every file; a payer's key the files it posted."""
    scope = principal.payer_filter
    return principal.role is Role.ADMIN or scope is None or scope == row.payer_id


router.include_router(lists_router)  # remittance exceptions and provider adjustments

"""The work queue of remittances a check held back (docs/edi.md, "Remittance checks" and
"Resolving an exception"): each with the checks it failed in words, and the two decisions a
finance person can take, through the same service the API's resolution route calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from claims.errors import DomainError
from service import models as orm
from service.auth.principal import Role
from service.console.web import FormDep, Refused, SignedDep, allow, export, page, refusal
from service.deps import SessionDep
from service.edi.resolution import resolve
from service.schemas_common import RowIdPath

router = APIRouter(prefix="/console", include_in_schema=False)
State = Annotated[str, Query(pattern="^(open|resolved)$")]
Format = Annotated[str | None, Query(pattern="^(csv|xlsx)$")]
PAGE_ROWS = 200
COLUMNS = ["id", "claim_id", "provider_id", "payment_trace", "charge", "paid", "failed_checks"]


@router.get("/queues/remittances")
async def remittances(
    request: Request,
    session: SessionDep,
    signed: SignedDep,
    status: State = "open",
    format: Format = None,
) -> Response:
    allow(signed, Role.FINANCE)
    table = orm.RemittanceException
    stmt = select(table).where(table.status == status)
    if signed.principal.payer_filter:
        stmt = stmt.where(table.payer_id == signed.principal.payer_filter)
    rows = (await session.execute(stmt.order_by(table.id.desc()).limit(PAGE_ROWS))).scalars()
    items = list(rows)
    if format:
        lines = [
            (r.id, r.claim_id, r.provider_id, r.payment_trace, r.charge, r.paid,
             "; ".join(c["message"] for c in r.failed_checks or []))
            for r in items
        ]  # fmt: skip
        return export(f"remittance-exceptions-{status}", COLUMNS, lines, format)
    return page(request, "remittances.html", items=items, status=status)


@router.post("/queues/remittances/{exception_id}")
async def decide(
    request: Request, session: SessionDep, signed: SignedDep, form: FormDep, exception_id: RowIdPath
) -> Response:
    allow(signed, Role.FINANCE)
    action, note = str(form.get("action", "")), str(form.get("note", "")).strip()
    if action not in ("apply", "dismiss") or not 1 <= len(note) <= 500:
        raise Refused(422, "Choose apply or dismiss, and say why in a note (1-500 characters).")
    try:
        await resolve(session, signed.principal, request.app.state.profiles, exception_id,
                      action, note)  # fmt: skip
    except DomainError as exc:
        raise refusal(exc) from exc
    return RedirectResponse("/console/queues/remittances", status_code=303)

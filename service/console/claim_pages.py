"""Claim pages for finance and providers: search, one claim, the work queues (docs/console.md).

A provider user reaches only its own claims: the same ``sees_record`` test as GET /v1/claims/{id}
and the same list filters (``payer_filter``, ``provider_filter``) as GET /v1/claims.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import or_, select

from service import models as orm
from service.claims import repository
from service.claims.schemas import ClaimStatus as ClaimStatusValue
from service.console import queries
from service.console.codes import Explained, explain, no_reason
from service.console.finance import PAGE_ROWS, Format
from service.console.web import Refused, SignedDep, export, page
from service.dbkit import rows_in
from service.deps import SessionDep, note_member

router = APIRouter(prefix="/console", include_in_schema=False)
Status = ClaimStatusValue  # the API's filter values (claims.lifecycle.ClaimStatus)
Text = Annotated[str | None, Query(max_length=64)]
CLAIM_COLUMNS = ["claim_id", "batch_id", "member_id", "provider_id", "payer_id", "service_month",
                 "frequency", "total_charge", "paid_amount", "status", "paid_on",
                 "payment_reference", "payer_claim_number"]  # fmt: skip


def _claim_row(c: orm.Claim) -> list[object]:
    return [c.claim_id, c.batch_id, c.member_id, c.provider_id, c.payer_id, c.service_month,
            c.frequency, c.total_charge, c.paid_amount, c.status,
            c.paid_on.isoformat() if c.paid_on else "", c.payment_reference or "",
            c.payer_claim_number or ""]  # fmt: skip


@router.get("/claims")
async def claim_list(
    request: Request,
    session: SessionDep,
    signed: SignedDep,
    q: Text = None,
    status: Status | None = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    format: Format = None,
) -> Response:
    """Search by member id, claim id, event id or payer claim number; filter by status."""
    claim = orm.Claim
    where = queries.scoped_claims(signed.principal)
    if q:
        from_event = await _by_event(session, q)
        where.append(
            or_(
                claim.claim_id == q,
                claim.member_id == q,
                claim.payer_claim_number == q,
                claim.claim_id.in_(from_event),
            )
        )
    if status:
        where.append(claim.status == status)
    if month:
        where.append(claim.service_month == month)
    stmt = select(claim).where(*where).order_by(claim.claim_id.desc()).limit(PAGE_ROWS)
    rows = list((await session.execute(stmt)).scalars())
    if q and len(rows) == 1 and rows[0].claim_id == q and not format:
        return RedirectResponse(f"/console/claims/{q}", status_code=303)
    if q and rows and all(r.member_id == q for r in rows):
        note_member(request, q)  # a member's claims were read: audited as that member's
    if format:
        return export("claims", CLAIM_COLUMNS, [_claim_row(c) for c in rows], format)
    return page(request, "claims.html", claims=rows, q=q or "", status=status, month=month)


async def _by_event(session: SessionDep, event_id: str) -> list[str]:
    """Claims whose lines came from an event (a JSON list: matched after a narrow read)."""
    event = await session.get(orm.ServiceEvent, event_id)
    if event is None:
        return []
    line = orm.UnitLine
    stmt = select(line.claim_id, line.event_ids).where(
        line.member_id == event.member_id,
        line.service_date == event.service_date,
        line.claim_id.is_not(None),
    )
    return [c for c, ids in (await session.execute(stmt)).all() if c and event_id in ids]


@router.get("/claims/{claim_id}")
async def claim_page(
    request: Request, session: SessionDep, signed: SignedDep, claim_id: str
) -> Response:
    claim = await session.get(orm.Claim, claim_id)
    if claim is None or not signed.principal.sees_record(claim.payer_id, claim.provider_id):
        raise Refused(404, f"No claim {claim_id}.")
    note_member(request, claim.member_id)
    lines = (await repository.lines_of(session, [claim_id])).get(claim_id, [])
    history = (await repository.history_of(session, [claim_id])).get(claim_id, [])
    event_ids = sorted({e for line in lines for e in line.event_ids})
    events = {e.event_id: e for e in await rows_in(session, orm.ServiceEvent.event_id, event_ids)}
    return page(
        request,
        "claim.html",
        claim=claim,
        lines=lines,
        history=history,
        events=events,
        codes=[explain(code) for code in _codes(claim, lines)],
        todo=_what_to_do(claim, lines),
    )


def _codes(claim: orm.Claim, lines: list[orm.ClaimLine]) -> list[str]:
    """The claim's codes, then each distinct line adjustment (the 835 says why per line)."""
    found = list(claim.status_codes)
    for line in lines:
        for adjustment in line.adjustments:
            code = f"{adjustment['group_code']}-{adjustment['reason_code']}"
            if code not in found:
                found.append(code)
    return found


def _what_to_do(claim: orm.Claim, lines: list[orm.ClaimLine]) -> Explained | None:
    """The first code that asks for work, for a claim that needs working."""
    if claim.status not in queries.TO_WORK or claim.replaced_by_claim_id:
        return None
    return _first_reason(claim, lines)


@router.get("/queues/denials")
async def denials(
    request: Request, session: SessionDep, signed: SignedDep, format: Format = None
) -> Response:
    rows = await queries.claims_to_work(session, signed.principal, PAGE_ROWS)
    lines = await repository.lines_of(session, [c.claim_id for c in rows])
    reasons = {c.claim_id: _first_reason(c, lines.get(c.claim_id, [])) for c in rows}
    if format:
        return export("denials", [*CLAIM_COLUMNS, "reason", "what_to_do"], [
            [*_claim_row(c), reasons[c.claim_id].words, reasons[c.claim_id].todo_words]
            for c in rows
        ], format)  # fmt: skip
    return page(request, "denials.html", claims=rows, reasons=reasons)


def _first_reason(claim: orm.Claim, lines: list[orm.ClaimLine]) -> Explained:
    """The code that asks for work first; else the first code; else "no reason given"."""
    codes = [explain(c) for c in _codes(claim, lines) if not c.startswith("CLP02:")]
    working = [c for c in codes if c.todo != "none"]
    return (working or codes or [no_reason()])[0]


@router.get("/queues/held")
async def held(
    request: Request,
    session: SessionDep,
    signed: SignedDep,
    reason: Text = None,
    format: Format = None,
) -> Response:
    rows = await queries.held_lines(session, signed.principal, reason, PAGE_ROWS)
    if format:
        return export("held-units", ["member_id", "provider_id", "payer_id", "service_date",
                                     "procedure", "held_units", "reason", "event_ids"], [
            [r.member_id, r.provider_id, r.payer_id, r.service_date.isoformat(), r.procedure,
             r.held_units, r.hold_reason or "", " ".join(r.event_ids)]
            for r in rows
        ], format)  # fmt: skip
    return page(
        request,
        "held.html",
        lines=rows,
        reason=reason,
        counts=await queries.held_by_reason(session, signed.principal),
    )

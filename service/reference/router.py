"""Routes for reference data (contract, "Reference data").

A write answers once its record is stored, naming in ``job_id`` the job that re-does what it
touched (null when nothing is to be re-done): re-pricing for a fee schedule, re-adjudication
for the rest, started in one place (service.jobs.service.start_readjudication).

Writers (docs/access.md): payers, fee schedules, members and authorizations are written by
admin or by the integration key of their payer; providers, their staff and fidelity reviews
serve every payer, so only admin writes them (one payer's key re-scoring a provider would
re-adjudicate every other payer's events of that provider).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import NotFound
from service import models as orm
from service.auth.principal import Principal, Role
from service.auth.visibility import visible_member
from service.deps import PrincipalDep, SessionDep, note_member, require
from service.etag import IF_MATCH
from service.jobs.service import start_readjudication, start_repricing
from service.pagination import paginate
from service.reference import schemas as s
from service.reference import service
from service.schemas_common import CursorQuery, IdPath, LimitQuery, Page
from service.units.touched import Touched
from service.versioning import Upserted

router = APIRouter(prefix="/v1", tags=["reference data"], dependencies=[IF_MATCH])
WRITERS = require(Role.INTEGRATION)
READERS = require(Role.INTEGRATION, Role.FINANCE)
PayerId = Annotated[str, IdPath()]


async def _admin_only(principal: PrincipalDep) -> Principal:
    """Shared records (providers, staff, fidelity reviews): visible to every payer's key, so
    a refused write is 403, not 404 (docs/access.md)."""
    if principal.role is not Role.ADMIN:
        raise HTTPException(
            403, "providers, their staff and fidelity reviews serve every payer: admin writes them"
        )
    return principal


SHARED_WRITERS = Depends(_admin_only)


async def _stored(
    response: Response,
    session: AsyncSession,
    result: Upserted[Any],
    out: type[BaseModel],
    job_id: str | None,
) -> dict[str, Any]:
    """The answer to a write: 201 when created, the stored record and the job that follows."""
    response.status_code = 201 if result.created else 200
    await session.refresh(result.row)
    return {**out.model_validate(result.row).model_dump(), "job_id": job_id}


@router.put(
    "/payers/{payer_id}", response_model=s.PayerStored, responses={201: {"model": s.PayerStored}}
)
async def put_payer(
    request: Request,
    response: Response,
    session: SessionDep,
    payer_id: PayerId,
    body: s.PayerIn,
    background: BackgroundTasks,
    principal: Principal = WRITERS,
) -> Any:
    touched = Touched()  # a replaced payer: every member's days (its settings move them all)
    result = await service.put_payer(
        session, principal, request.app.state.profiles, payer_id, body, touched
    )
    link = f"/v1/payers/{payer_id}"
    job_id = await start_readjudication(request, background, session, principal, touched, link)
    return await _stored(response, session, result, s.PayerOut, job_id)


@router.get("/payers/{payer_id}", response_model=s.PayerOut)
async def get_payer(session: SessionDep, payer_id: PayerId, principal: Principal = READERS) -> Any:
    payer = await session.get(orm.Payer, payer_id)
    if payer is None or not principal.sees_payer(payer_id):
        raise NotFound(f"no payer {payer_id}")
    return payer


@router.get("/payers", response_model=Page[s.PayerOut])
async def list_payers(
    session: SessionDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    principal: Principal = READERS,
) -> Any:
    stmt = select(orm.Payer)
    if principal.payer_filter:
        stmt = stmt.where(orm.Payer.payer_id == principal.payer_filter)
    rows, next_cursor = await paginate(session, stmt, [orm.Payer.payer_id], limit, cursor)
    return {"items": rows, "next_cursor": next_cursor}


@router.put(
    "/fee-schedules/{payer_id}",
    response_model=s.FeeScheduleStored,
    responses={201: {"model": s.FeeScheduleStored}},
)
async def put_fee_schedule(
    request: Request,
    response: Response,
    session: SessionDep,
    payer_id: PayerId,
    body: s.FeeScheduleIn,
    background: BackgroundTasks,
    principal: Principal = WRITERS,
) -> Any:
    result = await service.put_fee_schedule(session, principal, payer_id, body)
    job_id = await start_repricing(request, background, session, principal, payer_id, result)
    return await _stored(response, session, result, s.FeeScheduleOut, job_id)


@router.get("/fee-schedules/{payer_id}", response_model=list[s.FeeScheduleOut])
async def get_fee_schedules(
    session: SessionDep, payer_id: PayerId, principal: Principal = READERS
) -> Any:
    if not principal.sees_payer(payer_id) or await session.get(orm.Payer, payer_id) is None:
        raise NotFound(f"no payer {payer_id}")
    stmt = (
        select(orm.FeeSchedule)
        .where(orm.FeeSchedule.payer_id == payer_id)
        .order_by(orm.FeeSchedule.effective_from)
    )
    return list((await session.execute(stmt)).scalars())


@router.put(
    "/providers/{provider_id}",
    response_model=s.ProviderOut,
    responses={201: {"model": s.ProviderOut}},
)
async def put_provider(
    response: Response,
    session: SessionDep,
    provider_id: PayerId,
    body: s.ProviderIn,
    principal: Principal = SHARED_WRITERS,
) -> Any:
    # Provider details feed the 837P, not adjudication: no job ever follows (nor job_id).
    result = await service.put_provider(session, principal, provider_id, body)
    response.status_code = 201 if result.created else 200
    await session.refresh(result.row)
    return result.row


@router.get("/providers/{provider_id}", response_model=s.ProviderOut)
async def get_provider(session: SessionDep, principal: PrincipalDep, provider_id: PayerId) -> Any:
    provider = await session.get(orm.Provider, provider_id)
    if provider is None or not principal.sees_provider(provider_id):
        raise NotFound(f"no provider {provider_id}")
    return provider


@router.get("/providers", response_model=Page[s.ProviderOut])
async def list_providers(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Any:
    stmt = select(orm.Provider)
    if principal.provider_filter:
        stmt = stmt.where(orm.Provider.provider_id == principal.provider_filter)
    rows, next_cursor = await paginate(session, stmt, [orm.Provider.provider_id], limit, cursor)
    return {"items": rows, "next_cursor": next_cursor}


@router.put(
    "/providers/{provider_id}/staff/{staff_id}",
    response_model=s.StaffStored,
    responses={201: {"model": s.StaffStored}},
)
async def put_staff(
    request: Request,
    response: Response,
    session: SessionDep,
    provider_id: PayerId,
    staff_id: Annotated[str, IdPath()],
    body: s.StaffIn,
    background: BackgroundTasks,
    principal: Principal = SHARED_WRITERS,
) -> Any:
    touched = Touched()  # a new role: the members of the staff member's events
    result = await service.put_staff(session, principal, provider_id, staff_id, body, touched)
    link = f"/v1/providers/{provider_id}/staff"
    job_id = await start_readjudication(request, background, session, principal, touched, link)
    return await _stored(response, session, result, s.StaffOut, job_id)


@router.get("/providers/{provider_id}/staff", response_model=list[s.StaffOut])
async def list_staff(session: SessionDep, principal: PrincipalDep, provider_id: PayerId) -> Any:
    if not principal.sees_provider(provider_id):
        raise NotFound(f"no provider {provider_id}")
    stmt = (
        select(orm.Staff).where(orm.Staff.provider_id == provider_id).order_by(orm.Staff.staff_id)
    )
    return list((await session.execute(stmt)).scalars())


@router.post(
    "/providers/{provider_id}/fidelity-reviews",
    response_model=s.FidelityReviewStored,
    status_code=201,
    responses={
        200: {"model": s.FidelityReviewStored, "description": "the same review, sent again"}
    },
)
async def post_fidelity_review(
    request: Request,
    response: Response,
    session: SessionDep,
    provider_id: PayerId,
    body: s.FidelityReviewIn,
    background: BackgroundTasks,
    principal: Principal = SHARED_WRITERS,
) -> Any:
    touched = Touched()  # its provider's days from its date (docs/jobs.md, "Re-adjudication")
    review, changed = await service.post_fidelity_review(
        session, principal, provider_id, body, touched
    )
    link = f"/v1/providers/{provider_id}/fidelity-reviews"
    job_id = await start_readjudication(request, background, session, principal, touched, link)
    response.status_code = 201 if changed else 200
    await session.refresh(review)
    return {**s.FidelityReviewOut.model_validate(review).model_dump(), "job_id": job_id}


@router.get("/providers/{provider_id}/fidelity-reviews", response_model=list[s.FidelityReviewOut])
async def list_fidelity_reviews(
    session: SessionDep, principal: PrincipalDep, provider_id: PayerId
) -> Any:
    if not principal.sees_provider(provider_id):
        raise NotFound(f"no provider {provider_id}")
    stmt = (
        select(orm.FidelityReview)
        .where(orm.FidelityReview.provider_id == provider_id)
        .order_by(orm.FidelityReview.final_report_date)
    )
    return list((await session.execute(stmt)).scalars())


@router.put(
    "/members/{member_id}",
    response_model=s.MemberStored,
    responses={201: {"model": s.MemberStored}},
)
async def put_member(
    request: Request,
    response: Response,
    session: SessionDep,
    member_id: PayerId,
    body: s.MemberIn,
    background: BackgroundTasks,
    principal: Principal = WRITERS,
) -> Any:
    touched = Touched()  # a replaced member: all of its days
    result = await service.put_member(session, principal, member_id, body, touched)
    note_member(request, member_id)
    link = f"/v1/members/{member_id}"
    job_id = await start_readjudication(request, background, session, principal, touched, link)
    return await _stored(response, session, result, s.MemberOut, job_id)


@router.get("/members/{member_id}", response_model=s.MemberOut)
async def get_member(
    request: Request, session: SessionDep, member_id: PayerId, principal: Principal = READERS
) -> Any:
    member = await visible_member(session, principal, member_id)
    note_member(request, member_id)
    return member


@router.put(
    "/authorizations/{authorization_id}",
    response_model=s.AuthorizationStored,
    responses={201: {"model": s.AuthorizationStored}},
)
async def put_authorization(
    request: Request,
    response: Response,
    session: SessionDep,
    authorization_id: PayerId,
    body: s.AuthorizationIn,
    background: BackgroundTasks,
    principal: Principal = WRITERS,
) -> Any:
    touched = Touched()
    result = await service.put_authorization(session, principal, authorization_id, body, touched)
    note_member(request, body.member_id)
    link = f"/v1/authorizations/{authorization_id}"
    job_id = await start_readjudication(request, background, session, principal, touched, link)
    return await _stored(response, session, result, s.AuthorizationOut, job_id)


@router.get("/authorizations/{authorization_id}", response_model=s.AuthorizationOut)
async def get_authorization(
    session: SessionDep, principal: PrincipalDep, authorization_id: PayerId
) -> Any:
    row = await session.get(orm.Authorization, authorization_id)
    if row is None or not principal.sees_record(row.payer_id, row.provider_id):
        raise NotFound(f"no authorization {authorization_id}")
    return row


@router.put(
    "/eipd-authorizations/{authorization_id}",
    response_model=s.EipdAuthorizationStored,
    responses={201: {"model": s.EipdAuthorizationStored}},
)
async def put_eipd_authorization(
    request: Request,
    response: Response,
    session: SessionDep,
    authorization_id: PayerId,
    body: s.EipdAuthorizationIn,
    background: BackgroundTasks,
    principal: Principal = WRITERS,
) -> Any:
    touched = Touched()
    result = await service.put_eipd_authorization(
        session, principal, authorization_id, body, touched
    )
    note_member(request, body.member_id)
    link = f"/v1/eipd-authorizations/{authorization_id}"
    job_id = await start_readjudication(request, background, session, principal, touched, link)
    return await _stored(response, session, result, s.EipdAuthorizationOut, job_id)


@router.get("/eipd-authorizations/{authorization_id}", response_model=s.EipdAuthorizationOut)
async def get_eipd_authorization(
    session: SessionDep, principal: PrincipalDep, authorization_id: PayerId
) -> Any:
    row = await session.get(orm.EipdAuthorization, authorization_id)
    member = await session.get(orm.Member, row.member_id) if row else None
    if row is None or member is None or not principal.sees_record(member.payer_id, row.provider_id):
        raise NotFound(f"no EIPD authorization {authorization_id}")
    return row

"""Upserts of reference data, with scope checks and the re-adjudication each change calls for.

Each change names the member-days it can affect (``Touched``); only those are re-adjudicated,
by the job the router starts (billing-rules.md 1.2: "every change of reference data or events
re-adjudicates the days it touches, and only those").
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import NotFound, UnknownReference
from service.auth.principal import Principal
from service.models import (
    Authorization,
    EipdAuthorization,
    FeeSchedule,
    FidelityReview,
    Member,
    Payer,
    Provider,
    ServiceEvent,
    Staff,
)
from service.profiles import ProfileRegistry
from service.reference import schemas
from service.units.touched import Touched
from service.versioning import Upserted, upsert

EPOCH = date(1900, 1, 1)
M = TypeVar("M", Authorization, EipdAuthorization)


async def refuse_outside_member(
    session: AsyncSession, principal: Principal, member_id: str, what: str
) -> None:
    """An existing record of a member outside the caller's scope is a 404, as if missing."""
    member = await session.get(Member, member_id)
    if member is None or not principal.sees_payer(member.payer_id):
        raise NotFound(f"no {what}")


def _refuse_outside(principal: Principal, payer_id: str, what: str, record_id: str) -> None:
    if not principal.sees_payer(payer_id):
        raise NotFound(f"no {what} {record_id}")


async def require_payer(session: AsyncSession, payer_id: str, loc: tuple[str, ...]) -> Payer:
    payer = await session.get(Payer, payer_id)
    if payer is None:
        raise UnknownReference(f"unknown payer_id {payer_id}", [(loc, f"unknown payer {payer_id}")])
    return payer


async def require_member(
    session: AsyncSession, principal: Principal, member_id: str, loc: tuple[str, ...]
) -> Member:
    member = await session.get(Member, member_id)
    if member is None or not principal.sees_payer(member.payer_id):
        raise UnknownReference(
            f"unknown member_id {member_id}", [(loc, f"unknown member {member_id}")]
        )
    return member


async def require_provider(
    session: AsyncSession, provider_id: str, loc: tuple[str, ...]
) -> Provider:
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise UnknownReference(
            f"unknown provider_id {provider_id}", [(loc, f"unknown provider {provider_id}")]
        )
    return provider


async def put_payer(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    payer_id: str,
    body: schemas.PayerIn,
    touched: Touched,
) -> Upserted[Payer]:
    _refuse_outside(principal, payer_id, "payer", payer_id)
    profiles.require(body.edi_profile, ("edi_profile",))
    result = await upsert(
        session,
        Payer,
        {"payer_id": payer_id},
        body.model_dump(mode="json"),
        "payer",
        principal.key_id,
    )
    if result.changed and not result.created:
        touched.add_payer(payer_id, EPOCH)
    return result


async def put_fee_schedule(
    session: AsyncSession,
    principal: Principal,
    payer_id: str,
    body: schemas.FeeScheduleIn,
) -> Upserted[FeeSchedule]:
    """Stored only: rates change prices, not units, so the router queues a re-pricing job
    (service/units/pricing.py) instead of re-adjudicating the payer's members."""
    _refuse_outside(principal, payer_id, "payer", payer_id)
    await require_payer(session, payer_id, ("path", "payer_id"))
    fields = {"rates": {key: str(rate) for key, rate in sorted(body.rates.items())}}
    key = {"payer_id": payer_id, "effective_from": body.effective_from}
    return await upsert(session, FeeSchedule, key, fields, "fee_schedule", principal.key_id)


async def put_provider(
    session: AsyncSession, principal: Principal, provider_id: str, body: schemas.ProviderIn
) -> Upserted[Provider]:
    # Provider details feed the 837P (2010AA), not adjudication: nothing to re-adjudicate.
    return await upsert(
        session,
        Provider,
        {"provider_id": provider_id},
        body.model_dump(mode="json"),
        "provider",
        principal.key_id,
    )


async def put_staff(
    session: AsyncSession,
    principal: Principal,
    provider_id: str,
    staff_id: str,
    body: schemas.StaffIn,
    touched: Touched,
) -> Upserted[Staff]:
    await require_provider(session, provider_id, ("path", "provider_id"))
    result = await upsert(
        session,
        Staff,
        {"provider_id": provider_id, "staff_id": staff_id},
        body.model_dump(mode="json"),
        "staff",
        principal.key_id,
    )
    if result.changed and not result.created and result.previous["role"] != body.role:  # type: ignore[index]
        await _touch_staff_events(session, provider_id, staff_id, touched)
    return result


async def _touch_staff_events(
    session: AsyncSession, provider_id: str, staff_id: str, touched: Touched
) -> None:
    # A role change matters to dvr_milestone_overlap (EPM services stay state-funded).
    stmt = (
        select(ServiceEvent.member_id, func.min(ServiceEvent.service_date))
        .where(ServiceEvent.provider_id == provider_id, ServiceEvent.staff_id == staff_id)
        .group_by(ServiceEvent.member_id)
    )
    for member_id, first in (await session.execute(stmt)).all():
        touched.add(member_id, first)


async def post_fidelity_review(
    session: AsyncSession,
    principal: Principal,
    provider_id: str,
    body: schemas.FidelityReviewIn,
    touched: Touched,
) -> tuple[FidelityReview, bool]:
    """One review per provider and final-report date: a repeat is a no-op, a new score a fix.
    A change touches the provider's days from its date (their members are found by the job)."""
    await require_provider(session, provider_id, ("path", "provider_id"))
    stmt = select(FidelityReview).where(
        FidelityReview.provider_id == provider_id,
        FidelityReview.final_report_date == body.final_report_date,
    )
    review = (await session.execute(stmt)).scalar_one_or_none()
    asked = body.reevaluation_requested_on
    same = review is not None and review.reevaluation_requested_on == asked
    if review is not None and same and review.score == body.score:
        return review, False
    if review is None:
        review = FidelityReview(
            review_id="FR-" + secrets.token_hex(6),
            provider_id=provider_id,
            score=body.score,
            final_report_date=body.final_report_date,
            reevaluation_requested_on=asked,
        )
        session.add(review)
    else:
        review.score, review.version = body.score, review.version + 1
        review.reevaluation_requested_on = asked
    await session.flush()
    touched.add_provider(provider_id, body.final_report_date)
    return review, True


async def put_member(
    session: AsyncSession,
    principal: Principal,
    member_id: str,
    body: schemas.MemberIn,
    touched: Touched,
) -> Upserted[Member]:
    existing = await session.get(Member, member_id)
    if existing is not None:
        _refuse_outside(principal, existing.payer_id, "member", member_id)
    _refuse_outside(principal, body.payer_id, "member", member_id)
    await require_payer(session, body.payer_id, ("payer_id",))
    result = await upsert(
        session,
        Member,
        {"member_id": member_id},
        body.model_dump(mode="json"),
        "member",
        principal.key_id,
        existing=existing,
    )
    if result.changed and not result.created:
        touched.add(member_id, EPOCH)
    return result


async def put_authorization(
    session: AsyncSession,
    principal: Principal,
    authorization_id: str,
    body: schemas.AuthorizationIn,
    touched: Touched,
) -> Upserted[Authorization]:
    existing = await session.get(Authorization, authorization_id)
    if existing is not None:
        _refuse_outside(principal, existing.payer_id, "authorization", authorization_id)
    _refuse_outside(principal, body.payer_id, "authorization", authorization_id)
    await _require_refs(session, principal, body.member_id, body.provider_id, body.payer_id)
    return await _upsert_period(
        session,
        principal,
        Authorization,
        "authorization",
        authorization_id,
        body,
        existing,
        touched,
    )


async def put_eipd_authorization(
    session: AsyncSession,
    principal: Principal,
    authorization_id: str,
    body: schemas.EipdAuthorizationIn,
    touched: Touched,
) -> Upserted[EipdAuthorization]:
    existing = await session.get(EipdAuthorization, authorization_id)
    if existing is not None:
        await refuse_outside_member(
            session, principal, existing.member_id, f"EIPD authorization {authorization_id}"
        )
    await _require_refs(session, principal, body.member_id, body.provider_id, None)
    return await _upsert_period(
        session,
        principal,
        EipdAuthorization,
        "eipd_authorization",
        authorization_id,
        body,
        existing,
        touched,
    )


async def _upsert_period(
    session: AsyncSession,
    principal: Principal,
    model: type[M],
    entity: str,
    authorization_id: str,
    body: schemas.AuthorizationIn | schemas.EipdAuthorizationIn,
    existing: M | None,
    touched: Touched,
) -> Upserted[M]:
    """Upsert an authorization of either kind; its member's days from its start re-adjudicate
    (and the old member's and old start's, when a correction moved them)."""
    result = await upsert(
        session,
        model,
        {"authorization_id": authorization_id},
        body.model_dump(mode="json"),
        entity,
        principal.key_id,
        existing=existing,
    )
    if result.changed:
        _touch_range(touched, body.member_id, body.start_date, result.previous)
    return result


def _touch_range(
    touched: Touched, member_id: str, start: date, previous: dict[str, Any] | None
) -> None:
    touched.add(member_id, start)
    if previous is not None:  # the old range and the old member lose or gain units too
        touched.add(previous["member_id"], date.fromisoformat(str(previous["start_date"])))


async def _require_refs(
    session: AsyncSession,
    principal: Principal,
    member_id: str,
    provider_id: str,
    payer_id: str | None,
) -> None:
    problems: list[tuple[tuple[str | int, ...], str]] = []
    member = await session.get(Member, member_id)
    if member is None or not principal.sees_payer(member.payer_id):
        problems.append((("member_id",), f"unknown member {member_id}"))
    if await session.get(Provider, provider_id) is None:
        problems.append((("provider_id",), f"unknown provider {provider_id}"))
    if payer_id is not None and await session.get(Payer, payer_id) is None:
        problems.append((("payer_id",), f"unknown payer {payer_id}"))
    if member is not None and payer_id is not None and member.payer_id != payer_id:
        problems.append((("payer_id",), f"member {member_id} belongs to another payer"))
    if problems:
        raise UnknownReference("; ".join(msg for _, msg in problems), problems)

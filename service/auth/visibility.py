"""Who may see a member: one rule for the API's routes and the console's pages (docs/access.md)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import NotFound
from service import models as orm
from service.auth.principal import Principal, Role


async def visible_member(session: AsyncSession, principal: Principal, member_id: str) -> orm.Member:
    """The member if the caller may see it; else 404, exactly as if it did not exist."""
    member = await session.get(orm.Member, member_id)
    if member is None:
        raise NotFound(f"no member {member_id}")
    if principal.role is Role.PROVIDER:
        stmt = (
            select(orm.ServiceEvent.event_id)
            .where(
                orm.ServiceEvent.member_id == member_id,
                orm.ServiceEvent.provider_id == principal.provider_id,
            )
            .limit(1)
        )
        if (await session.execute(stmt)).first() is None:
            raise NotFound(f"no member {member_id}")
    elif not principal.sees_payer(member.payer_id):
        raise NotFound(f"no member {member_id}")
    return member

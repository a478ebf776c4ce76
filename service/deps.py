"""Request dependencies: the one session (one transaction) per request, and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import Conflict
from service.auth.keys import authenticate
from service.auth.principal import Principal, Role

_bearer = HTTPBearer(auto_error=False, description="An ipsbill API key")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed if the route returns, rolled back if it raises.

    Function scope: the commit happens before the answer is sent, so a client that was told
    "201" can rely on it in its very next request (and a failed commit is never a success).
    The session's transaction is ended, not the one begun here: a write that lost a race may
    have rolled it back and begun another (service.races, ``first``).
    """
    factory = request.app.state.sessionmaker
    async with factory() as session:
        await session.begin()
        try:
            yield session
        except Conflict as exc:
            await (session.commit() if exc.keep_changes else session.rollback())
            raise
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    known = getattr(request.state, "principal", None)  # the gate checked the key already
    if isinstance(known, Principal):
        return known
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("an API key is required: Authorization: Bearer <key>")
    principal = await authenticate(session, credentials.credentials)
    if principal is None:
        raise _unauthorized("the API key is unknown or revoked")
    request.state.key_id = principal.key_id
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> Any:
    """A dependency refusing callers whose role may not use the route (403)."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles and principal.role is not Role.ADMIN:
            raise HTTPException(403, f"the {principal.role.value} role may not use this route")
        return principal

    return Depends(check)


def note_member(request: Request, member_id: str | None) -> None:
    """Tell the audit trail which member a request read or wrote."""
    if member_id:
        request.state.audit_member_id = member_id

"""Console users and sign-in sessions.

Passwords are argon2id hashes (argon2-cffi): unlike an API key, a password is guessable, so it
is stretched. A session is a random token in an HttpOnly cookie; the server keeps its SHA-256,
the CSRF token every form must echo, and when it was last used, so the idle sign-out holds even
for a cookie copied elsewhere. Repeated failed sign-ins pause the account for a while.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import InvalidInput, NotFound
from service.auth.keys import check_scope  # the same scope rules as a key
from service.auth.principal import Principal, Role
from service.models import ConsoleSession, ConsoleUser
from service.models.base import utcnow

HASHER = PasswordHasher()
USERNAME = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
MIN_PASSWORD = 10
# Sign-in failures in a row before the account pauses, and for how long.
FAILURES_BEFORE_PAUSE = 5
PAUSE = timedelta(minutes=5)
# A session's last use is written at most this often (and at least four times per idle period).
TOUCH_EVERY = timedelta(seconds=30)
# Verified against when the username is unknown, so both answers take an argon2 check's time.
# A literal, HASHER.hash("not a password of anyone") made once: hashing it at import cost every
# process that imports the app (each server start, each uvicorn worker) an argon2 hash, ~0.15 s
# CPU. Its parameters are HASHER's (tests/service/test_console.py checks that they still are).
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$+0+rmuES2d3DzOLn21EJGw"
    "$o+rydv/maIPFfP7OHJJewjXq1xpkV+3pkWO31CJjnxs"
)


def principal_of(user: ConsoleUser) -> Principal:
    """The console user as the service layer's caller: same role, same scope as an API key."""
    return Principal(f"user:{user.username}", Role(user.role), user.payer_id, user.provider_id)


async def create_user(
    session: AsyncSession,
    username: str,
    password: str,
    role: Role,
    payer_id: str | None = None,
    provider_id: str | None = None,
) -> ConsoleUser:
    if not USERNAME.match(username):
        raise InvalidInput("a username is 1-32 letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD} characters")
    if role is Role.INTEGRATION:
        raise InvalidInput("the integration role is for API keys, not console users")
    check_scope(role, payer_id, provider_id)
    if await session.get(ConsoleUser, username) is not None:
        raise InvalidInput(f"a console user {username} exists already")
    user = ConsoleUser(
        username=username,
        password_hash=HASHER.hash(password),
        role=role.value,
        payer_id=payer_id,
        provider_id=provider_id,
        disabled=False,
        failed_sign_ins=0,
        created_at=utcnow(),
    )
    session.add(user)
    await session.flush()
    return user


async def list_users(session: AsyncSession) -> list[ConsoleUser]:
    stmt = select(ConsoleUser).order_by(ConsoleUser.username)
    return list((await session.execute(stmt)).scalars())


async def disable_user(session: AsyncSession, username: str) -> ConsoleUser:
    user = await session.get(ConsoleUser, username)
    if user is None:
        raise NotFound(f"no console user {username}")
    user.disabled = True
    await session.execute(delete(ConsoleSession).where(ConsoleSession.username == username))
    await session.flush()
    return user


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of a sign-in: a new session token, or why not (said the same way for an
    unknown user and a wrong password, so usernames cannot be probed)."""

    token: str | None = None
    paused: bool = False


def _verify(user: ConsoleUser | None, password: str) -> bool:
    try:
        return HASHER.verify(user.password_hash if user else _DUMMY_HASH, password) and bool(user)
    except (VerificationError, InvalidHashError):
        return False


async def sign_in(session: AsyncSession, username: str, password: str) -> SignIn:
    user = await session.get(ConsoleUser, username) if USERNAME.match(username) else None
    now = utcnow()
    if user is not None and user.paused_until is not None and user.paused_until > now:
        return SignIn(paused=True)
    if not _verify(user, password) or user is None or user.disabled:
        if user is not None:
            user.failed_sign_ins += 1
            if user.failed_sign_ins >= FAILURES_BEFORE_PAUSE:
                user.paused_until, user.failed_sign_ins = now + PAUSE, 0
        return SignIn()
    user.failed_sign_ins, user.paused_until = 0, None
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_digest(token),
            username=user.username,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen=now,
        )
    )
    await session.flush()
    return SignIn(token=token)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Signed:
    """Plain values, not the ORM row: error pages render after the transaction rolled back."""

    username: str
    principal: Principal
    csrf_token: str


async def current(session: AsyncSession, token: str | None, idle: timedelta) -> Signed | None:
    """The signed-in user of a cookie, or None (unknown, idle too long, or user disabled)."""
    if not token:
        return None
    row = await session.get(ConsoleSession, _digest(token))
    if row is None:
        return None
    now = utcnow()
    user = await session.get(ConsoleUser, row.username)
    if _idle(row.last_seen, now, idle) or user is None or user.disabled:
        await session.delete(row)
        return None
    if now - row.last_seen > min(idle / 4, TOUCH_EVERY):  # not one write per page view
        row.last_seen = now
    return Signed(user.username, principal_of(user), row.csrf_token)


def _idle(last_seen: datetime, now: datetime, idle: timedelta) -> bool:
    return now - last_seen > idle


async def sign_out(session: AsyncSession, token: str | None) -> None:
    if token:
        stmt = delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token))
        await session.execute(stmt)

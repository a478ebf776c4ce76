"""API keys: random secrets shown once, stored only as SHA-256 digests.

A key carries 256 bits of randomness, so a fast digest is enough (no password stretching):
guessing is hopeless and lookups stay one indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import InvalidInput, NotFound
from service.auth.principal import Principal, Role
from service.models import ApiKey, Payer, Provider
from service.models.base import utcnow

PREFIX = "ipsb"


def digest(clear_key: str) -> str:
    return hashlib.sha256(clear_key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    clear_key: str


def check_scope(role: Role, payer_id: str | None, provider_id: str | None) -> None:
    if role is Role.INTEGRATION and not payer_id:
        raise InvalidInput("an integration key is bound to one payer: give --payer-id")
    if role is Role.PROVIDER and not provider_id:
        raise InvalidInput("a provider key is bound to one provider: give --provider-id")
    if role in (Role.ADMIN, Role.INTEGRATION, Role.FINANCE) and provider_id:
        raise InvalidInput(f"a {role.value} key takes no --provider-id")
    if role in (Role.ADMIN, Role.PROVIDER) and payer_id:
        raise InvalidInput(f"a {role.value} key takes no --payer-id")


async def create_key(
    session: AsyncSession,
    role: Role,
    payer_id: str | None = None,
    provider_id: str | None = None,
    name: str | None = None,
) -> NewKey:
    check_scope(role, payer_id, provider_id)
    key_id = "key_" + secrets.token_hex(8)
    clear = f"{PREFIX}_{secrets.token_urlsafe(32)}"
    session.add(
        ApiKey(
            key_id=key_id,
            key_hash=digest(clear),
            name=name,
            role=role.value,
            payer_id=payer_id,
            provider_id=provider_id,
        )
    )
    await session.flush()
    return NewKey(key_id=key_id, clear_key=clear)


async def create_scoped_key(
    session: AsyncSession,
    role: Role,
    payer_id: str | None = None,
    provider_id: str | None = None,
    name: str | None = None,
) -> NewKey:
    """``ipsbill keys create``: as ``create_key``, refusing a payer or provider that does not
    exist (a key bound to a misspelt payer would see nothing and say nothing)."""
    check_scope(role, payer_id, provider_id)
    if payer_id and await session.get(Payer, payer_id) is None:
        raise InvalidInput(f"no payer {payer_id}: create it first (PUT /v1/payers/{payer_id})")
    if provider_id and await session.get(Provider, provider_id) is None:
        raise InvalidInput(
            f"no provider {provider_id}: create it first (PUT /v1/providers/{provider_id})"
        )
    return await create_key(session, role, payer_id, provider_id, name)


# Every /v1 request's first statement, built once (its cache key is kept with it), run on
# the session's connection as a Core select: no ORM object is loaded for four columns.
_BY_HASH = select(
    ApiKey.key_id, ApiKey.role, ApiKey.payer_id, ApiKey.provider_id, ApiKey.revoked_at
).where(ApiKey.key_hash == bindparam("key_hash", type_=ApiKey.key_hash.type))


async def authenticate(session: AsyncSession, clear_key: str) -> Principal | None:
    connection = await session.connection()
    key = (await connection.execute(_BY_HASH, {"key_hash": digest(clear_key)})).one_or_none()
    if key is None or key.revoked_at is not None:
        return None
    return Principal(key.key_id, Role(key.role), key.payer_id, key.provider_id)


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.execute(select(ApiKey).order_by(ApiKey.created_at))).scalars())


async def revoke_key(session: AsyncSession, key_id: str) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key

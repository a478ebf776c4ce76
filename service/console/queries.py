"""The console's reads: totals by payer and month, aging, held units, queues, batch figures.

Every read takes the caller's ``Principal`` and applies its ``payer_filter``/``provider_filter``,
the same scope the API's list routes apply, so a console user sees what a key of its role sees.
Sums run in the database (one grouped query per figure), never over loaded rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from claims.lifecycle import ClaimStatus, Frequency
from claims.model import LineStatus
from claims.money import to_money
from service import models as orm
from service.auth.principal import Principal

ZERO = Decimal("0.00")
OUTSTANDING = (ClaimStatus.GENERATED.value, ClaimStatus.ACCEPTED.value)
PAID = (ClaimStatus.PAID.value, ClaimStatus.PARTIALLY_PAID.value)
TO_WORK = (ClaimStatus.DENIED.value, ClaimStatus.REJECTED.value)
AGING = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def money(value: Any) -> Decimal:
    """A database sum as money (SQLite sums the text column as a float: rounded back here)."""
    return ZERO if value is None else to_money(Decimal(str(value)))


def scoped_claims(principal: Principal, *where: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    claim = orm.Claim
    out = list(where)
    if principal.payer_filter:
        out.append(claim.payer_id == principal.payer_filter)
    if principal.provider_filter:
        out.append(claim.provider_id == principal.provider_filter)
    return out


def in_force() -> list[ColumnElement[bool]]:
    """Claims that are money owed: not a void, not replaced by a later claim."""
    # Inline constants: PostgreSQL matches a partial index (ix_claims_to_work) only against
    # values it sees in the plan, never against bound parameters.
    claim = orm.Claim
    return [claim.frequency != inline(Frequency.VOID.value), claim.replaced_by_claim_id.is_(None)]


def inline(*values: str) -> Any:
    """A constant rendered into the SQL text (never user input: our own literals only)."""
    if len(values) == 1:
        return literal(values[0], String, literal_execute=True)
    return bindparam(None, list(values), String, expanding=True, literal_execute=True)


@dataclass
class Month:
    payer_id: str
    month: str
    billed: Decimal = ZERO
    paid: Decimal = ZERO
    denied: Decimal = ZERO
    outstanding: Decimal = ZERO
    claims: int = 0


async def ledger(session: AsyncSession, principal: Principal) -> list[Any]:
    """Claims in force summed by payer, month, status and batch: one read feeds both the
    months table and the aging (the batch gives the date sent). Read from ``claim_totals``
    (a row per group, kept by triggers: migration 0011) unless the user sees one provider,
    whose claims are few and have no totals of their own."""
    if principal.provider_filter:
        return await _ledger_of_claims(session, principal)
    total = orm.ClaimTotal
    stmt = select(
        total.payer_id, total.service_month, total.status, total.batch_id, total.claims,
        total.charge_cents, total.paid_cents,
    ).where(total.in_force.is_(True), total.claims > 0)  # fmt: skip
    if principal.payer_filter:
        stmt = stmt.where(total.payer_id == principal.payer_filter)
    rows = (await session.execute(stmt)).all()
    return [(*row[:5], cents(row[5]), cents(row[6])) for row in rows]


def cents(value: int) -> Decimal:
    return Decimal(int(value)).scaleb(-2)


async def _ledger_of_claims(session: AsyncSession, principal: Principal) -> list[Any]:
    claim = orm.Claim
    keys = (claim.payer_id, claim.service_month, claim.status, claim.batch_id)
    stmt = (
        select(*keys, func.count(), func.sum(claim.total_charge), func.sum(claim.paid_amount))
        .where(*scoped_claims(principal, *in_force()))
        .group_by(*keys)
    )
    return list((await session.execute(stmt)).all())


def months(rows: list[Any]) -> list[Month]:
    table: dict[tuple[str, str], Month] = {}
    for payer, month, status, _batch, count, charge, paid in rows:
        row = table.setdefault((payer, month), Month(payer, month))
        row.claims += count
        row.billed += money(charge)
        row.paid += money(paid)
        if status == ClaimStatus.DENIED:
            row.denied += money(charge)
        elif status in OUTSTANDING:
            row.outstanding += money(charge)
    return sorted(table.values(), key=lambda m: (m.month, m.payer_id), reverse=True)


@dataclass
class Bucket:
    label: str
    count: int = 0
    amount: Decimal = ZERO


async def aging(session: AsyncSession, rows: list[Any], today: date) -> list[Bucket]:
    """Outstanding claims by days since sent (their batch's creation)."""
    waiting = [row for row in rows if row[2] in OUTSTANDING]
    batch = orm.ClaimBatch
    ids = sorted({row[3] for row in waiting})
    stmt = select(batch.batch_id, batch.created_at).where(batch.batch_id.in_(ids))
    sent = dict((await session.execute(stmt)).all()) if ids else {}
    buckets = [Bucket(label) for label, _, _ in AGING]
    for _payer, _month, _status, batch_id, count, charge, _paid in waiting:
        age = (today - _day(sent[batch_id])).days if batch_id in sent else 0
        for bucket, (_, low, high) in zip(buckets, AGING, strict=True):
            if age >= low and (high is None or age <= high):
                bucket.count += count
                bucket.amount += money(charge)
    return buckets


def _day(value: datetime | str) -> date:
    return value.date() if isinstance(value, datetime) else datetime.fromisoformat(value).date()


def scoped_lines(principal: Principal, *where: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    line = orm.UnitLine
    out = list(where)
    if principal.payer_filter:
        out.append(line.payer_id == principal.payer_filter)
    if principal.provider_filter:
        out.append(line.provider_id == principal.provider_filter)
    return out


async def held_by_reason(session: AsyncSession, principal: Principal) -> list[tuple[str, int, int]]:
    """(reason, lines, units) of held unit lines."""
    line = orm.UnitLine
    stmt = (
        select(line.hold_reason, func.count(), func.sum(line.held_units))
        .where(*scoped_lines(principal, line.status == LineStatus.HELD.value))
        .group_by(line.hold_reason)
        .order_by(line.hold_reason)
    )
    return [(r or "unknown", n, int(u or 0)) for r, n, u in (await session.execute(stmt)).all()]


async def held_lines(
    session: AsyncSession, principal: Principal, reason: str | None, limit: int
) -> list[orm.UnitLine]:
    line = orm.UnitLine
    where = scoped_lines(principal, line.status == LineStatus.HELD.value)
    if reason:
        where.append(line.hold_reason == reason)
    stmt = select(line).where(*where).order_by(line.service_date, line.member_id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def claims_to_work(
    session: AsyncSession, principal: Principal, limit: int
) -> list[orm.Claim]:
    """Denied and rejected claims still in force: nothing has replaced or voided them yet."""
    claim = orm.Claim
    stmt = (
        select(claim)
        .where(*scoped_claims(principal, *in_force(), claim.status.in_(inline(*TO_WORK))))
        .order_by(claim.service_month.desc(), claim.claim_id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


@dataclass
class BatchFigures:
    paid: Decimal = ZERO
    denied: Decimal = ZERO
    outstanding: Decimal = ZERO
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))


async def batch_figures(session: AsyncSession, batch_ids: list[str]) -> dict[str, BatchFigures]:
    """Every claim of each batch (in force or not) by status, from ``claim_totals``."""
    total = orm.ClaimTotal
    stmt = (
        select(
            total.batch_id,
            total.status,
            func.sum(total.claims),
            func.sum(total.charge_cents),
            func.sum(total.paid_cents),
        )
        .where(total.batch_id.in_(batch_ids))
        .group_by(total.batch_id, total.status)
        .having(func.sum(total.claims) > 0)
    )
    out: dict[str, BatchFigures] = defaultdict(BatchFigures)
    for batch_id, status, count, charge, paid in (await session.execute(stmt)).all():
        figures = out[batch_id]
        figures.statuses[status] += int(count)
        figures.paid += cents(paid)
        if status == ClaimStatus.DENIED:
            figures.denied += cents(charge)
        elif status in OUTSTANDING:
            figures.outstanding += cents(charge)
    return out


def batches_stmt(principal: Principal, payer_id: str | None) -> Select[Any]:
    batch = orm.ClaimBatch
    stmt = select(batch).order_by(batch.created_at.desc(), batch.batch_id.desc())
    for value in (payer_id, principal.payer_filter):
        if value:
            stmt = stmt.where(batch.payer_id == value)
    return stmt


@dataclass(frozen=True)
class Preview:
    lines: int
    claims: int
    amount: Decimal
    expiring: int  # lines whose timely filing runs out within 14 days
    expired: int  # lines already past it: they will be excluded, not billed
    corrections: int  # claimed lines whose units changed: replacements or voids


async def preview(
    session: AsyncSession,
    payer: orm.Payer,
    cutoff: date,
    provider_id: str | None,
    through: date | None,
) -> Preview:
    """What "Create" would bill, read without writing (the batch itself decides for real);
    ``cutoff``: the payer's timely-filing cut-off today (claims.units.timely.filing_cutoff)."""
    line = orm.UnitLine
    where = [line.payer_id == payer.payer_id]
    if provider_id:
        where.append(line.provider_id == provider_id)
    if through:
        where.append(line.service_date <= through)
    billable = line.status == LineStatus.BILLABLE.value
    new = [*where, line.claim_id.is_(None), billable, line.units > 0]
    timely = [*new, line.service_date >= cutoff]
    totals = select(func.count(), func.sum(line.charge)).where(*timely)
    count, amount = (await session.execute(totals)).one()
    month = func.substr(cast(line.service_date, String), 1, 7)
    groups = (
        select(func.count()).where(*timely).group_by(line.member_id, line.provider_id, month)
    )  # billing-rules 2: one claim per member, provider and month, 50 lines at most
    claims = sum(-(-n // 50) for (n,) in (await session.execute(groups)).all())
    expiring = await _count(session, *timely, line.service_date < cutoff + timedelta(days=14))
    expired = await _count(session, *new, line.service_date < cutoff)
    changed = or_(line.units != line.claimed_units, line.charge != line.claimed_charge)
    corrections = await _count(session, *where, line.claim_id.is_not(None), changed)
    return Preview(count, claims, money(amount), expiring, expired, corrections)


async def _count(session: AsyncSession, *where: ColumnElement[bool]) -> int:
    stmt = select(func.count()).select_from(orm.UnitLine).where(*where)
    return int((await session.execute(stmt)).scalar_one())

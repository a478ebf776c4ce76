"""Pricing apart from adjudication: a fee-schedule change re-prices lines, it does not
re-adjudicate them (docs/jobs.md, "Re-pricing").

Units, holds and reasons do not depend on a rate's amount, only on whether a rate is in
effect (billing-rules 1.4: ``missing_fee_schedule``). So for the days a schedule governs:
- an unclaimed line whose key keeps a rate gets the new rate and, if billable, the new charge
  (units x rate: exact, the rate has two places), all keys in one set-based UPDATE;
- a line whose rate appears or disappears, and a claimed line whose price moves (its claim
  may need a replacement, billing-rules 2), are re-adjudicated: only those members, from the
  first such day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Numeric

from claims.errors import NotFound
from claims.model import LineStatus
from claims.money import to_money
from service import models as orm
from service.models.base import utcnow
from service.profiles import ProfileRegistry
from service.progress import JobProgress
from service.units.service import readjudicate
from service.units.touched import Touched


async def governed_days(
    session: AsyncSession, payer_id: str, effective_from: date
) -> tuple[date, date | None]:
    """The dates the schedule is in effect: from its own date to the next schedule's."""
    stmt = select(func.min(orm.FeeSchedule.effective_from)).where(
        orm.FeeSchedule.payer_id == payer_id, orm.FeeSchedule.effective_from > effective_from
    )
    following: date | None = (await session.execute(stmt)).scalar_one()
    return effective_from, following


def _window(payer_id: str, days: tuple[date, date | None]) -> list[ColumnElement[bool]]:
    line = orm.UnitLine
    where = [line.payer_id == payer_id, line.service_date >= days[0]]
    if days[1] is not None:
        where.append(line.service_date < days[1])
    return where


async def anything_priced(session: AsyncSession, payer_id: str, effective_from: date) -> bool:
    """Whether any stored line falls on the schedule's days (else nothing needs re-doing)."""
    where = _window(payer_id, await governed_days(session, payer_id, effective_from))
    stmt = select(orm.UnitLine.id).where(*where).limit(1)
    return (await session.execute(stmt)).first() is not None


def _rate(session: AsyncSession, rate: Decimal) -> Any:
    """A rate in the column's own form: NUMERIC on PostgreSQL, "6.50" text on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return literal(rate, Numeric(14, 2))
    return literal(str(to_money(rate)))


def _charge(session: AsyncSession, rate: Decimal) -> Any:
    """units x rate (exact: two decimal places), in the column's own form."""
    units = orm.UnitLine.units
    if session.get_bind().dialect.name == "postgresql":
        return units * literal(rate, Numeric(14, 2))
    cents = int(rate * 100)
    return func.printf("%d.%02d", units * cents / 100, units * cents % 100)


async def reprice(
    session: AsyncSession,
    profiles: ProfileRegistry,
    payer_id: str,
    effective_from: date,
    progress: JobProgress,
) -> int:
    """Re-price the schedule's days; returns the members that had to be re-adjudicated."""
    await _lock_payer(session, payer_id)
    schedule = await session.get(orm.FeeSchedule, (payer_id, effective_from))
    if schedule is None:
        raise NotFound(f"no fee schedule of {payer_id} from {effective_from}")
    rates = {key: Decimal(value) for key, value in schedule.rates.items()}
    days = await governed_days(session, payer_id, effective_from)
    await progress(0, 3)
    touched = await _needing_adjudication(session, payer_id, days, rates)
    await progress(1, 3)
    if rates:
        await _reprice_lines(session, payer_id, days, rates)
    await progress(2, 3)
    await readjudicate(session, touched, profiles)
    await progress(3, 3)
    return len(touched.members)


async def _lock_payer(session: AsyncSession, payer_id: str) -> None:
    # A claim batch of this payer and the re-pricing take turns (each locks the payer row).
    stmt = select(orm.Payer.payer_id).where(orm.Payer.payer_id == payer_id).with_for_update()
    if (await session.execute(stmt)).first() is None:
        raise NotFound(f"no payer {payer_id}")


async def _reprice_lines(
    session: AsyncSession,
    payer_id: str,
    days: tuple[date, date | None],
    rates: dict[str, Decimal],
) -> None:
    """One UPDATE for every key: one pass over the schedule's days, whatever the keys."""
    line = orm.UnitLine
    new_rate = case(
        {key: _rate(session, rate) for key, rate in rates.items()}, value=line.procedure_key
    )
    new_charge = case(
        {key: _charge(session, rate) for key, rate in rates.items()}, value=line.procedure_key
    )
    stmt = (
        update(line)
        .where(
            *_window(payer_id, days),
            line.procedure_key.in_(sorted(rates)),
            line.claim_id.is_(None),
            line.rate.is_not(None),
            line.rate != new_rate,
        )
        .values(
            rate=new_rate,
            charge=case((line.status == LineStatus.BILLABLE.value, new_charge), else_=line.charge),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(stmt)


async def _needing_adjudication(
    session: AsyncSession, payer_id: str, days: tuple[date, date | None], rates: dict[str, Decimal]
) -> Touched:
    """Members with a line whose rate appears or vanishes, or a claimed line whose price
    moves: from their first such day."""
    line = orm.UnitLine
    keys = sorted(rates)
    moved_claimed = or_(
        *(and_(line.procedure_key == key, line.rate != rate) for key, rate in rates.items())
    )
    flips = or_(
        and_(line.rate.is_(None), line.procedure_key.in_(keys)),
        and_(line.rate.is_not(None), not_(line.procedure_key.in_(keys))),
        and_(line.claim_id.is_not(None), moved_claimed),
    )
    stmt = (
        select(line.member_id, func.min(line.service_date))
        .where(*_window(payer_id, days), flips)
        .group_by(line.member_id)
    )
    touched = Touched()
    for member_id, since in (await session.execute(stmt)).all():
        touched.add(member_id, since)
    return touched

"""Re-adjudication reads Core rows as named tuples (service.dbkit.plain_rows):
the same attribute names and values as SQLAlchemy's rows, on both databases."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from service.dbkit import plain_rows


async def test_plain_rows_keep_the_column_names_and_values(connection: AsyncConnection) -> None:
    stmt = text("SELECT 'P1' AS provider_id, 7 AS units UNION ALL SELECT 'P2', 9 ORDER BY 1")
    async with AsyncSession(bind=connection) as session:
        rows = await plain_rows(session, stmt)
        expected = (await session.execute(stmt)).all()
    values = [("P1", 7), ("P2", 9)]
    assert [tuple(row) for row in rows] == [tuple(row) for row in expected] == values
    assert [(row.provider_id, row.units) for row in rows] == values
    assert type(rows[0]) is type(rows[1]) and rows[0]._fields == ("provider_id", "units")


async def test_plain_sets_give_the_rows_plain_rows_give(connection: AsyncConnection) -> None:
    """Several selects in one round trip (PostgreSQL: arrays of records decoded by asyncpg,
    then each column type's own result step): the same values and types as one by one."""
    from datetime import UTC, date, datetime, time
    from decimal import Decimal

    from sqlalchemy import JSON, Date, Integer, String, Time, bindparam, literal, select

    from service.dbkit import PlainSets
    from service.models.base import Money, UtcDateTime

    typed = select(
        literal("P1", String).label("provider_id"),
        literal(date(2026, 3, 2), Date).label("day"),
        literal(time(9, 15), Time).label("start"),
        literal(Decimal("12.50"), Money).label("charge"),
        literal(datetime(2026, 3, 2, 9, 15, tzinfo=UTC), UtcDateTime).label("at"),
        literal({"a": [1, "x"]}, JSON).label("body"),
        literal(None, String).label("note"),
        (bindparam("n", type_=Integer) + 1).label("n"),
    )
    empty = select(literal(1, Integer).label("one")).where(literal(1, Integer) == 2)
    sets = PlainSets({"typed": [typed, typed], "empty": [empty]})
    async with AsyncSession(bind=connection) as session:
        got = await sets.run(session, {"n": 6})
        one_by_one = await plain_rows(session, typed, {"n": 6})
    assert got["empty"] == []
    assert got["typed"] == one_by_one * 2
    assert [type(v) for v in got["typed"][0]] == [type(v) for v in one_by_one[0]]
    assert got["typed"][0]._fields == one_by_one[0]._fields
    assert got["typed"][0].body == {"a": [1, "x"]} and got["typed"][0].n == 7
    assert got["typed"][0].charge == Decimal("12.50") and got["typed"][0].at.tzinfo is not None

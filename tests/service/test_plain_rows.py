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

"""The database kit every domain shares: reads by id in chunks (one array parameter on
PostgreSQL), plain read-only rows, member locks in one global order, bulk inserts (COPY) and
bulk updates by primary key, JSON text for JSON columns. Domain queries live in each domain's
``repository.py``; this module knows no domain beyond the member lock (docs/load.md).
"""

from __future__ import annotations

import json
from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache, partial
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Select,
    any_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from service import models as orm

CHUNK = 500  # stays under SQLite's bound-parameter limit and PostgreSQL's comfort zone


def columns_of(model: Any, names: Sequence[str]) -> list[Any]:
    """The model's table columns of those names, in that order."""
    return [model.__table__.c[name] for name in names]


def array_param(name: str, column: Any) -> Any:
    """A bound array of ``column``'s values (PostgreSQL). Parameters of one name in a statement
    are one value: several reads can share it."""
    return bindparam(name, type_=ARRAY(column.type))


def unnested(alias: str, **columns: Any) -> Any:
    """PostgreSQL: the bound arrays ``<alias>_<name>`` (of each named column's type) side by
    side as a table ``alias(name, ...)`` (``unnest``): any number of keys in one statement text,
    whose prepared form every later use reuses."""
    arrays = [array_param(f"{alias}_{name}", column) for name, column in columns.items()]
    return func.unnest(*arrays).table_valued(*columns).render_derived(name=alias)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def plain_rows(
    session: AsyncSession, stmt: Any, params: Mapping[str, Any] | None = None
) -> list[Any]:
    """A Core select's rows as named tuples, with the same attribute names.

    A SQLAlchemy ``Row`` answers ``row.name`` through a Python ``__getattr__`` (550 ns a read
    here, against 64 ns for ``row[i]``), and re-adjudication reads every field of thousands of
    rows a request: turning an event row into the core's ServiceEvent took 13.8 us, most of
    it those reads. A named tuple's fields read at C speed.

    Run on the session's connection (its transaction), not through ``session.execute``: a
    Core select of columns needs none of the ORM's execution layer (compile state, result
    set-up, loading), which a profile of single-event writes showed around every such read.
    ``params``: the values of a statement's ``bindparam``s (a statement built once).
    """
    result = await (await session.connection()).execute(stmt, dict(params or {}))
    make = _row_type(tuple(result.keys()))._make
    return [make(row) for row in result]


class PlainSets:
    """Several Core selects' rows, as ``plain_rows`` gives them, by name (a name's selects'
    rows one after another): in ONE round trip on PostgreSQL, one per select elsewhere.

    PostgreSQL: ``SELECT (SELECT array_agg(q) FROM (<select>) AS q), ...``; asyncpg decodes
    each array of anonymous records with the columns' own codecs (dates, times, numerics,
    JSON), and a column type's own result processing (``TypeDecorator``) is applied as
    SQLAlchemy applies it. A single event's re-adjudication read its day, lines, counters,
    payer, fee schedules, reviews and authorizations in nine statements; each statement's
    fixed cost (SQLAlchemy's construction and cache key, asyncpg's execution) was most of a
    write's CPU (profile, issue 19), not the rows.

    Built once at import with ``bindparam``s and run with their values (``run(session,
    params)``), the statement is neither constructed nor keyed again: SQLAlchemy keeps a
    statement's cache key with it. More than ``COMBINED`` selects (a large batch's many
    dates) run one by one: a combined statement of varying shape would be compiled, and
    prepared by PostgreSQL, anew for every batch.
    """

    COMBINED = 16

    def __init__(self, queries: Mapping[str, Sequence[Select[Any]]]) -> None:
        self.names = list(queries)
        self.flat = [(name, stmt) for name, stmts in queries.items() for stmt in stmts]
        self.combined = (
            select(
                *(
                    select(func.array_agg(sub.table_valued())).scalar_subquery().label(f"r{i}")
                    for i, (_, stmt) in enumerate(self.flat)
                    for sub in [stmt.subquery(f"q{i}")]
                )
            )
            if 0 < len(self.flat) <= self.COMBINED
            else None
        )

    async def run(
        self, session: AsyncSession, params: Mapping[str, Any] | None = None
    ) -> dict[str, list[Any]]:
        connection = await session.connection()
        found: dict[str, list[Any]] = {name: [] for name in self.names}
        if connection.dialect.name != "postgresql" or self.combined is None:
            for name, stmt in self.flat:
                result = await connection.execute(stmt, dict(params or {}))
                make = _row_type(tuple(result.keys()))._make
                found[name].extend(make(row) for row in result)
            return found
        row = (await connection.execute(self.combined, dict(params or {}))).one()
        for (name, stmt), records in zip(self.flat, row, strict=True):
            if records:
                found[name].extend(_decoded(stmt, connection.dialect, records))
        return found


async def plain_sets(
    session: AsyncSession, queries: Mapping[str, Sequence[Select[Any]]]
) -> dict[str, list[Any]]:
    """``PlainSets`` built for one use (selects whose values are in them)."""
    return await PlainSets(queries).run(session)


def _decoded(stmt: Select[Any], dialect: Dialect, records: list[Any]) -> list[Any]:
    columns = list(stmt.selected_columns)
    make = _row_type(tuple(stmt.selected_columns.keys()))._make
    process = [_result_processing(column.type, dialect) for column in columns]
    if not any(process):
        return [make(record) for record in records]
    return [
        make(
            value if step is None else step(value)
            for step, value in zip(process, record, strict=True)
        )
        for record in records
    ]


def _result_processing(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to a value asyncpg decoded: a TypeDecorator's own step (Money,
    UtcDateTime); the dialect's plain types need none with asyncpg (it decodes dates, times,
    numerics and, with the codec SQLAlchemy installs, JSON itself)."""
    if isinstance(type_, TypeDecorator):
        decorator = type_

        def step(value: Any) -> Any:
            return decorator.process_result_value(value, dialect)

        return step
    return None


@lru_cache(maxsize=128)
def _row_type(names: tuple[str, ...]) -> Any:
    return namedtuple("PlainRow", names)


async def rows_in(
    session: AsyncSession,
    column: Any,
    values: Iterable[Any],
    *where: Any,
    plain: bool = False,
    columns: Sequence[str] = (),
) -> list[Any]:
    """Rows whose ``column`` is among ``values``, in chunks. ``plain``: read-only rows straight
    from Core (same attribute names, no identity map or change tracking: much cheaper);
    ``columns``: only those (no JSON decoded, no name or address read, for nothing)."""
    table = column.class_
    selected = columns_of(table, columns) or list(table.__table__.columns)
    found: list[Any] = []
    for match in await among(session, column, values):
        if plain:
            found.extend(await plain_rows(session, select(*selected).where(match, *where)))
        else:
            found.extend((await session.execute(select(table).where(match, *where))).scalars())
    return found


async def among(session: AsyncSession, column: Any, values: Iterable[Any]) -> list[Any]:
    """``column`` among ``values`` as WHERE clauses, one per query to run (``matchers``)."""
    return [match(column) for match in await matchers(session, values)]


async def matchers(session: AsyncSession, values: Iterable[Any]) -> list[Callable[[Any], Any]]:
    """``among`` for any column of the same values: each query's WHERE clause as a function of
    the column, so one set of ids selects the rows of several tables alike.

    PostgreSQL: one ``= ANY($1)`` array parameter, whatever the count. An expanding ``IN`` of
    500 ids is rendered into 500 placeholders on every execution, which cost a tenth of a
    1,000-event batch (profile), and its text changes with the count, defeating the prepared
    statement cache. SQLite has no arrays: ``IN`` in chunks under its parameter limit.
    """
    ordered = sorted(set(values))
    if not ordered:
        return []
    if len(ordered) == 1:
        # One value (a single event's member): a plain equality, whose plan is the index
        # lookup whatever the statistics; a generic plan of ``= ANY($1)`` cannot know the
        # array holds one id and was seen to scan the whole table.
        one = ordered[0]
        return [lambda column: column == one]
    if (await session.connection()).dialect.name == "postgresql":
        return [lambda column: column == any_(literal(ordered, ARRAY(column.type)))]
    return [partial(_in, part) for part in chunks(ordered)]


def _in(values: Sequence[Any], column: Any) -> Any:
    return column.in_(values)


LOCKED = "ipsbill.locked_members"  # session.info key: the member ids this transaction locked


async def lock_members(session: AsyncSession, members: Iterable[str]) -> None:
    """Two requests re-adjudicating one member take turns (the first-64 count and the lines
    are per member); ids in sorted order, so two batches never wait on each other in a ring.
    SQLite has one writer at a time already and takes no row locks."""
    if (await session.connection()).dialect.name != "postgresql":
        return
    # A request locks its members once (intake, then its re-adjudication): the rows it holds
    # are not asked for again. service.races forgets them when a savepoint is undone.
    held: set[str] = session.info.setdefault(LOCKED, set())
    wanted = set(members) - held
    if not wanted:
        return
    held.update(wanted)
    for match in await among(session, orm.Member.member_id, wanted):
        stmt = (
            select(orm.Member.member_id)
            .where(match)
            .order_by(orm.Member.member_id)
            .with_for_update()
        )
        await session.execute(stmt)


async def bulk_update_by_id(
    session: AsyncSession, model: Any, rows: list[dict[str, Any]], stamps: Sequence[str] = ()
) -> None:
    """Update many rows by primary key. PostgreSQL: one ``UPDATE ... FROM unnest(arrays)``
    statement instead of one per row (100,000 claimed lines: seconds become a fraction).

    ``stamps``: columns that only say when a row was written (``adjudicated_at``,
    ``updated_at``). With them, a row whose other columns already hold the new values is left
    as it is, stamp included: a re-adjudication that reaches the verdict already stored writes
    nothing (on PostgreSQL an update is a new row version, index entries and a dead row to
    vacuum; a member's later days re-done after a change mostly come out the same)."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        shapes[tuple(row)].append(row)
    for same in shapes.values():
        await _update_same_shape(session, model, same, stamps)


async def _update_same_shape(
    session: AsyncSession, model: Any, rows: list[dict[str, Any]], stamps: Sequence[str]
) -> None:
    connection = await session.connection()
    table = model.__table__
    key = table.primary_key.columns.values()[0].name
    compared = [name for name in rows[0] if name != key and name not in stamps]
    if connection.dialect.name != "postgresql":
        await _update_rows(session, table, key, rows, compared if stamps else [])
        return
    names = list(rows[0])
    casts = ", ".join(
        f"CAST(:a{i} AS {table.c[name].type.compile(dialect=connection.dialect)}[])"
        for i, name in enumerate(names)
    )
    sets = ", ".join(f"{name} = v.{name}" for name in names if name != key)
    sql = (
        f"UPDATE {table.name} AS u SET {sets} FROM unnest({casts}) "
        f"AS v({', '.join(names)}) WHERE u.{key} = v.{key}"
    )
    if stamps and compared:
        # json has no equality in PostgreSQL: compared as jsonb (as values, not as text).
        def side(alias: str) -> str:
            return ", ".join(_as_value(table.c[name], f"{alias}.{name}") for name in compared)

        sql += f" AND ({side('u')}) IS DISTINCT FROM ({side('v')})"
    await session.execute(
        text(sql),
        {f"a{i}": _column_values(table.c[name], rows, name) for i, name in enumerate(names)},
    )


def _as_value(column: Any, ref: str) -> str:
    return f"{ref}::jsonb" if isinstance(column.type, JSON) else ref


async def _update_rows(
    session: AsyncSession, table: Any, key: str, rows: list[dict[str, Any]], compared: list[str]
) -> None:
    """SQLite: one UPDATE by key executed for every row; with ``compared``, only where one of
    those columns differs (JSON as ``json()``, which compares values written by either
    encoder alike)."""
    params = {name: bindparam(f"p_{name}", type_=table.c[name].type) for name in rows[0]}
    stmt = update(table).where(table.c[key] == params[key])
    if compared:
        stmt = stmt.where(or_(*(_differs(table.c[name], params[name]) for name in compared)))
    stmt = stmt.values({name: param for name, param in params.items() if name != key})
    await session.execute(stmt, [{f"p_{name}": v for name, v in row.items()} for row in rows])


def _differs(column: Any, param: Any) -> Any:
    if isinstance(column.type, JSON):
        return func.json(column).is_distinct_from(func.json(param))
    return column.is_distinct_from(param)


def _column_values(column: Any, rows: list[dict[str, Any]], name: str) -> list[Any]:
    values = [row[name] for row in rows]
    return json_texts(values) if isinstance(column.type, JSON) else values


def json_texts(values: list[Any]) -> list[str]:
    """JSON text of each value (json[] elements and COPY travel as text). A value shared by
    many rows, such as one tuple of modifiers or one list of reasons, is encoded once: the
    memo is by identity and lives only while ``values`` keeps its objects alive."""
    memo: dict[int, str] = {}
    texts: list[str] = []
    for value in values:
        text = memo.get(id(value))
        if text is None:
            text = memo[id(value)] = json_text(value)
        texts.append(text)
    return texts


# Dates, times and dataclasses go to ``default=str`` as with json.dumps, so a stored value
# decodes the same whichever encoder wrote it; orjson writes it several times faster (it was
# 4% of a serve worker's intake CPU). The text may differ (no spaces, float spelling): JSON
# columns are compared as values, never as text.
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_text(value: Any) -> str:
    try:
        return orjson.dumps(value, default=str, option=_ORJSON).decode()
    except TypeError:  # what orjson refuses (int keys, integers past 64 bits): json as before
        return json.dumps(value, default=str)


# A COPY first asks the server for the table's column types (one more round trip and a
# statement prepared each time): for a single event's few rows a plain INSERT is cheaper.
SMALL_INSERT = 20


async def bulk_insert(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows. PostgreSQL: COPY through the session's own connection (same
    transaction), or an INSERT for a few rows; elsewhere: multi-row INSERTs."""
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name != "postgresql" or len(rows) <= SMALL_INSERT:
        for part in chunks(rows, 2000):  # Core: the session's ORM layer adds nothing here
            await connection.execute(insert(model.__table__), list(part))
        return
    table = model.__table__
    names = list(rows[0])
    columns = [_column_values(table.c[name], rows, name) for name in names]
    records = list(zip(*columns, strict=True))
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, records=records, columns=names
    )

"""A claim batch from stored units on PostgreSQL: writer throughput and the whole request.

    .venv/bin/python bench/claim_batch.py [--claims 10000] [--lines-per-claim 10]

(Named claim_batch, not claims: a bench/claims.py would shadow the ``claims`` package for
every script run from this folder.)

1. A fresh database ``ipsbill_claims_bench``, migrated; ``claims`` members, each with one month
   of ``lines-per-claim`` billable unit lines, bulk-loaded (COPY) as intake would have left them.
2. ``POST /v1/claim-batches`` through the real app (in-process ASGI, real PostgreSQL): gather,
   build, write, validate with pyx12 + the section-2 checks on both cores, record. Timed whole.
3. The 837P writer alone on the same batch (lines/s).
4. Peak resident memory of this process (the API side; validation workers are separate).
Targets (issue 3): writer >= 50,000 lines/s; the whole request <= 30 s for 10,000 claims.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pgdb  # bench/pgdb.py, beside this script
from httpx import ASGITransport, AsyncClient

from claims.x12.writer import write_837p
from service.app import create_app
from service.auth import keys
from service.auth.principal import Role
from service.claims import x12_adapter
from service.claims.service import PlannedClaim
from service.config import Settings
from service.db import make_engine, make_sessionmaker
from service.migrate import upgrade

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "ipsbill_claims_bench"
URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DB}"
NPI = "1234567893"


async def fresh_database() -> None:
    await pgdb.fresh_database(DB)
    await asyncio.to_thread(upgrade, URL)


async def seed(claims: int, per_claim: int) -> None:
    conn = await asyncpg.connect(f"{PG}/{DB}")
    now = datetime.now().astimezone()
    await conn.execute(
        "INSERT INTO payers VALUES ('VAYA','Vaya Health','lme_mco','default',3650,1,'x',$1)", now
    )
    await conn.execute(
        "INSERT INTO providers VALUES ('P-01','Blue Ridge IPS',$1,'561234567','251S00000X',"
        "$2,'2024-01-01',1,'x',$3)",
        NPI,
        '{"line1":"100 MAIN ST","city":"ASHEVILLE","state":"NC","zip":"288011234"}',
        now,
    )
    members = [
        (
            f"M{i:06d}",
            "VAYA",
            f"9{i:08d}",
            "TEST",
            f"MEMBER{i}",
            date(1980, 1, 1),
            "U",
            '{"line1":"1 OAK ST","city":"BOONE","state":"NC","zip":"28607"}',
            '["F331"]',
            False,
            "[]",
            1,
            "x",
            now,
        )
        for i in range(claims)
    ]
    await conn.copy_records_to_table(
        "members",
        records=members,
        columns=[
            "member_id",
            "payer_id",
            "subscriber_id",
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "address",
            "diagnoses",
            "dvr_shared_case",
            "act_periods",
            "version",
            "body_hash",
            "updated_at",
        ],
    )
    lines = [
        (
            f"L{i:06d}{d:02d}",
            f"M{i:06d}",
            "P-01",
            "VAYA",
            date(2026, 3, d + 1),
            "YP630",
            "YP630",
            "[]",
            60,
            4,
            0,
            "billable",
            f'["E{i}-{d}"]',
            Decimal("6.50"),
            Decimal("26.00"),
            4,
            "99",
            now,
        )
        for i in range(claims)
        for d in range(per_claim)
    ]
    await conn.copy_records_to_table(
        "unit_lines",
        records=lines,
        columns=[
            "line_ref",
            "member_id",
            "provider_id",
            "payer_id",
            "service_date",
            "procedure_key",
            "procedure",
            "modifiers",
            "minutes",
            "units",
            "held_units",
            "status",
            "event_ids",
            "rate",
            "charge",
            "auth_units",
            "place_of_service",
            "updated_at",
        ],
    )
    await conn.execute("ANALYZE")
    await conn.close()


async def batch_request() -> tuple[float, dict[str, Any]]:
    engine = make_engine(URL)
    app = create_app(Settings(database_url=URL), migrate_embedded=False)
    app.state.engine, app.state.sessionmaker = engine, make_sessionmaker(engine)
    async with app.state.sessionmaker() as session, session.begin():
        admin = await keys.create_key(session, Role.ADMIN, name="bench")
    headers = {"Authorization": f"Bearer {admin.clear_key}"}
    async with AsyncClient(
        transport=ASGITransport(app=app), base_url="http://bench", headers=headers, timeout=600
    ) as http:
        started = time.perf_counter()
        response = await http.post("/v1/claim-batches", json={"payer_id": "VAYA"})
        elapsed = time.perf_counter() - started
    await engine.dispose()
    assert response.status_code == 201, response.text[:500]
    return elapsed, response.json()


async def writer_rate(claims: int) -> tuple[float, int]:
    """The writer alone on the batch's own rows (as the service hands them to it)."""
    engine = make_engine(URL)
    factory = make_sessionmaker(engine)
    from sqlalchemy import select

    from service import models as orm
    from service.profiles import ProfileRegistry

    async with factory() as session:
        rows = list(
            (
                await session.execute(
                    select(orm.UnitLine).order_by(orm.UnitLine.member_id, orm.UnitLine.service_date)
                )
            ).scalars()
        )
        member_rows = {
            m.member_id: m for m in (await session.execute(select(orm.Member))).scalars()
        }
        provider = await session.get(orm.Provider, "P-01")
    await engine.dispose()
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.member_id, []).append(row)
    planned = [
        PlannedClaim(m, "P-01", "2026-03", "1", lines, claim_id=f"IPS{n:09d}")
        for n, (m, lines) in enumerate(grouped.items())
    ]
    assert provider is not None
    profile = ProfileRegistry.load().get("default")
    batch = x12_adapter.batch_input(
        profile,
        planned,
        member_rows,
        {"P-01": provider},
        1,
        1,
        list(range(1, 1 + claims // 5000 + 1)),
        datetime(2026, 4, 1, 12, 0),
    )
    started = time.perf_counter()
    write_837p(batch)
    return time.perf_counter() - started, len(rows)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--lines-per-claim", type=int, default=10)
    args = parser.parse_args()
    await fresh_database()
    started = time.perf_counter()
    await seed(args.claims, args.lines_per_claim)
    lines = args.claims * args.lines_per_claim
    print(
        f"seeded {args.claims:,} members / {lines:,} billable lines "
        f"in {time.perf_counter() - started:.1f} s"
    )
    seconds, lines_written = await writer_rate(args.claims)
    print(
        f"837P writer alone:            {lines_written / seconds:10,.0f} lines/s "
        f"({seconds:.2f} s for {lines_written:,} lines)"
    )
    elapsed, batch = await batch_request()
    print(
        f"POST /v1/claim-batches whole: {elapsed:10.1f} s  ({batch['claim_count']:,} claims, "
        f"{batch['line_count']:,} lines, {batch['total_charge']}; pyx12 + checks included)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the API process:  {peak:10.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())

"""A claim batch from stored units on PostgreSQL (issue 3): writer throughput, the whole request,
and peak memory of the API process and of the pyx12 workers, at one or more batch sizes.

    .venv/bin/python -m bench.claims [--claims 10000] [--claims 50000] [--lines-per-claim 10]
    (wrap every run in the shared lock: flock /tmp/bench.lock .venv/bin/python -m bench.claims)

Each size runs in fresh processes, so each peak is that size's own:
1. seed: a fresh database ``ipsbill_claims_bench``, migrated; ``claims`` members, each with one
   month of ``lines-per-claim`` billable unit lines, bulk-loaded (COPY) as intake leaves them.
2. request: the real app with its lifespan (which starts and warms the pyx12 pool, timed on its
   own), then ``POST /v1/claim-batches`` in-process over ASGI on real PostgreSQL: gather, write,
   validate (pyx12 + section-2 checks on both cores), record. Timed whole. Then the peak RSS of
   this process (ru_maxrss) and of each pyx12 worker (VmHWM in /proc, read before the pool stops).
3. writer: the 837P writer alone on the same rows, whole batch in memory (lines/s).
Targets (issue 3): writer >= 50,000 lines/s; the request <= 30 s for 10,000 claims; peak memory
flat from 10,000 to 50,000 claims.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from bench import pgdb
from claims.x12.model import BatchInput
from claims.x12.writer import write_837p
from service import models as orm
from service import validation
from service.app import create_app
from service.auth import keys
from service.auth.principal import Role
from service.claims import x12_adapter
from service.claims.planned import PlannedClaim
from service.config import Settings
from service.db import make_engine, make_sessionmaker
from service.migrate import upgrade
from service.profiles import ProfileRegistry

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "ipsbill_claims_bench"
URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DB}"
NPI = "1234567893"
MIB = 1024  # ru_maxrss and VmHWM are in KiB

ROOT = Path(__file__).resolve().parents[1]


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
            None,
            4,
            "99",
            now,
        )
        for i in range(claims)
        for d in range(per_claim)
    ]
    await pgdb.copy_unit_lines(conn, lines)
    await conn.execute("ANALYZE")
    await conn.close()


async def writer_rate(claims: int) -> tuple[float, int]:
    """The writer alone on the batch's own rows (as the service hands them to it)."""
    engine = make_engine(URL)
    factory = make_sessionmaker(engine)
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
    # The whole batch at once, from the claims the service's own adapter builds.
    billing = x12_adapter.provider(provider)
    batch = BatchInput(
        profile=profile,
        claims=tuple(
            x12_adapter.claim(p, x12_adapter.subscriber(member_rows[p.member_id]), billing)
            for p in planned
        ),
        interchange_control_number=1,
        group_control_number=1,
        transaction_control_numbers=tuple(range(1, 1 + claims // 5000 + 1)),
        created_at=datetime(2026, 4, 1, 12, 0),
    )
    started = time.perf_counter()
    write_837p(batch)
    return time.perf_counter() - started, len(rows)


async def batch_request() -> dict[str, Any]:
    settings = Settings(database_url=URL)
    app = create_app(settings, migrate_embedded=False)
    async with app.router.lifespan_context(app):
        started = time.perf_counter()
        await app.state.validation_pool  # as in a server up for more than a few seconds
        warm = time.perf_counter() - started
        async with app.state.sessionmaker() as session, session.begin():
            admin = await keys.create_key(session, Role.ADMIN, name="bench")
        headers = {"Authorization": f"Bearer {admin.clear_key}"}
        async with AsyncClient(
            transport=ASGITransport(app=app), base_url="http://bench", headers=headers, timeout=900
        ) as http:
            started = time.perf_counter()
            response = await http.post("/v1/claim-batches", json={"payer_id": "VAYA"})
            elapsed = time.perf_counter() - started
        assert response.status_code == 201, response.text[:500]
        workers = _worker_peaks()
    return {
        "seconds": elapsed,
        "warm": warm,
        "batch": response.json(),
        "api_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB,
        "worker_mib": workers,
    }


def _worker_peaks() -> list[float]:
    """VmHWM (peak resident set) of each pyx12 worker, then the pool is stopped and the largest
    child peak from getrusage(RUSAGE_CHILDREN) is added as a cross-check."""
    peaks = []
    for pid in sorted(validation.worker_pids()):
        status = Path(f"/proc/{pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        peaks.append(int(line.split()[1]) / MIB)
    validation.shutdown_pools()
    peaks.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / MIB)
    return peaks


def run_phase(phase: str, args: argparse.Namespace, claims: int) -> dict[str, Any]:
    command = [sys.executable, "-m", __spec__.name, "--phase", phase, "--claims", str(claims),
               "--lines-per-claim", str(args.lines_per_claim)]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def phase(name: str, claims: int, per_claim: int) -> dict[str, Any]:
    if name == "seed":
        started = time.perf_counter()
        await fresh_database()
        await seed(claims, per_claim)
        return {"seconds": time.perf_counter() - started}
    if name == "request":
        return await batch_request()
    seconds, lines = await writer_rate(claims)
    return {"seconds": seconds, "lines": lines}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, action="append", help="repeat for more sizes")
    parser.add_argument("--lines-per-claim", type=int, default=10)
    parser.add_argument("--phase", choices=["seed", "request", "writer"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.claims or [10_000]
    if args.phase:
        print(json.dumps(asyncio.run(phase(args.phase, sizes[0], args.lines_per_claim))))
        return
    for claims in sizes:
        report(claims, args)


def report(claims: int, args: argparse.Namespace) -> None:
    lines = claims * args.lines_per_claim
    seeded = run_phase("seed", args, claims)
    print(f"== {claims:,} claims / {lines:,} billable lines (seeded in {seeded['seconds']:.1f} s)")
    request = run_phase("request", args, claims)
    batch = request["batch"]
    print(f"pyx12 pool start-up (lifespan):  {request['warm']:10.1f} s  (before the request)")
    print(
        f"POST /v1/claim-batches whole:    {request['seconds']:10.1f} s  "
        f"({batch['claim_count']:,} claims, {batch['line_count']:,} lines, "
        f"{batch['total_charge']}; pyx12 + checks included)"
    )
    print(f"peak RSS of the API process:     {request['api_mib']:10.0f} MiB")
    *each, largest = request["worker_mib"]
    shown = ", ".join(f"{peak:.0f}" for peak in each)
    print(f"peak RSS of each pyx12 worker:   {shown:>10} MiB  (largest child: {largest:.0f} MiB)")
    writer = run_phase("writer", args, claims)
    print(
        f"837P writer alone:               {writer['lines'] / writer['seconds']:10,.0f} lines/s "
        f"({writer['seconds']:.2f} s for {writer['lines']:,} lines)"
    )


if __name__ == "__main__":
    main()

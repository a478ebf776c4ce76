"""Intake throughput against a real ``ipsbill serve`` on PostgreSQL, and the pure engine's rate.

    .venv/bin/python -m bench.ingest [--events 30000] [--history 1000000] [--members 5000]
        [--connections 4] [--workers 2] [--db ipsbill_bench] [--port 8765] [--no-engine]

1. The pure engine (``claims.units.adjudicate_member``) over the same kind of events, in one
   process and in one process per core sharing the members as bench/engine.py does, under
   the collector settings serve runs with (first, while the machine is quiet).
2. A fresh database ``--db`` (``ipsbill_bench``) on the local PostgreSQL, migrated by
   ``ipsbill migrate``, seeded over HTTP through ``ipsbill serve``; then ``<db>_history``, a
   copy of it into which ``--history`` events (with their unit lines) are bulk-loaded for the
   same members on earlier dates.
3. One ``ipsbill serve --workers 2`` per database (``--port``, ``--port`` + 1), each warmed
   with 2,000 untimed events, then ANALYZE.
4. Events posted through ``POST /v1/service-events:batch`` as an integration posts them: one
   client holding ``--connections`` (4) keep-alive connections, one 1,000-event request in
   flight on each (bodies encoded before the clock starts, every answer decoded and checked).
   Four is what an LME-MCO's or an EHR's export job opens: a handful of parallel uploads, not
   a connection per core of our server. Spreading them over the cores is the workers' and the
   load balancer's business, not the client's (docs/operations.md, "Serving"). Three rounds
   a database, alternating between the two so that the machine's drift weighs on both alike;
   each round's events/s, and the CPU seconds per 1,000 events spent by the server (its
   workers) and by its PostgreSQL backends (steadier than events/s on a shared machine); each
   database's median. Work should grow with the touched days, not the history: the two
   medians within 20%.
Targets (issue 2): 3,000 events/s through the API, 100,000 events/s for the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench import cpu, engine, pgdb
from bench.collector import as_served
from claims import model as core

ROOT = Path(__file__).resolve().parents[1]
PG = "postgresql://postgres@127.0.0.1:5432"
BATCH = 1000  # events a request
ACTIVITIES = [
    "job_search",
    "job_development",
    "job_support",
    "career_profile",
    "benefits_counseling",
    "engagement",
    "employer_contact",
]
NPIS = ["1234567893", "1987654328", "1457300287"]


@dataclass(frozen=True)
class Setup:
    """Where the run serves and how its integration posts (the command's options)."""

    db: str = "ipsbill_bench"  # the database with no history
    port: int = 8765  # its server; the history database's listens on port + 1
    workers: int = 2  # serve --workers: one per core
    connections: int = 4  # the integration's keep-alive connections, one request on each

    @property
    def history_db(self) -> str:
        """A copy of ``db``, then ``--history`` events loaded."""
        return f"{self.db}_history"


def env(db: str) -> dict[str, str]:
    return {
        **os.environ,
        "IPSBILL_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}",
    }


def cli(db: str, *args: str) -> str:
    done = subprocess.run(
        [str(ROOT / ".venv/bin/ipsbill"), *args],
        env=env(db),
        cwd="/tmp",
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def start_server(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/ipsbill"), "serve", "--port", str(port), "--workers", str(workers)],
        env=env(db),
        cwd="/tmp",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Start-up is over once every serve worker's pyx12 pool has loaded (not intake's CPU):
    # 8 "ready" answers in a row, each on a new connection, so every worker has answered.
    streak = 0
    for _ in range(300):
        try:
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
            ok = ready.status_code == 200 and ready.json()["validation_workers"] == "ready"
            streak = streak + 1 if ok else 0
            if streak == 8:
                return proc
        except httpx.HTTPError:
            streak = 0
        time.sleep(0.1 if streak else 0.2)
    proc.terminate()  # not kill: its workers would live on, orphaned, holding the port
    proc.wait(20)
    raise SystemExit("ipsbill serve did not start")


async def seed(http: httpx.AsyncClient, members: int) -> None:
    async def put(path: str, body: dict[str, Any]) -> None:
        response = await http.put(path, json=body)
        assert response.status_code in (200, 201), (path, response.text)

    await put("/v1/payers/VAYA", {"name": "Vaya", "kind": "lme_mco"})
    await put(
        "/v1/fee-schedules/VAYA",
        {"rates": {"YP630": "6.50", "YP630:BC": "6.50"}, "effective_from": "2020-01-01"},
    )
    for index, npi in enumerate(NPIS):
        await put(
            f"/v1/providers/P{index}",
            {
                "name": f"Team {index}",
                "npi": npi,
                "tax_id": "561234567",
                "address": {
                    "line1": "1 Main St",
                    "city": "Boone",
                    "state": "NC",
                    "zip": "286071234",
                },
            },
        )
        for staff in range(5):
            await put(
                f"/v1/providers/P{index}/staff/S{staff}",
                {"name": "Staff", "role": "EPM" if staff == 4 else "ESP"},
            )
    sem = asyncio.Semaphore(8)

    async def member(index: int) -> None:
        async with sem:
            await put(
                f"/v1/members/M{index}",
                {
                    "payer_id": "VAYA",
                    "subscriber_id": f"9{index:08d}",
                    "first_name": "Test",
                    "last_name": "Member",
                    "birth_date": "1980-01-01",
                    "sex": "U",
                    "diagnoses": ["F331"],
                },
            )
            await put(
                f"/v1/authorizations/A{index}",
                {
                    "member_id": f"M{index}",
                    "provider_id": f"P{index % 3}",
                    "payer_id": "VAYA",
                    "start_date": "2020-01-01",
                    "end_date": "2030-12-31",
                    "units": 100000,
                },
            )

    await asyncio.gather(*(member(i) for i in range(members)))


def make_events(
    rng: random.Random, members: int, count: int, first: date, prefix: str
) -> list[dict[str, Any]]:
    """Events in date order, a few a day per member, as an LME-MCO would send them."""
    events: list[dict[str, Any]] = []
    day = first
    while len(events) < count:
        for index in rng.sample(range(members), min(members, count - len(events))):
            start = rng.randrange(8 * 60, 16 * 60, 5)
            length = rng.choice([10, 15, 23, 30, 45, 50, 60, 90])
            events.append(
                {
                    "event_id": f"{prefix}-{len(events)}",
                    "member_id": f"M{index}",
                    "provider_id": f"P{index % 3}",
                    "staff_id": f"S{rng.randrange(5)}",
                    "service_date": day.isoformat(),
                    "start_time": f"{start // 60:02d}:{start % 60:02d}",
                    "end_time": f"{(start + length) // 60:02d}:{(start + length) % 60:02d}",
                    "activity": rng.choice(ACTIVITIES),
                    "contact": "in_person",
                    "setting": "individual",
                    "note_id": f"N{len(events)}",
                }
            )
        day += timedelta(days=1)
    return events


async def post_all(http: httpx.AsyncClient, events: list[dict[str, Any]], in_flight: int) -> float:
    """Batches of 1,000, ``in_flight`` requests open at once (an integration in parallel).

    The bodies are encoded before the clock starts and answers decoded with orjson: this
    client shares the machine's two cores with the server, and its own JSON work is not the
    service's (an integration runs elsewhere). Every answer is still read and checked."""
    gate = asyncio.Semaphore(in_flight)
    bodies = [
        orjson.dumps({"events": events[offset : offset + BATCH]})
        for offset in range(0, len(events), BATCH)
    ]
    headers = {"Content-Type": "application/json"}

    async def post(body: bytes) -> None:
        async with gate:
            response = await http.post("/v1/service-events:batch", content=body, headers=headers)
        assert response.status_code == 200, response.text[:500]
        answer = orjson.loads(response.content)
        assert answer["rejected"] == 0 and len(answer["results"]) == body.count(b'"event_id"')

    started = time.perf_counter()
    await asyncio.gather(*(post(body) for body in bodies))
    return len(events) / (time.perf_counter() - started)


async def analyze(db: str) -> None:
    conn = await asyncpg.connect(f"{PG}/{db}")
    await conn.execute("ANALYZE")
    await conn.close()


async def copy_database(source: str, target: str) -> None:
    """``target`` as a copy of ``source`` (no server may be connected to ``source``)."""
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {target} TEMPLATE {source}")
    await conn.close()


async def load_history(db: str, count: int, members: int) -> None:
    """Bulk-load stored events and their unit lines for earlier dates (COPY, no HTTP), into
    the history database ``db``."""
    conn = await asyncpg.connect(f"{PG}/{db}")
    per_day = members
    now = datetime.now().astimezone()
    events, lines = [], []
    for n in range(count):
        index, day_no = n % members, n // per_day
        day = date(2021, 1, 1) + timedelta(days=day_no)
        events.append(
            (
                f"H-{n}",
                f"M{index}",
                f"P{index % 3}",
                "S0",
                "VAYA",
                day,
                clock(9, 0),
                clock(10, 0),
                "job_search",
                "in_person",
                "individual",
                "99",
                f"N{n}",
                False,
                "billable",
                60,
                60,
                "YP630",
                "[]",
                "[]",
                "{}",
                now,
                1,
                f"h{n}",
                now,
            )
        )
        lines.append(
            (
                f"LH{n}",
                f"M{index}",
                f"P{index % 3}",
                "VAYA",
                day,
                "YP630",
                "YP630",
                "[]",
                60,
                4,
                0,
                "billable",
                f'["H-{n}"]',
                "6.50",
                "26.00",
                f"A{index}",
                4,
                "99",
                now,
            )
        )
    await conn.copy_records_to_table(
        "service_events",
        records=events,
        columns=[
            "event_id",
            "member_id",
            "provider_id",
            "staff_id",
            "payer_id",
            "service_date",
            "start_time",
            "end_time",
            "activity",
            "contact",
            "setting",
            "place_of_service",
            "note_id",
            "voided",
            "status",
            "minutes",
            "billable_minutes",
            "procedure",
            "modifiers",
            "reasons",
            "adjudication_inputs",
            "adjudicated_at",
            "version",
            "body_hash",
            "updated_at",
        ],
    )
    await pgdb.copy_unit_lines(conn, lines)
    per_member: dict[str, int] = {}
    for n in range(count):
        per_member[f"M{n % members}"] = per_member.get(f"M{n % members}", 0) + 4
    # The history's units join the totals intake already keeps (unit_counters).
    await conn.execute("CREATE TEMP TABLE history_units (LIKE unit_counters)")
    await conn.copy_records_to_table(
        "history_units",
        records=[(m, f"P{int(m[1:]) % 3}", f"A{m[1:]}", units) for m, units in per_member.items()],
        columns=["member_id", "provider_id", "authorization_id", "units"],
    )
    await conn.execute(
        "INSERT INTO unit_counters SELECT * FROM history_units ON CONFLICT "
        "(member_id, provider_id, authorization_id) DO UPDATE "
        "SET units = unit_counters.units + excluded.units"
    )
    # Steady state before measuring: the bulk load's vacuum and checkpoint are not intake's.
    await conn.execute("VACUUM ANALYZE")
    await conn.execute("CHECKPOINT")
    await conn.close()


def _engine_caseload(raw: list[dict[str, Any]]) -> engine.Caseload:
    """The events as the engine takes them, with their members' contexts."""
    by_member: dict[str, list[core.ServiceEvent]] = {}
    for e in raw:
        by_member.setdefault(e["member_id"], []).append(
            core.ServiceEvent(
                event_id=e["event_id"],
                member_id=e["member_id"],
                provider_id=e["provider_id"],
                staff_id=e["staff_id"],
                service_date=date.fromisoformat(e["service_date"]),
                start_time=clock.fromisoformat(e["start_time"]),
                end_time=clock.fromisoformat(e["end_time"]),
                activity=core.Activity(e["activity"]),
                contact=core.Contact.IN_PERSON,
                setting=core.Setting.INDIVIDUAL,
                note_id="N",
            )
        )
    fees = (
        core.FeeSchedule(
            "VAYA",
            date(2020, 1, 1),
            (("YP630", core.Decimal("6.50")), ("YP630:BC", core.Decimal("6.50"))),
        ),
    )
    return [
        (events, core.MemberContext(
            member=core.Member(m, "VAYA", date(1980, 1, 1), "9", ("F331",)),
            settings=core.RuleSettings(),
            fee_schedules=fees,
        ))
        for m, events in by_member.items()
    ]  # fmt: skip


def engine_rates(rng: random.Random, members: int, count: int) -> tuple[float, float]:
    """Events/s in one process (best of 3), and with one process per core sharing the members
    as bench/engine.py measures it (``engine.shared_rate``)."""
    raw = make_events(rng, members, count, date(2026, 1, 5), "X")
    # The collector as serve sets it (bench/collector.py), as for the shared rate.
    wall, _ = engine.one_process(_engine_caseload(raw), as_served(), 3, [])
    shared, _ = engine.shared_rate(lambda: _engine_caseload(raw), os.cpu_count() or 1)
    return count / wall, shared


@dataclass(frozen=True)
class Round:
    """One timed round: events/s, and CPU seconds per 1,000 events of the server's processes
    and of its PostgreSQL backends."""

    rate: float
    serve_cpu: float
    pg_cpu: float


async def timed_round(
    http: httpx.AsyncClient, events: list[dict[str, Any]], meter: cpu.Meter, in_flight: int
) -> Round:
    await meter.start()
    rate = await post_all(http, events, in_flight)
    serve_cpu, pg_cpu = await meter.stop()
    per = len(events) / 1000
    return Round(rate, serve_cpu / per, pg_cpu / per)


def report(label: str, rounds: list[Round], events: int, setup: Setup) -> float:
    """A phase's rounds and their median (this machine's speed varies from one run to the
    next: one round is not a figure)."""
    median = sorted(r.rate for r in rounds)[len(rounds) // 2]
    print(
        f"intake, {label}: median {median:6.0f} events/s; rounds "
        + ", ".join(f"{r.rate:.0f}" for r in rounds)
        + f" ({events} events, batches of {BATCH:,}, {setup.connections} connections,"
        f" {setup.workers} workers; load average {os.getloadavg()[0]:.1f})"
    )
    print(
        "    CPU s per 1,000 events, serve + PostgreSQL: "
        + ", ".join(f"{r.serve_cpu:.2f} + {r.pg_cpu:.2f}" for r in rounds)
    )
    return median


def client(headers: dict[str, str], port: int, connections: int) -> httpx.AsyncClient:
    """The integration posting events holds ``connections`` connections, as a real one would.
    (Posting through the seeding client, which had opened 100, used whichever of its idle
    connections came first.)"""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=300, limits=limits
    )


def arguments() -> tuple[argparse.Namespace, Setup]:
    parser = argparse.ArgumentParser(description="Intake throughput (see the module docstring)")
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument(
        "--connections",
        type=int,
        default=Setup.connections,
        help="the integration's connections, one request in flight on each",
    )
    parser.add_argument("--workers", type=int, default=Setup.workers, help="serve --workers")
    parser.add_argument("--db", default=Setup.db, help="database name; also <db>_history")
    parser.add_argument("--port", type=int, default=Setup.port, help="and port + 1")
    parser.add_argument("--no-engine", action="store_true", help="intake only")
    args = parser.parse_args()
    return args, Setup(args.db, args.port, args.workers, args.connections)  # fmt: skip


async def main() -> None:
    args, setup = arguments()
    rng = random.Random(7)
    # The engine first, on a quiet machine: after the history load, autovacuum works for a
    # minute or more on the big tables and took a third of the cores from this measurement.
    if not args.no_engine:
        one, all_cores = engine_rates(random.Random(11), 2000, 100_000)
    headers = await prepare(args, setup)
    empty, full = await measure(args, setup, rng, headers)
    print(
        f"ratio with history / empty:    {full / empty:8.2f} (within 20%: "
        f"{'yes' if full >= 0.8 * empty else 'NO'})"
    )
    if args.no_engine:
        return
    print(f"pure engine, one process:      {one:8.0f} events/s (best of 3)")
    cores = os.cpu_count()
    print(
        f"pure engine, {cores} processes:       {all_cores:8.0f} events/s (sharing the members, "
        "best of 3; target 100,000)"
    )


async def prepare(args: argparse.Namespace, setup: Setup) -> dict[str, str]:
    """One seeded database, then its copy with the history loaded; returns the key's header."""
    await pgdb.fresh_database(setup.db)
    cli(setup.db, "migrate")
    created = cli(setup.db, "keys", "create", "--role", "admin", "--name", "bench")
    headers = {"Authorization": f"Bearer {created.strip().splitlines()[-1]}"}
    server = start_server(setup.db, setup.port, setup.workers)
    try:
        async with client(headers, setup.port, connections=100) as http:
            await seed(http, args.members)
    finally:
        server.terminate()
        server.wait(10)
    await copy_database(setup.db, setup.history_db)
    started = time.perf_counter()
    await load_history(setup.history_db, args.history, args.members)
    print(
        f"history loaded:                {args.history} events "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return headers


async def measure(
    args: argparse.Namespace, setup: Setup, rng: random.Random, headers: dict[str, str]
) -> tuple[float, float]:
    """Both servers up; the rounds alternate between the two databases, so a change in the
    machine's speed during the run weighs on both alike. Returns the two medians."""
    dbs, ports = (setup.db, setup.history_db), (setup.port, setup.port + 1)
    servers = [start_server(db, port, setup.workers) for db, port in zip(dbs, ports, strict=True)]
    meters = [cpu.Meter(s.pid, f"{PG}/postgres", db) for s, db in zip(servers, dbs, strict=True)]
    rounds: tuple[list[Round], list[Round]] = ([], [])
    try:
        async with (
            client(headers, ports[0], setup.connections) as empty_http,
            client(headers, ports[1], setup.connections) as full_http,
        ):
            for http in (empty_http, full_http):
                # Not timed: the workers' first requests (statement preparation, caches).
                warm = make_events(rng, args.members, 2000, date(2025, 12, 1), "W")
                await post_all(http, warm, setup.connections)
            # Statistics of tables that now hold rows, as autovacuum keeps them within a
            # minute of a deployment's first events (the plans of empty tables scan them).
            for db in dbs:
                await analyze(db)
            parts = 3
            empty = split(make_events(rng, args.members, args.events, date(2026, 1, 5), "A"), parts)
            full = split(make_events(rng, args.members, args.events, date(2026, 6, 1), "B"), parts)
            for index in range(parts):
                for http, events, meter, kept in zip(
                    (empty_http, full_http), (empty, full), meters, rounds, strict=True
                ):
                    kept.append(await timed_round(http, events[index], meter, setup.connections))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(120)  # graceful: each worker's lifespan stops its pyx12 pool
    return (
        report("empty database", rounds[0], args.events, setup),
        report(f"{args.history:,} stored", rounds[1], args.events, setup),
    )


def split(events: list[dict[str, Any]], parts: int) -> list[list[dict[str, Any]]]:
    size = -(-len(events) // parts)
    return [events[at : at + size] for at in range(0, len(events), size)]


if __name__ == "__main__":
    asyncio.run(main())

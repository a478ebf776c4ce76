"""Reference changes with a large history stored, on PostgreSQL (issue 16).

    .venv/bin/python -m bench.reference [--events 1000000] [--members 5000] [--providers 20]
        [--db i16_reference] [--reuse]
    (wrap every run in the shared lock: flock /tmp/bench.lock .venv/bin/python -m bench.reference)

1. A fresh database ``--db``, migrated; payer, fee schedule and ``--providers`` providers
   through the API; then ``--members`` members, each with an authorization covering its whole
   history and one provider, and ``--events`` stored events with their unit lines (one a
   member-day, billable, priced at 6.50), generated inside PostgreSQL (generate_series),
   VACUUM ANALYZE, CHECKPOINT. ``--reuse`` keeps a database seeded before with the same sizes
   (seeding 1,000,000 events takes minutes) and skips this step.
2. The real app with its lifespan (its job runner included), over ASGI:
   ``PUT /v1/fee-schedules/VAYA`` with a new rate, timed to its answer; then the job it names,
   polled every 0.1 s until it has succeeded, timed from the answer. Then a fidelity review of
   one provider below the minimum from the history's first day (every day of its members
   re-adjudicated), and its correction back above it, timed the same way.
Each step prints wall seconds and the CPU seconds of this process and of PostgreSQL's backends
(from /proc, when PostgreSQL runs on this machine).
Targets (issue 16): each answer < 1 s; the re-pricing < 10 s and the fidelity review's job
< 30 s with 1,000,000 events stored.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from httpx import ASGITransport, AsyncClient

from bench import pgdb
from claims.x12.synthetic import valid_npi
from service.app import create_app
from service.auth import keys
from service.auth.principal import Role
from service.config import Settings
from service.migrate import upgrade

ADDRESS = {"line1": "1 Main St", "city": "Boone", "state": "NC", "zip": "286071234"}
FIRST_DAY = "2021-01-01"  # the history's first day: member m has one event a day from it
REVIEWED = "P7"  # the provider whose fidelity review is timed

# $1 events, $2 members, $3 providers: member m is served by provider m % $3.
EVENTS_SQL = """
INSERT INTO service_events (event_id, member_id, provider_id, staff_id, payer_id, service_date,
  start_time, end_time, activity, contact, setting, place_of_service, note_id, voided, status,
  minutes, billable_minutes, procedure, modifiers, reasons, adjudication_inputs, adjudicated_at,
  version, body_hash, updated_at)
SELECT 'H-' || n, 'M' || (n % $2), 'P' || (n % $2 % $3), 'S0', 'VAYA',
  DATE '2021-01-01' + (n / $2)::int, TIME '09:00', TIME '10:00', 'job_search', 'in_person',
  'individual', '99', 'N' || n, false, 'billable', 60, 60, 'YP630', '[]', '[]', '{}', now(),
  1, 'h' || n, now()
FROM generate_series(0, $1 - 1) AS n
"""
LINES_SQL = """
INSERT INTO unit_lines (line_ref, member_id, provider_id, payer_id, service_date, procedure_key,
  procedure, modifiers, minutes, units, held_units, status, event_ids, rate, charge,
  authorization_id, auth_units, place_of_service, updated_at)
SELECT 'LH' || n, 'M' || (n % $2), 'P' || (n % $2 % $3), 'VAYA',
  DATE '2021-01-01' + (n / $2)::int, 'YP630', 'YP630', '[]', 60, 4, 0, 'billable',
  json_build_array('H-' || n), 6.50, 26.00, NULL, 0, '99', now()
FROM generate_series(0, $1 - 1) AS n
"""
MEMBERS_SQL = """
INSERT INTO members (member_id, payer_id, subscriber_id, first_name, last_name, birth_date, sex,
  address, diagnoses, dvr_shared_case, act_periods, version, body_hash, updated_at)
SELECT 'M' || n, 'VAYA', '9' || lpad(n::text, 8, '0'), 'TEST', 'MEMBER' || n, DATE '1980-01-01',
  'U', '{"line1":"1 OAK ST","city":"BOONE","state":"NC","zip":"28607"}', '["F331"]', false,
  '[]', 1, 'm' || n, now()
FROM generate_series(0, $1 - 1) AS n
"""
# Every member authorized for its whole history, so its days stay billable past the first 64
# units whatever re-adjudicates them (the seeded lines carry no authorization yet).
AUTHORIZATIONS_SQL = """
INSERT INTO authorizations (authorization_id, member_id, provider_id, payer_id, procedure,
  start_date, end_date, units, version, body_hash, updated_at)
SELECT 'A' || n, 'M' || n, 'P' || (n % $2), 'VAYA', 'YP630', DATE '2020-01-01',
  DATE '2030-12-31', 1000000, 1, 'a' || n, now()
FROM generate_series(0, $1 - 1) AS n
"""


@dataclass(frozen=True)
class Bench:
    db: str
    events: int
    members: int
    providers: int

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.db}"

    @property
    def dsn(self) -> str:
        return f"{pgdb.PG}/{self.db}"


async def put(http: AsyncClient, path: str, body: dict[str, Any]) -> Any:
    answer = await http.put(path, json=body)
    assert answer.status_code in (200, 201), (path, answer.status_code, answer.text[:300])
    return answer.json()


async def seed(bench: Bench) -> float:
    started = time.perf_counter()
    await pgdb.fresh_database(bench.db)
    await asyncio.to_thread(upgrade, bench.url)
    async with app_client(bench, runner=False) as http:
        await put(http, "/v1/payers/VAYA", {"name": "Vaya", "kind": "lme_mco"})
        rates = {"rates": {"YP630": "6.50", "YP630:BC": "6.50"}, "effective_from": "2020-01-01"}
        await put(http, "/v1/fee-schedules/VAYA", rates)
        for index in range(bench.providers):
            body = {"name": f"Team {index}", "npi": valid_npi(index + 1), "tax_id": "561234567",
                    "address": ADDRESS}  # fmt: skip
            await put(http, f"/v1/providers/P{index}", body)
    conn = await asyncpg.connect(bench.dsn)
    await conn.execute(MEMBERS_SQL, bench.members)
    await conn.execute(AUTHORIZATIONS_SQL, bench.members, bench.providers)
    await conn.execute(EVENTS_SQL, bench.events, bench.members, bench.providers)
    await conn.execute(LINES_SQL, bench.events, bench.members, bench.providers)
    await conn.execute("VACUUM ANALYZE")
    await conn.execute("CHECKPOINT")
    await conn.close()
    return time.perf_counter() - started


async def seeded_before(bench: Bench) -> bool:
    """``--reuse``: the database exists and holds this many events."""
    try:
        conn = await asyncpg.connect(bench.dsn)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        count = await conn.fetchval("SELECT count(*) FROM service_events")
        providers = await conn.fetchval("SELECT count(*) FROM providers")
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()
    return bool(count == bench.events and providers == bench.providers)


class app_client:  # noqa: N801 - used as a context manager, reads like a function
    """The real app with its lifespan (the job runner runs in it unless ``runner=False``)."""

    def __init__(self, bench: Bench, runner: bool = True) -> None:
        self.app = create_app(Settings(database_url=bench.url, job_runner=runner), False)
        self.lifespan = self.app.router.lifespan_context(self.app)

    async def __aenter__(self) -> AsyncClient:
        await self.lifespan.__aenter__()
        await self.app.state.validation_pool  # started by the lifespan; let it finish
        async with self.app.state.sessionmaker() as session, session.begin():
            admin = await keys.create_key(session, Role.ADMIN, name="bench")
        self.http = AsyncClient(
            transport=ASGITransport(app=self.app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {admin.clear_key}"},
            timeout=600,
        )
        return self.http

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()
        await self.lifespan.__aexit__(None, None, None)


def _proc_cpu(pid: int) -> float:
    """utime + stime of a process, seconds (0 when it is gone or not on this machine)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Cpu:
    """CPU seconds of this process and of the database's PostgreSQL backends over a step."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench

    async def _backends(self) -> dict[int, float]:
        conn = await asyncpg.connect(self.bench.dsn)
        pids = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            self.bench.db,
        )
        await conn.close()
        return {row["pid"]: _proc_cpu(row["pid"]) for row in pids}

    async def start(self) -> None:
        self.process = time.process_time()
        self.before = await self._backends()

    async def stop(self) -> tuple[float, float]:
        after = await self._backends()
        backends = sum(cpu - self.before.get(pid, 0.0) for pid, cpu in after.items())
        return time.process_time() - self.process, backends


async def _timed_write(
    bench: Bench, http: AsyncClient, method: str, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The write timed to its answer, then the job it names polled until it ends."""
    cpu = Cpu(bench)
    await cpu.start()
    started = time.perf_counter()
    answer = await http.request(method, path, json=body)
    answered = time.perf_counter() - started
    assert answer.status_code in (200, 201), (path, answer.status_code, answer.text[:300])
    job_id = answer.json()["job_id"]
    job: dict[str, Any] = {}
    while job_id:
        job = (await http.get(f"/v1/jobs/{job_id}")).json()
        if job["state"] in ("succeeded", "failed"):
            break
        await asyncio.sleep(0.1)
    finished = time.perf_counter() - started
    process, backends = await cpu.stop()
    return {"answer": answered, "job": finished - answered, "state": job.get("state"),
            "progress": job.get("progress"), "cpu": process, "pg_cpu": backends}  # fmt: skip


async def fee_change(bench: Bench, http: AsyncClient, rate: str) -> str:
    body = {"rates": {"YP630": rate, "YP630:BC": rate}, "effective_from": "2020-01-01"}
    result = await _timed_write(bench, http, "PUT", "/v1/fee-schedules/VAYA", body)
    conn = await asyncpg.connect(bench.dsn)
    priced = await conn.fetchval("SELECT count(*) FROM unit_lines WHERE rate = $1::numeric", rate)
    await conn.close()
    return (
        f"PUT /v1/fee-schedules/VAYA (rate {rate}): answered in {result['answer']:.2f} s; "
        f"re-pricing job {result['state']} {result['job']:.1f} s later; "
        f"{priced:,} lines at the new rate; {_cpu(result)}"
    )


async def fidelity_review(bench: Bench, http: AsyncClient, score: int) -> str:
    body = {"score": score, "final_report_date": FIRST_DAY}
    path = f"/v1/providers/{REVIEWED}/fidelity-reviews"
    result = await _timed_write(bench, http, "POST", path, body)
    conn = await asyncpg.connect(bench.dsn)
    events = await conn.fetchval(
        "SELECT count(*) FILTER (WHERE status = 'excluded') FROM service_events "
        "WHERE provider_id = $1",
        REVIEWED,
    )
    await conn.close()
    return (
        f"POST {path} (score {score}, from {FIRST_DAY}): answered in {result['answer']:.2f} s; "
        f"re-adjudication job {result['state']} {result['job']:.1f} s later "
        f"(progress {result['progress']}); {events:,} of its events excluded; {_cpu(result)}"
    )


def _load() -> str:
    with open("/proc/loadavg") as loadavg:
        return loadavg.read().strip()


def _cpu(result: dict[str, Any]) -> str:
    return f"CPU: bench process {result['cpu']:.1f} s, PostgreSQL backends {result['pg_cpu']:.1f} s"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--db", default="i16_reference", help="the bench database's name")
    parser.add_argument("--reuse", action="store_true", help="keep a database seeded before")
    parser.add_argument("--seed-only", action="store_true", help="seed (or reuse), then stop")
    args = parser.parse_args()
    bench = Bench(args.db, args.events, args.members, args.providers)
    if args.reuse and await seeded_before(bench):
        print(f"== reusing {bench.db}: {bench.events:,} events stored")
    else:
        seconds = await seed(bench)
        print(f"== {bench.events:,} events and unit lines stored, {bench.members:,} members, "
              f"{bench.providers} providers (seeded in {seconds:.0f} s)")  # fmt: skip
    if args.seed_only:
        return
    print(f"load: {_load()}")
    async with app_client(bench) as http:
        for rate in ("7.00", "7.25"):
            print(await fee_change(bench, http, rate), flush=True)
        for score in (70, 90):  # below the minimum (74), then corrected back above it
            print(await fidelity_review(bench, http, score), flush=True)
    print(f"load: {_load()}")


if __name__ == "__main__":
    asyncio.run(main())

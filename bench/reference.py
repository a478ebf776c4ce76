"""A fee-schedule change with a large history stored, on PostgreSQL (issue 16).

    .venv/bin/python bench/reference.py [--events 1000000] [--members 5000]
    (wrap every run in the shared lock: flock /tmp/bench.lock .venv/bin/python bench/reference.py)

1. A fresh database ``i16_reference``, migrated; payer, fee schedule and providers through the
   API; then ``--events`` stored events with their unit lines (one a member-day, billable,
   priced at 6.50), generated inside PostgreSQL (generate_series), VACUUM ANALYZE, CHECKPOINT.
2. The real app with its lifespan (its job runner included), over ASGI:
   ``PUT /v1/fee-schedules/VAYA`` with a new rate, timed to its answer; then the job it names,
   polled every 0.1 s until it has succeeded, timed from the answer.
Targets (issue 16): the answer < 1 s, the re-pricing < 10 s with 1,000,000 events stored.
"""

from __future__ import annotations

import argparse  # noqa: E402
import asyncio  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402
from httpx import ASGITransport, AsyncClient  # noqa: E402

from bench import pgdb
from service.app import create_app  # noqa: E402
from service.auth import keys  # noqa: E402
from service.auth.principal import Role  # noqa: E402
from service.config import Settings  # noqa: E402
from service.migrate import upgrade  # noqa: E402

DB = "i16_reference"
URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DB}"
NPIS = ["1234567893", "1987654328", "1457300287"]
ADDRESS = {"line1": "1 Main St", "city": "Boone", "state": "NC", "zip": "286071234"}

EVENTS_SQL = """
INSERT INTO service_events (event_id, member_id, provider_id, staff_id, payer_id, service_date,
  start_time, end_time, activity, contact, setting, place_of_service, note_id, voided, status,
  minutes, billable_minutes, procedure, modifiers, reasons, adjudication_inputs, adjudicated_at,
  version, body_hash, updated_at)
SELECT 'H-' || n, 'M' || (n % $2), 'P' || (n % $2 % 3), 'S0', 'VAYA',
  DATE '2021-01-01' + (n / $2)::int, TIME '09:00', TIME '10:00', 'job_search', 'in_person',
  'individual', '99', 'N' || n, false, 'billable', 60, 60, 'YP630', '[]', '[]', '{}', now(),
  1, 'h' || n, now()
FROM generate_series(0, $1 - 1) AS n
"""
LINES_SQL = """
INSERT INTO unit_lines (line_ref, member_id, provider_id, payer_id, service_date, procedure_key,
  procedure, modifiers, minutes, units, held_units, status, event_ids, rate, charge,
  authorization_id, auth_units, place_of_service, updated_at)
SELECT 'LH' || n, 'M' || (n % $2), 'P' || (n % $2 % 3), 'VAYA', DATE '2021-01-01' + (n / $2)::int,
  'YP630', 'YP630', '[]', 60, 4, 0, 'billable', json_build_array('H-' || n), 6.50, 26.00,
  NULL, 0, '99', now()
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


async def put(http: AsyncClient, path: str, body: dict[str, Any]) -> Any:
    answer = await http.put(path, json=body)
    assert answer.status_code in (200, 201), (path, answer.status_code, answer.text[:300])
    return answer.json()


async def seed(events: int, members: int) -> float:
    started = time.perf_counter()
    await pgdb.fresh_database(DB)
    await asyncio.to_thread(upgrade, URL)
    async with app_client(runner=False) as http:
        await put(http, "/v1/payers/VAYA", {"name": "Vaya", "kind": "lme_mco"})
        rates = {"rates": {"YP630": "6.50", "YP630:BC": "6.50"}, "effective_from": "2020-01-01"}
        await put(http, "/v1/fee-schedules/VAYA", rates)
        for index, npi in enumerate(NPIS):
            body = {"name": f"Team {index}", "npi": npi, "tax_id": "561234567", "address": ADDRESS}
            await put(http, f"/v1/providers/P{index}", body)
    conn = await asyncpg.connect(f"{pgdb.PG}/{DB}")
    await conn.execute(MEMBERS_SQL, members)
    await conn.execute(EVENTS_SQL, events, members)
    await conn.execute(LINES_SQL, events, members)
    await conn.execute("VACUUM ANALYZE")
    await conn.execute("CHECKPOINT")
    await conn.close()
    return time.perf_counter() - started


class app_client:  # noqa: N801 - used as a context manager, reads like a function
    """The real app with its lifespan (the job runner runs in it unless ``runner=False``)."""

    def __init__(self, runner: bool = True) -> None:
        self.app = create_app(Settings(database_url=URL, job_runner=runner), False)
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


async def fee_change(rate: str) -> dict[str, Any]:
    async with app_client() as http:
        body = {"rates": {"YP630": rate, "YP630:BC": rate}, "effective_from": "2020-01-01"}
        started = time.perf_counter()
        stored = await put(http, "/v1/fee-schedules/VAYA", body)
        answered = time.perf_counter() - started
        job: dict[str, Any] = {}
        while stored["job_id"]:
            job = (await http.get(f"/v1/jobs/{stored['job_id']}")).json()
            if job["state"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.1)
        finished = time.perf_counter() - started
    conn = await asyncpg.connect(f"{pgdb.PG}/{DB}")
    priced = await conn.fetchval("SELECT count(*) FROM unit_lines WHERE rate = $1::numeric", rate)
    await conn.close()
    return {"answer": answered, "job": finished - answered, "state": job.get("state"),
            "priced": priced}  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=5000)
    args = parser.parse_args()
    seconds = await seed(args.events, args.members)
    print(f"== {args.events:,} events and unit lines stored, {args.members:,} members "
          f"(seeded in {seconds:.0f} s)")  # fmt: skip
    for rate in ("7.00", "7.25"):
        result = await fee_change(rate)
        print(
            f"PUT /v1/fee-schedules/VAYA (rate {rate}): answered in {result['answer']:.2f} s; "
            f"re-pricing job {result['state']} {result['job']:.1f} s later; "
            f"{result['priced']:,} lines at the new rate"
        )


if __name__ == "__main__":
    asyncio.run(main())

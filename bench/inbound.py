"""A 10 MB 835 posted to ``POST /v1/edi/inbound`` (issue 14): the whole request, in-process over
ASGI on a real database, and the reading alone.

    .venv/bin/python -m bench.inbound [--megabytes 10] [--pg DBNAME]

1. seed: through the API, one payer, provider and 20 members with one billed claim each; an 835
   from the payer simulator pays the 20 claims and is posted (they are now ``paid``).
2. the big file: the same payment with its 20 claim loops repeated until the file is
   ``--megabytes`` long (about 6,800 CLP loops for 10 MB), under a new ISA13 so it is not a
   duplicate. It changes nothing, so the answer must say ``claims_updated: 0``.
3. figures: the request's wall time, this process's CPU time for it, and ``parse_inbound`` alone
   (wall and CPU); for the 202 answer, the job and the small file, the longest the event loop
   was held meanwhile (a task asking for a turn every 10 ms: what any other request of the
   worker would have waited).
The default database is a fresh SQLite file; ``--pg NAME`` uses (drops and creates) a PostgreSQL
database of that name on the local server.
"""

from __future__ import annotations

import argparse  # noqa: E402
import asyncio  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

from httpx import ASGITransport, AsyncClient  # noqa: E402

from claims.inbound import parse_inbound  # noqa: E402
from claims.inbound.simulate import simulate_835  # noqa: E402
from service.app import create_app  # noqa: E402
from service.auth import keys  # noqa: E402
from service.auth.principal import Role  # noqa: E402
from service.config import Settings  # noqa: E402
from service.jobs.runner import Runner  # noqa: E402
from service.jobs.service import JobContext  # noqa: E402
from service.migrate import upgrade  # noqa: E402
from service.serving import tune_garbage_collector  # noqa: E402

CLAIMS = 20
WHEN = datetime(2026, 4, 10, 9, 30, tzinfo=UTC)
EDI = {"Content-Type": "application/edi-x12"}
ASYNC = {"Prefer": "respond-async"}


class LoopWatch:
    """The longest the event loop went without giving a 10 ms timer its turn, while watched."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, time.perf_counter() - asked - 0.01)

    def __enter__(self) -> LoopWatch:
        self.task = asyncio.create_task(self._watch())
        return self

    def __exit__(self, *_: object) -> None:
        assert self.task is not None
        self.task.cancel()


async def put(http: AsyncClient, path: str, body: dict[str, Any]) -> None:
    response = await http.put(path, json=body)
    assert response.status_code in (200, 201), response.text[:300]


async def seed(http: AsyncClient) -> str:
    """20 claims billed to VAYA; returns the 837P text."""
    await put(http, "/v1/payers/VAYA", {"name": "Vaya Health", "kind": "lme_mco",
              "edi_profile": "default", "timely_filing_days": 3650})  # fmt: skip
    rates = {"YP630": "6.50", "YP630:BC": "6.50"}
    await put(http, "/v1/fee-schedules/VAYA", {"rates": rates, "effective_from": "2025-01-01"})
    await put(http, "/v1/providers/P-01", {
        "name": "Blue Ridge IPS", "npi": "1234567893", "tax_id": "561234567",
        "taxonomy": "251S00000X", "program_start_date": "2024-01-01",
        "address": {"line1": "100 Main St", "city": "Asheville", "state": "NC", "zip": "288011234"},
    })  # fmt: skip
    await put(http, "/v1/providers/P-01/staff/S-07", {"name": "Jordan Lee", "role": "ESP"})
    for index in range(CLAIMS):
        member = f"M-{index:03d}"
        await put(http, f"/v1/members/{member}", {
            "payer_id": "VAYA", "subscriber_id": f"9001{index:05d}", "first_name": "Alex",
            "last_name": "Doe", "birth_date": "1988-04-12", "sex": "F",
            "address": {"line1": "12 Oak St", "city": "Boone", "state": "NC", "zip": "28607"},
            "diagnoses": ["F33.1"], "dvr_shared_case": False, "act_periods": [],
        })  # fmt: skip
        await put(http, f"/v1/service-events/E-{index}", {
            "member_id": member, "provider_id": "P-01", "staff_id": "S-07",
            "service_date": "2026-03-02", "start_time": "09:00", "end_time": "09:50",
            "activity": "job_search", "contact": "in_person", "setting": "individual",
            "place_of_service": "99", "note_id": f"N-{index}",
        })  # fmt: skip
    batch = await http.post("/v1/claim-batches", json={"payer_id": "VAYA"})
    assert batch.status_code == 201, batch.text[:300]
    return (await http.get(f"/v1/claim-batches/{batch.json()['batch_id']}/837p")).text


def inflate(remit: str, megabytes: float) -> str:
    """The payment's claim loops repeated until the file is ``megabytes`` long; new ISA13."""
    term = remit[105]
    segs = [s.strip("\r\n") for s in remit.split(term) if s.strip()]
    first = next(i for i, s in enumerate(segs) if s.startswith("CLP*"))
    last = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    head, loops, tail = segs[:first], segs[first:last], segs[last:]
    size = sum(len(s) + len(term) for s in loops)
    copies = max(1, -(-int(megabytes * 1_000_000) // size))  # rounded up
    body = head + loops * copies
    se = tail[0].split("*")
    se[1] = str(len(body) - next(i for i, s in enumerate(body) if s.startswith("ST*")) + 1)
    out = [*body, "*".join(se), *tail[1:]]
    out[0] = out[0][:90] + "000009999" + out[0][99:]  # ISA13
    out[-1] = "IEA*1*000009999"
    return term.join(out) + term + "\n"


async def run(url: str, megabytes: float) -> None:
    await asyncio.to_thread(upgrade, url)
    # The file is applied in its request, as it was before large files went to a job: this
    # measures the applying itself (a job runs the same code; docs/jobs.md, "Inbound files").
    settings = Settings(database_url=url, inbound_async_bytes=1 << 40, job_runner=False)
    app = create_app(settings, migrate_embedded=False)
    tune_garbage_collector()  # as each worker of ``ipsbill serve`` does
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session, session.begin():
            admin = await keys.create_key(session, Role.ADMIN, name="bench")
        headers = {"Authorization": f"Bearer {admin.clear_key}"}
        async with AsyncClient(
            transport=ASGITransport(app=app), base_url="http://bench", headers=headers, timeout=900
        ) as http:
            text = await seed(http)
            remit = simulate_835(text, control_number=9001, created=WHEN, trace_number="EFT1")
            first = (await http.post("/v1/edi/inbound", content=remit, headers=EDI)).json()
            assert first["claims_updated"] == CLAIMS, first
            with LoopWatch() as small:  # the same small file again: read, found, unchanged
                await http.post("/v1/edi/inbound", content=remit, headers=EDI)
            big = inflate(remit, megabytes)
            started, cpu = time.perf_counter(), time.process_time()
            response = await http.post("/v1/edi/inbound", content=big, headers=EDI)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            as_job = await as_a_job(app, http, big.replace("000009999", "000009998"))
    answer = response.json()
    assert response.status_code == 200, response.text[:300]
    started, cpu_started = time.perf_counter(), time.process_time()
    parsed = parse_inbound(big)
    reading, reading_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"835 of {len(big) / 1e6:.1f} MB, {len(parsed.document.claims)} claim loops "  # type: ignore[union-attr]
          f"naming {CLAIMS} claims already paid")  # fmt: skip
    print(f"POST /v1/edi/inbound:  {wall:6.2f} s wall, {cpu:6.2f} s CPU of this process")
    # Reading is pure CPU: its wall time over its CPU time is what the machine's load costs.
    print(f"parse_inbound alone:   {reading:6.2f} s wall, {reading_cpu:6.2f} s CPU")
    print("as a job (Prefer: respond-async; the same file under another ISA13):")
    print("  202 answer:          {:6.2f} s wall, {:6.2f} s CPU, loop held at most {:.0f} ms\n"
          "  the job:             {:6.2f} s wall, {:6.2f} s CPU, loop held at most {:.0f} ms"
          .format(*as_job))  # fmt: skip
    print(f"a {len(remit):,}-character 835 posted again: loop held at most "
          f"{small.worst * 1000:.0f} ms")  # fmt: skip
    held, unmatched = len(answer["exceptions"]), len(answer["unmatched"])
    print(
        f"answer: claims_updated={answer['claims_updated']} exceptions={held} unmatched={unmatched}"
    )


async def as_a_job(app: Any, http: AsyncClient, big: str) -> tuple[float, ...]:
    """The 202 answer's time, then the job's, run by a runner in this process."""
    started, cpu = time.perf_counter(), time.process_time()
    with LoopWatch() as watch:
        answer = await http.post("/v1/edi/inbound", content=big, headers={**EDI, **ASYNC})
    figures = [time.perf_counter() - started, time.process_time() - cpu, watch.worst * 1000]
    assert answer.status_code == 202, answer.text[:300]
    runner = Runner(app.state.sessionmaker, JobContext(app.state.settings, app.state.profiles))
    started, cpu = time.perf_counter(), time.process_time()
    with LoopWatch() as watch:
        assert await runner.run_next()
    figures += [time.perf_counter() - started, time.process_time() - cpu, watch.worst * 1000]
    job = (await http.get(answer.headers["location"])).json()
    assert job["state"] == "succeeded", job
    return tuple(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--pg", help="a PostgreSQL database to drop, create and use")
    args = parser.parse_args()
    if args.pg:
        from bench import pgdb

        asyncio.run(pgdb.fresh_database(args.pg))
        asyncio.run(run(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{args.pg}", args.megabytes))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/inbound.db", args.megabytes))


if __name__ == "__main__":
    main()

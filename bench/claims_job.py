"""A large claim batch as a job on PostgreSQL (issue 16): the request answers at once, the
job's progress moves while it runs, and the API process's peak memory.

    .venv/bin/python -m bench.claims_job [--claims 10000] [--claims 50000] [--lines-per-claim 10]
        [--db i16_claims_job]
    (wrap every run in the shared lock: flock /tmp/bench.lock .venv/bin/python -m bench.claims_job)

Per size, in fresh processes (so each peak is that size's own):
1. seed: as bench/claim_batch.py (its loader, reused) into the database ``--db``.
2. job: the real app with its lifespan (job runner and pyx12 pool; the pool's start-up is
   waited for first), ``POST /v1/claim-batches`` with ``Prefer: respond-async`` over ASGI,
   timed to its 202; then ``GET /v1/jobs/{id}`` every 0.2 s until the job ends: the time from
   the answer to the first page written (planning included), the longest time between two
   later moves of ``progress.done``, the job's whole time, and the process's peak RSS. The
   runner shares the process's event loop with the API here, as in ``ipsbill serve``.
Targets (issue 16): the answer < 1 s; progress moves at least every 2 s; memory flat in size.
"""

from __future__ import annotations

import argparse
import asyncio  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from httpx import ASGITransport, AsyncClient  # noqa: E402

from bench import claim_batch as claims_bench
from service.app import create_app  # noqa: E402
from service.auth import keys  # noqa: E402
from service.auth.principal import Role  # noqa: E402
from service.config import Settings  # noqa: E402


def use_database(name: str) -> None:
    """Its own database (``--db``), so it never drops bench/claim_batch.py's while that runs."""
    claims_bench.DB = name
    claims_bench.URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def batch_job() -> dict[str, Any]:
    app = create_app(Settings(database_url=claims_bench.URL), migrate_embedded=False)
    async with app.router.lifespan_context(app):
        await app.state.validation_pool  # as in a server up for more than a few seconds
        async with app.state.sessionmaker() as session, session.begin():
            admin = await keys.create_key(session, Role.ADMIN, name="bench")
        headers = {"Authorization": f"Bearer {admin.clear_key}"}
        async with AsyncClient(
            transport=ASGITransport(app=app), base_url="http://bench", headers=headers, timeout=60
        ) as http:
            return await _watch(http)


async def _watch(http: AsyncClient) -> dict[str, Any]:
    started = time.perf_counter()
    answer = await http.post(
        "/v1/claim-batches", json={"payer_id": "VAYA"}, headers={"Prefer": "respond-async"}
    )
    answered = time.perf_counter()
    assert answer.status_code == 202, answer.text[:300]
    moves: list[tuple[float, int]] = [(answered, 0)]  # (when, claims written) at each move
    job = answer.json()
    while job["state"] not in ("succeeded", "failed"):
        await asyncio.sleep(0.2)
        job = (await http.get(answer.headers["location"])).json()
        done = job["progress"]["done"]
        if done != moves[-1][1] or job["state"] in ("succeeded", "failed"):
            moves.append((time.perf_counter(), done))
    gaps = [
        (later[0] - earlier[0], earlier[1], later[1])
        for earlier, later in zip(moves, moves[1:], strict=False)
    ]
    batch = (await http.get(job["result"])).json() if job["result"] else {}
    longest = max(gaps[1:], default=(0.0, 0, 0))
    return {
        "answer": answered - started,
        "job": time.perf_counter() - answered,
        "first_page": gaps[0][0] if gaps else 0.0,  # planning, then the first page written
        "longest_between": longest[0],  # between moves afterwards (the end included)
        "longest_where": f"{longest[1]} -> {longest[2]} claims",
        "moves": len(moves) - 1,
        "state": job["state"],
        "claims": batch.get("claim_count"),
        "api_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_phase(phase: str, claims: int, per_claim: int, db: str) -> dict[str, Any]:
    command = [sys.executable, "-m", __spec__.name, "--phase", phase, "--claims", str(claims),
               "--lines-per-claim", str(per_claim), "--db", db]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    if phase == "job":  # the job's CPU: the API process, its runner and pyx12 workers
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"CPU so far of the bench's children: {usage.ru_utime + usage.ru_stime:.1f} s")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def phase(name: str, claims: int, per_claim: int) -> dict[str, Any]:
    if name == "seed":
        started = time.perf_counter()
        await claims_bench.fresh_database()
        await claims_bench.seed(claims, per_claim)
        return {"seconds": time.perf_counter() - started}
    return await batch_job()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, action="append", help="repeat for more sizes")
    parser.add_argument("--lines-per-claim", type=int, default=10)
    parser.add_argument("--db", default="i16_claims_job", help="the bench database's name")
    parser.add_argument("--phase", choices=["seed", "job"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    use_database(args.db)
    sizes = args.claims or [10_000]
    if args.phase:
        print(json.dumps(asyncio.run(phase(args.phase, sizes[0], args.lines_per_claim))))
        return
    for claims in sizes:
        seeded = run_phase("seed", claims, args.lines_per_claim, args.db)
        lines = claims * args.lines_per_claim
        print(f"== {claims:,} claims / {lines:,} lines (seeded in {seeded['seconds']:.0f} s)")
        job = run_phase("job", claims, args.lines_per_claim, args.db)
        print(f"POST /v1/claim-batches (Prefer: respond-async): 202 in {job['answer']:.2f} s")
        print(f"job {job['state']} after {job['job']:.1f} s ({job['claims']} claims); "
              f"first page written after {job['first_page']:.1f} s, then progress at most "
              f"{job['longest_between']:.1f} s apart ({job['longest_where']}; "
              f"{job['moves']} moves seen)")  # fmt: skip
        print(f"peak RSS of the API process: {job['api_mib']:.0f} MiB")


if __name__ == "__main__":
    main()

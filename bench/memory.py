"""What one kind of traffic leaves behind in a process: RSS and Python's traced heap per round.

    MALLOC_ARENA_MAX=2 .venv/bin/python -m bench.memory [--rounds 20] [--kind claims]
        [--db mem_bench] [--trace] [--members 500]

The real app (its lifespan: the pyx12 pool, the job runner, the maintenance loop) in this
process, over ASGI, on a fresh PostgreSQL database, its garbage collector tuned as a served
worker's. Each round repeats one kind of traffic:
- ``claims``: a batch of 500 new events, then a claim batch (the request, answered when done);
- ``jobs``: the same, the claim batch as a job (``Prefer: respond-async``), polled to its end;
- ``events``: a batch of 500 events and 20 single PUTs;
- ``reads``: 50 reads (events, units, claims);
- ``steady``: the same 2,000 events (4 batches in turn) written again with other end times, then
  a claim batch: the database stops growing, so what still grows is kept by the process;
- ``fresh``: 25 new members, 500 events of theirs, a claim batch billing them: each round's
  work is the same size (the tables grow, but no request reads more of them).
After each round: the process's RSS and, with ``--trace``, tracemalloc's traced size; at the
end the allocation sites that grew most between the round after warm-up and the last.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import os
import random
import time
import tracemalloc

from httpx import ASGITransport, AsyncClient

from bench import pgdb
from bench.soak import Traffic, rss_mb, seed, slope
from service.app import create_app
from service.auth import keys
from service.auth.principal import Role
from service.config import Settings
from service.migrate import upgrade
from service.serving import tune_garbage_collector

MEMBER = {
    "payer_id": "VAYA", "subscriber_id": "900000001", "first_name": "Test", "last_name": "Member",
    "birth_date": "1980-01-01", "sex": "U", "diagnoses": ["F331"],
    "address": {"line1": "12 Oak St", "city": "Boone", "state": "NC", "zip": "28607"},
}  # fmt: skip


async def round_of(kind: str, http: AsyncClient, traffic: Traffic, n: int) -> None:
    rng = traffic.rng
    if kind == "steady":  # the same 2,000 events again and again: the database stops growing
        again = random.Random(n % 4)
        events = [traffic.event(f"R{n % 4}-{i}", again) for i in range(500)]
        for event in events:
            event["end_time"] = f"{int(event['end_time'][:2]) + n % 2:02d}{event['end_time'][2:]}"
        answer = await http.post("/v1/service-events:batch", json={"events": events})
        assert answer.status_code == 200, answer.text
        answer = await http.post("/v1/claim-batches", json={"payer_id": "VAYA"})
        assert answer.status_code in (201, 409), answer.text
    if kind == "fresh":  # new members each round: a claim batch of the same size every time
        members = [f"F{n}-{i}" for i in range(25)]
        for member in members:
            answer = await http.put(f"/v1/members/{member}", json=MEMBER)
            assert answer.status_code in (200, 201), answer.text
        events = [traffic.event(f"R{n}-{i}", rng) for i in range(500)]
        for i, event in enumerate(events):
            event["member_id"] = members[i % 25]
        answer = await http.post("/v1/service-events:batch", json={"events": events})
        assert answer.status_code == 200, answer.text
        answer = await http.post("/v1/claim-batches", json={"payer_id": "VAYA"})
        assert answer.status_code == 201, answer.text
    if kind in ("claims", "jobs", "events"):
        events = [traffic.event(f"R{n}-{i}", rng) for i in range(500)]
        answer = await http.post("/v1/service-events:batch", json={"events": events})
        assert answer.status_code == 200, answer.text
    if kind == "events":
        for i in range(20):
            body = traffic.event(f"S{n}-{i}", rng)
            event_id = body.pop("event_id")
            answer = await http.put(f"/v1/service-events/{event_id}", json=body)
            assert answer.status_code in (200, 201), answer.text
    if kind == "claims":
        if tracemalloc.is_tracing():
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
        answer = await http.post("/v1/claim-batches", json={"payer_id": "VAYA"})
        assert answer.status_code in (201, 409), answer.text
        if tracemalloc.is_tracing():
            left_out = len(answer.json().get("left_out", [])) if answer.status_code == 201 else 0
            peak = (tracemalloc.get_traced_memory()[1] - before) / 2**20
            print(f"   claim batch: {left_out} left out, traced peak +{peak:.1f} MB")
    if kind == "jobs":
        answer = await http.post(
            "/v1/claim-batches", json={"payer_id": "VAYA"}, headers={"Prefer": "respond-async"}
        )
        assert answer.status_code == 202, answer.text
        location = answer.headers["Location"]
        while (job := (await http.get(location)).json())["state"] in ("queued", "running"):
            await asyncio.sleep(0.2)
        assert job["state"] in ("succeeded", "failed"), job
    if kind == "reads":
        for _ in range(50):
            member = f"M{rng.randrange(traffic.members)}"
            await http.get("/v1/service-events", params={"member_id": member, "limit": 50})
            await http.get(f"/v1/members/{member}/units")
            await http.get("/v1/claims", params={"limit": 50})


async def run(args: argparse.Namespace) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{args.db}"
    await pgdb.fresh_database(args.db)
    await asyncio.to_thread(upgrade, url)
    app = create_app(Settings(database_url=url, log_level="WARNING"), migrate_embedded=False)
    tune_garbage_collector()
    async with app.router.lifespan_context(app):
        await app.state.validation_pool
        async with app.state.sessionmaker() as session, session.begin():
            key = await keys.create_key(session, Role.ADMIN, name="bench")
        transport = ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key.clear_key}"}
        async with AsyncClient(transport=transport, base_url="http://t", headers=headers,
                               timeout=600) as http:  # fmt: skip
            await seed(http, args.members, 5)
            traffic = Traffic(http, args.members, 5, 7)
            traffic.rng = random.Random(11)
            points: list[tuple[float, float]] = []
            first: tracemalloc.Snapshot | None = None
            started = time.monotonic()
            for n in range(args.rounds):
                await round_of(args.kind, http, traffic, n)
                gc.collect()
                if args.trim:
                    LIBC.malloc_trim(0)
                mb = rss_mb_self()
                used, free = heap_mb()
                maps = mapped_mb()
                traced = tracemalloc.get_traced_memory()[0] / 2**20 if args.trace else 0.0
                points.append((float(n), mb))
                print(f"round {n:3d}: RSS {mb:7.1f} MB  traced {traced:7.2f} MB  "
                      f"malloc in use {used:7.1f} free {free:6.1f} MB  "
                      f"[heap] {maps['heap']:6.1f} anon {maps['anon']:6.1f} MB  "
                      f"{time.monotonic() - started:6.0f} s", flush=True)  # fmt: skip
                if args.trace and n == args.warmup:
                    first = tracemalloc.take_snapshot()
            late = points[args.warmup :]
            print(f"RSS slope after warm-up: {slope(late) / 60:+.3f} MB per round")
            if first is not None:
                last = tracemalloc.take_snapshot()
                ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
                diff = last.filter_traces(ignore).compare_to(first.filter_traces(ignore),
                                                             "traceback")  # fmt: skip
                for stat in diff[: args.top]:
                    print(f"\n{stat.size_diff / 1024:+.1f} KiB, {stat.count_diff:+d} blocks")
                    for line in stat.traceback.format(limit=args.frames, most_recent_first=True):
                        print("   " + line)


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]  # fmt: skip


LIBC = ctypes.CDLL("libc.so.6")
LIBC.mallinfo2.restype = MallInfo2


def heap_mb() -> tuple[float, float]:
    """glibc's own count: MB allocated (in use, mmapped blocks included) and MB free in its
    arenas (kept, not given back)."""
    info = LIBC.mallinfo2()
    return (info.uordblks + info.hblkhd) / 2**20, info.fordblks / 2**20


def mapped_mb() -> dict[str, float]:
    """Resident MB of the brk heap (glibc's main arena) and of anonymous mappings (glibc's
    other arenas and large blocks, CPython's object arenas, thread stacks)."""
    kinds = {"heap": 0.0, "anon": 0.0, "file": 0.0}
    kind = "file"
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            first = line.split(maxsplit=6)
            if "-" in first[0] and len(first) >= 5:
                name = first[5].strip() if len(first) > 5 else ""
                kind = "heap" if name == "[heap]" else "anon" if not name else "file"
            elif first[0] == "Rss:":
                kinds[kind] += int(first[1]) / 1024
    return kinds


def rss_mb_self() -> float:
    return rss_mb(os.getpid())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="mem_bench")
    parser.add_argument(
        "--kind",
        default="claims",
        choices=["claims", "jobs", "events", "reads", "steady", "fresh"],
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) after each round")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--frames", type=int, default=12)
    args = parser.parse_args()
    if args.trace:
        tracemalloc.start(args.frames)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

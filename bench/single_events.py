"""Single-event writes against a real ``ipsbill serve --workers 2`` on PostgreSQL (issue 19, 2).

    .venv/bin/python -m bench.single_events [--db i19_single] [--clients 50] [--seconds 60]

Seeds members, providers and the payer as bench/soak.py does, then ``--clients`` clients PUT
one event each at a time (new events, and about 30% corrections of their own earlier ones)
for ``--seconds``. Printed: writes/s, p50/p95/p99, errors by status, and the CPU seconds of
the server's workers and of the database's backends per write (the machine is shared: CPU is
steadier than wall time). Then, in the same run, batches of ``--batch-size`` events through
``POST /v1/service-events:batch`` for ``--batch-seconds``, their per-event rate, and the ratio
the issue asks for (single-event writes/s at least 4% of the batch's events/s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from collections import Counter
from typing import Any

import asyncpg
import httpx

from bench import pgdb
from bench.soak import (
    Server,
    Traffic,
    children,
    cpu_seconds,
    own_client,
    pct,
    seed,
    server_arguments,
)

PG = pgdb.PG


class Backends:
    """CPU of the database's server processes over a run. Connections beyond a pool's size
    come and go, so their processes are sampled every half second: each one's CPU from when it
    was first seen to when it was last seen (what a process used before it was first seen or
    after it was last seen is missed: the figure is a floor)."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    async def sample(self, conn: asyncpg.Connection) -> None:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1 "
                                "AND pid <> pg_backend_pid()", self.db)  # fmt: skip
        for row in rows:
            used = cpu_seconds([row["pid"]])
            self.first.setdefault(row["pid"], used)
            self.last[row["pid"]] = used

    async def watch(self, stop: asyncio.Event) -> None:
        conn = await asyncpg.connect(f"{PG}/{self.db}")
        while not stop.is_set():
            await self.sample(conn)
            await asyncio.sleep(0.5)
        await self.sample(conn)
        await conn.close()

    def used(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


class Single:
    def __init__(self, traffic: Traffic) -> None:
        self.traffic = traffic
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.failures: Counter[str] = Counter()  # status 0: what the client raised

    async def client(self, n: int, stop_at: float) -> None:
        async with own_client(self.traffic.http) as http:
            await self._put_events(http, n, stop_at)

    async def _put_events(self, http: httpx.AsyncClient, n: int, stop_at: float) -> None:
        rng = random.Random(n)
        mine: list[dict[str, Any]] = []
        while time.monotonic() < stop_at:
            if mine and rng.random() < 0.3:  # a correction of one of its own events
                body = dict(rng.choice(mine))
                start = int(body["start_time"][:2]) * 60 + int(body["start_time"][3:])
                end = start + rng.choice([15, 30, 45, 60])
                body["end_time"] = f"{end // 60:02d}:{end % 60:02d}"
            else:
                body = self.traffic.event(f"S{n}-{len(mine)}", rng)
                mine.append(body)
            payload = {k: v for k, v in body.items() if k != "event_id"}
            started = time.perf_counter()
            try:
                response = await http.put(f"/v1/service-events/{body['event_id']}", json=payload)
                status = response.status_code
            except httpx.HTTPError as exc:
                status = 0
                self.failures[type(exc).__name__ + ": " + str(exc)[:80]] += 1
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status] += 1


async def batches(traffic: Traffic, size: int, seconds: float) -> tuple[int, float]:
    """Batches of ``size`` new events, one after another: (events written, seconds)."""
    rng = random.Random(99)
    written, count = 0, 0
    started = time.monotonic()
    while time.monotonic() < started + seconds:
        events = [traffic.event(f"B-{count + i}", rng) for i in range(size)]
        count += size
        response = await traffic.http.post("/v1/service-events:batch", json={"events": events},
                                           timeout=600)  # fmt: skip
        if response.status_code == 200:
            written += sum(r["status"] in (200, 201) for r in response.json()["results"])
    return written, time.monotonic() - started


async def run(args: argparse.Namespace) -> None:
    await pgdb.fresh_database(args.db)
    server = Server(args.db, args.port, args.workers)
    server.cli("migrate")
    key = server.cli("keys", "create", "--role", "admin", "--name", "single").strip()
    server.start()
    limits = httpx.Limits(max_connections=args.clients + 8, max_keepalive_connections=64)
    headers = {"Authorization": f"Bearer {key.splitlines()[-1]}"}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{args.port}", headers=headers,
                                     timeout=120, limits=limits) as http:  # fmt: skip
            await seed(http, args.members, args.providers)
            traffic = Traffic(http, args.members, args.providers, 7)
            await warm(traffic, args.clients)
            print(f"seeded {args.members} members, {args.providers} providers; load "
                  f"{os.getloadavg()[0]:.1f}; {args.clients} clients for {args.seconds} s",
                  flush=True)  # fmt: skip
            singles = await single_run(args, server, traffic)
            written, took = await batches(traffic, args.batch_size, args.batch_seconds)
            per_event = written / took if took else 0.0
            print(f"batch endpoint: {written} events in {took:.1f} s = {per_event:.0f} events/s "
                  f"(batches of {args.batch_size}, one client)")  # fmt: skip
            if per_event:
                print(
                    f"single-event writes/s / batch events/s = {singles / per_event:.1%} "
                    "(issue 19 asks at least 4%)"
                )
    finally:
        server.stop()


async def warm(traffic: Traffic, clients: int) -> None:
    """A few seconds of the same traffic first: each worker's pool is opened and its
    statements prepared before anything is measured."""
    warmer = Single(traffic)
    stop_at = time.monotonic() + 5
    await asyncio.gather(*(warmer.client(10_000 + n, stop_at) for n in range(clients)))


async def single_run(args: argparse.Namespace, server: Server, traffic: Traffic) -> float:
    single = Single(traffic)
    assert server.proc is not None
    workers = [server.proc.pid, *children(server.proc.pid)]
    backends, stop = Backends(args.db), asyncio.Event()
    watching = asyncio.create_task(backends.watch(stop))
    workers_before, clients_before = cpu_seconds(workers), time.process_time()
    started = time.monotonic()
    stop_at = started + args.seconds
    await asyncio.gather(*(single.client(n, stop_at) for n in range(args.clients)))
    took = time.monotonic() - started
    served = cpu_seconds(workers) - workers_before
    clients = time.process_time() - clients_before
    stop.set()
    await watching
    ok = single.statuses[200] + single.statuses[201]
    values, per = single.latencies, 1000 / max(ok, 1)
    print(f"single events: {ok} written in {took:.1f} s = {ok / took:.1f} writes/s; "
          f"p50={pct(values, 0.5):.0f} p95={pct(values, 0.95):.0f} "
          f"p99={pct(values, 0.99):.0f} ms")  # fmt: skip
    print("statuses: " + ", ".join(f"{s}: {c}" for s, c in sorted(single.statuses.items())))
    for failure, count in single.failures.most_common():
        print(f"  no answer ({count}): {failure}")
    print(f"CPU per write: {(served + backends.used()) * per:.1f} ms (server {served * per:.1f} "
          f"ms + PostgreSQL backends {backends.used() * per:.1f} ms); the clients' own "
          f"{clients * per:.1f} ms (this process: it shares the cores); "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    return ok / took


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    server_arguments(parser, db="i19_single", port=8829)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--batch-seconds", type=float, default=20)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

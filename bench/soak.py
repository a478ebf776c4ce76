"""A day of real traffic against a real ``ipsbill serve --workers 2`` on PostgreSQL.

    .venv/bin/python -m bench.soak [--minutes 10] [--db i19_soak] [--port 8819]

What an LME-MCO's integrations and finance staff do at once (issue 19): 2,000 members and 5
providers; 20 clients putting single events (new ones, and corrections of their own earlier
ones), 2 clients posting batches of 500 events, 5 clients reading (events, units, claims) and
a claim batch every minute. Printed each minute: requests, p50/p95/p99 per endpoint, errors
by status, RSS per server process. At the end: each worker's RSS slope over the last half,
PostgreSQL's deadlock count for the database (and 40P01 lines in the server log), sequential
scans of the hot tables, the stored-exactly-once check (every acknowledged event stored once,
as last acknowledged), and, after a last claim batch, the unbilled lines not listed as waiting.
The database is created fresh (never PostgreSQL's own nor the suite's); the server's
log is kept in /tmp/<db>.log.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import pgdb

ROOT = Path(__file__).resolve().parents[1]
PG = pgdb.PG
ACTIVITIES = ["job_search", "job_development", "job_support", "career_profile", "engagement"]
FIRST_DAY = date.today() - timedelta(days=60)  # events fall in the last 60 days


def luhn_npi(base: str) -> str:
    """A 10-digit NPI with its check digit (Luhn over the 80840 prefix)."""
    digits = [int(c) for c in "80840" + base]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return base + str((10 - total % 10) % 10)


class Stats:
    """Latencies and statuses per endpoint, per minute."""

    def __init__(self) -> None:
        self.minute: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[tuple[str, int], int] = defaultdict(int)
        self.history: list[dict[str, list[float]]] = []

    def add(self, name: str, seconds: float, status: int, ok: bool) -> None:
        self.minute[name].append(seconds)
        if not ok:
            self.errors[(name, status)] += 1

    def roll(self) -> tuple[dict[str, list[float]], dict[tuple[str, int], int]]:
        minute, errors = self.minute, self.errors
        self.minute, self.errors = defaultdict(list), defaultdict(int)
        self.history.append(minute)
        return minute, errors


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


class Server:
    def __init__(self, db: str, port: int, workers: int) -> None:
        self.env = {
            **os.environ,
            "IPSBILL_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}",
        }
        self.log = Path(f"/tmp/{db}.log")
        self.port, self.workers = port, workers
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        ipsbill = str(ROOT / ".venv/bin/ipsbill")
        done = subprocess.run([ipsbill, *args], env=self.env, cwd="/tmp", capture_output=True,
                              text=True, check=True)  # fmt: skip
        return done.stdout

    def start(self) -> None:
        ipsbill = str(ROOT / ".venv/bin/ipsbill")
        args = [ipsbill, "serve", "--port", str(self.port), "--workers", str(self.workers)]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(args, env=self.env, cwd="/tmp", stdout=log, stderr=log)
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    time.sleep(2)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("ipsbill serve did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()  # not kill: its workers would live on, orphaned
            self.proc.wait(30)

    def rss(self) -> dict[int, float]:
        """MB of resident memory of the server and each of its workers."""
        assert self.proc is not None
        pids = [self.proc.pid, *children(self.proc.pid)]
        return {pid: rss_mb(pid) for pid in pids}


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes so far (the machine is shared: CPU per request is
    steadier than latency when other work competes for the cores)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def own_client(shared: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client of its own for one closed-loop caller, one connection, as each integration
    holds its own. Fifty callers sharing one httpx pool cost the bench's process ~14 ms of CPU
    per request on this 2-core machine (httpcore matches every waiting request against every
    connection): CPU taken from the server it measures."""
    return httpx.AsyncClient(base_url=shared.base_url, headers=shared.headers, timeout=120,
                             limits=httpx.Limits(max_connections=1))  # fmt: skip


class Traffic:
    def __init__(self, http: httpx.AsyncClient, members: int, providers: int, seed: int) -> None:
        self.http, self.members, self.providers = http, members, providers
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.acked: dict[str, str] = {}  # event id -> end_time last acknowledged
        self.left_out: list[dict[str, Any]] = []
        self.stop_at = 0.0

    def event(self, event_id: str, rng: random.Random) -> dict[str, Any]:
        member = rng.randrange(self.members)
        start = rng.randrange(8 * 60, 15 * 60, 5)
        end = start + rng.choice([10, 15, 23, 30, 45, 50, 60, 90])
        return {
            "event_id": event_id,
            "member_id": f"M{member}",
            "provider_id": f"P{member % self.providers}",
            "staff_id": f"S{rng.randrange(3)}",
            "service_date": (FIRST_DAY + timedelta(days=rng.randrange(60))).isoformat(),
            "start_time": f"{start // 60:02d}:{start % 60:02d}",
            "end_time": f"{end // 60:02d}:{end % 60:02d}",
            "activity": rng.choice(ACTIVITIES),
            "contact": "in_person",
            "setting": "individual",
            "note_id": f"N-{event_id}",
        }

    async def timed(self, name: str, call: Any, ok: tuple[int, ...] = (200, 201)) -> Any:
        started = time.perf_counter()
        try:
            response = await call
        except httpx.HTTPError:
            self.stats.add(name, time.perf_counter() - started, 0, False)
            return None
        self.stats.add(name, time.perf_counter() - started, response.status_code,
                       response.status_code in ok)  # fmt: skip
        return response

    async def putter(self, n: int) -> None:
        async with own_client(self.http) as http:
            await self._put_events(http, n)

    async def _put_events(self, http: httpx.AsyncClient, n: int) -> None:
        rng = random.Random(n)
        mine: list[dict[str, Any]] = []
        while time.monotonic() < self.stop_at:
            if mine and rng.random() < 0.3:  # a correction of one of its own events
                body = dict(rng.choice(mine))
                start = int(body["start_time"][:2]) * 60 + int(body["start_time"][3:])
                end = start + rng.choice([15, 30, 45, 60])
                body["end_time"] = f"{end // 60:02d}:{end % 60:02d}"
            else:
                body = self.event(f"S{n}-{len(mine)}", rng)
                mine.append(body)
            event_id = body["event_id"]
            payload = {k: v for k, v in body.items() if k != "event_id"}
            response = await self.timed(
                "PUT event", http.put(f"/v1/service-events/{event_id}", json=payload)
            )
            if response is not None and response.status_code in (200, 201):
                self.acked[event_id] = body["end_time"]
                for item in mine:
                    if item["event_id"] == event_id:
                        item["end_time"] = body["end_time"]

    async def batcher(self, n: int, size: int) -> None:
        async with own_client(self.http) as http:
            await self._post_batches(http, n, size)

    async def _post_batches(self, http: httpx.AsyncClient, n: int, size: int) -> None:
        rng = random.Random(1000 + n)
        count = 0
        while time.monotonic() < self.stop_at:
            events = [self.event(f"B{n}-{count + i}", rng) for i in range(size)]
            count += size
            response = await self.timed(
                "POST batch 500",
                # A batch waits its turn between single events: minutes under load, not an error.
                http.post("/v1/service-events:batch", json={"events": events}, timeout=600),
            )
            if response is not None and response.status_code == 200:
                for result, sent in zip(response.json()["results"], events, strict=True):
                    if result["status"] in (200, 201):
                        self.acked[sent["event_id"]] = sent["end_time"]

    async def reader(self, n: int) -> None:
        async with own_client(self.http) as http:
            await self._read(http, n)

    async def _read(self, http: httpx.AsyncClient, n: int) -> None:
        rng = random.Random(2000 + n)
        while time.monotonic() < self.stop_at:
            member = f"M{rng.randrange(self.members)}"
            kind = rng.randrange(3)
            if kind == 0:
                await self.timed(
                    "GET events",
                    http.get("/v1/service-events", params={"member_id": member, "limit": 50}),
                )
            elif kind == 1:
                await self.timed("GET units", http.get(f"/v1/members/{member}/units"))
            else:
                await self.timed("GET claims", http.get("/v1/claims", params={"limit": 50}))

    async def claim_batch(self) -> httpx.Response | None:
        response = await self.timed(
            "POST claim batch",
            self.http.post("/v1/claim-batches", json={"payer_id": "VAYA"}, timeout=600),
            ok=(201, 409),
        )
        if response is not None and response.status_code == 201:
            self.left_out = response.json().get("left_out", [])
        return response

    async def claimer(self, every: float) -> None:
        while time.monotonic() + every < self.stop_at:
            await asyncio.sleep(every)
            await self.claim_batch()


async def seed(http: httpx.AsyncClient, members: int, providers: int) -> None:
    async def put(path: str, body: dict[str, Any]) -> None:
        response = await http.put(path, json=body)
        assert response.status_code in (200, 201), (path, response.text)

    await put("/v1/payers/VAYA", {"name": "Vaya", "kind": "lme_mco", "timely_filing_days": 365})
    await put("/v1/fee-schedules/VAYA", {"rates": {"YP630": "6.50", "YP630:BC": "6.50"},
                                        "effective_from": "2020-01-01"})  # fmt: skip
    address = {"line1": "1 Main St", "city": "Boone", "state": "NC", "zip": "286071234"}
    for p in range(providers):
        await put(f"/v1/providers/P{p}", {"name": f"Team {p}", "npi": luhn_npi(f"12345678{p}"),
                                          "tax_id": "561234567", "address": address})  # fmt: skip
        for s in range(3):
            await put(f"/v1/providers/P{p}/staff/S{s}", {"name": "Staff", "role": "ESP"})
    gate = asyncio.Semaphore(8)

    async def member(i: int) -> None:
        async with gate:
            await put(f"/v1/members/M{i}", {
                "payer_id": "VAYA", "subscriber_id": f"9{i:08d}", "first_name": "Test",
                "last_name": "Member", "birth_date": "1980-01-01", "sex": "U",
                "address": {"line1": "12 Oak St", "city": "Boone", "state": "NC", "zip": "28607"},
                "diagnoses": ["F331"]})  # fmt: skip

    await asyncio.gather(*(member(i) for i in range(members)))


def report_minute(index: int, stats: Stats, rss: dict[int, float]) -> None:
    minute, errors = stats.roll()
    total = sum(len(v) for v in minute.values())
    print(
        f"-- minute {index}: {total} requests; RSS MB "
        + ", ".join(f"{pid}:{mb:.0f}" for pid, mb in rss.items())
    )
    for name in sorted(minute):
        values = minute[name]
        rate = f"n={len(values):6d} {len(values) / 60:6.1f}/s"
        print(f"   {name:18s} {rate} p50={pct(values, 0.5):7.0f} "
              f"p95={pct(values, 0.95):7.0f} p99={pct(values, 0.99):7.0f} ms")  # fmt: skip
    if errors:
        print("   errors: " + ", ".join(f"{n} {s}: {c}" for (n, s), c in sorted(errors.items())))


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares MB per minute."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den * 60 if den else 0.0


async def table_counters(db: str) -> dict[str, tuple[int, int]]:
    conn = await asyncpg.connect(f"{PG}/{db}")
    rows = await conn.fetch(
        "SELECT relname, seq_scan, seq_tup_read FROM pg_stat_user_tables "
        "WHERE relname IN ('service_events', 'unit_lines', 'unit_counters')"
    )
    await conn.close()
    return {r["relname"]: (r["seq_scan"], r["seq_tup_read"]) for r in rows}


async def final_checks(db: str, traffic: Traffic, server: Server) -> None:
    conn = await asyncpg.connect(f"{PG}/{db}")
    stored = {r["event_id"]: r["end_time"].strftime("%H:%M") for r in await conn.fetch(
        "SELECT event_id, end_time FROM service_events")}  # fmt: skip
    missing = [e for e in traffic.acked if e not in stored]
    differ = [e for e, end in traffic.acked.items() if stored.get(e, end) != end]
    print(f"stored exactly once: {len(traffic.acked)} acknowledged, {len(stored)} stored, "
          f"{len(missing)} missing, {len(differ)} not as last acknowledged")  # fmt: skip
    waiting = {item.get("claim_id") for item in traffic.left_out}
    unbilled = await conn.fetch(
        "SELECT claim_id, status, hold_reason FROM unit_lines WHERE units > 0 AND ("
        " (claim_id IS NULL AND status = 'billable') OR (claim_id IS NOT NULL AND status <> "
        "'claimed' AND (units <> claimed_units OR charge <> claimed_charge)))"
    )
    held = [r for r in unbilled if r["hold_reason"] == "awaiting_payer_claim_number"]
    listed = [r for r in unbilled if r["claim_id"] in waiting and r not in held]
    other = len(unbilled) - len(held) - len(listed)
    print(
        f"after a last claim batch: {len(unbilled)} lines not billed as stored: {len(held)} held "
        f"awaiting_payer_claim_number, {len(listed)} in claims listed left_out, {other} other"
    )
    deadlocks = await conn.fetchval("SELECT deadlocks FROM pg_stat_database WHERE datname = $1", db)
    await conn.close()
    log = server.log.read_text(errors="replace")
    print(
        f"deadlocks: {deadlocks} (pg_stat_database), {log.count('40P01')} log lines with 40P01; "
        f"races retried: {log.count('lost a race')}, answered 409: {log.count('write race')}"
    )


async def run(args: argparse.Namespace) -> None:
    await pgdb.fresh_database(args.db)
    server = Server(args.db, args.port, args.workers)
    server.cli("migrate")
    key = server.cli("keys", "create", "--role", "admin", "--name", "soak").strip().splitlines()[-1]
    server.start()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    headers = {"Authorization": f"Bearer {key}"}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{args.port}", headers=headers,
                                     timeout=120, limits=limits) as http:  # fmt: skip
            await seed(http, args.members, args.providers)
            print(
                f"seeded {args.members} members, {args.providers} providers; "
                f"soaking {args.minutes} min",
                flush=True,
            )
            traffic = Traffic(http, args.members, args.providers, 7)
            await soak(args, server, traffic)
            await traffic.claim_batch()  # the last one, with traffic stopped
            await final_checks(args.db, traffic, server)
    finally:
        server.stop()


async def soak(args: argparse.Namespace, server: Server, traffic: Traffic) -> None:
    before = await table_counters(args.db)
    started = time.monotonic()
    traffic.stop_at = started + args.minutes * 60
    tasks = [
        *(traffic.putter(n) for n in range(args.putters)),
        *(traffic.batcher(n, args.batch_size) for n in range(args.batchers)),
        *(traffic.reader(n) for n in range(args.readers)),
        traffic.claimer(args.claim_every),
    ]
    assert server.proc is not None
    workers = children(server.proc.pid)
    cpu_before = cpu_seconds(workers)
    running = asyncio.gather(*tasks)
    samples: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for minute in range(1, args.minutes + 1):
        while time.monotonic() < started + minute * 60:
            await asyncio.sleep(5)
            for pid, mb in server.rss().items():
                samples[pid].append((time.monotonic() - started, mb))
        report_minute(minute, traffic.stats, server.rss())
        print(end="", flush=True)
    await running
    requests = sum(len(v) for m in traffic.stats.history for v in m.values())
    used = cpu_seconds(workers) - cpu_before
    print(
        f"server workers' CPU: {used:.1f} s for {requests} requests "
        f"({used / max(requests, 1) * 1000:.1f} ms a request)"
    )
    half = args.minutes * 30
    for pid, points in samples.items():
        late = [p for p in points if p[0] >= half]
        print(f"RSS pid {pid}: {points[-1][1]:.0f} MB at the end, slope over the last half "
              f"{slope(late):+.2f} MB/min")  # fmt: skip
    puts = [m.get("PUT event", []) for m in traffic.stats.history]
    if len(puts) >= 3:
        second, last = pct(puts[1], 0.95), pct(puts[-1], 0.95)
        print(f"PUT event p95: minute 2 {second:.0f} ms, last minute {last:.0f} ms "
              f"(ratio {last / second if second else 0:.2f})")  # fmt: skip
    after = await table_counters(args.db)
    for table, (scans, rows) in after.items():
        scans0, rows0 = before.get(table, (0, 0))
        print(f"sequential scans of {table}: {scans - scans0} ({rows - rows0} rows read)")


def server_arguments(parser: argparse.ArgumentParser, db: str, port: int) -> None:
    """What every traffic bench sets: its database and server, the world it seeds, the batches."""
    parser.add_argument("--db", default=db)
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--providers", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=10)
    server_arguments(parser, db="i19_soak", port=8819)
    parser.add_argument("--putters", type=int, default=20)
    parser.add_argument("--batchers", type=int, default=2)
    parser.add_argument("--readers", type=int, default=5)
    parser.add_argument("--claim-every", type=float, default=60.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

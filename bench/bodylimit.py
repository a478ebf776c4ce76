"""Large bodies against a real ``ipsbill serve --workers 2``: nobody can take a worker down.

    python -m bench.bodylimit [--clients 8] [--megabytes 100] [--json]

Starts the server on a scratch SQLite database, then sends ``--clients`` concurrent bodies of
``--megabytes`` each to POST /v1/service-events:batch, three times over: with no key (401
before a byte of the body is read), with a valid key and an honest Content-Length (413 unread),
and with a valid key and no Content-Length at all (chunked: 413 once the bytes received pass the
JSON limit). Meanwhile a legitimate client reads GET /v1/payers every 50 ms. Reported: the
workers' and their pyx12 pools' resident memory before and after (from /proc), whether every
worker is still the same process, how many bytes each flood got the server to take, and how
many legitimate requests were answered (and the slowest). Before the gate, four such bodies
grew the workers from 242 MB to 1.9 GB until uvicorn killed them (issue 12).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

CHUNK = 256 * 1024
PATH = "/v1/service-events:batch"


def descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid``, with its parent (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: dict[int, int] = {}
    frontier = {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier and c not in found}
        found.update({child: parents[child] for child in frontier})
    return found


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        line = next((row for row in status.splitlines() if row.startswith("VmRSS:")), "")
        total += int(line.split()[1]) if line else 0
    return round(total / 1024, 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepared(url: str) -> str:
    """The database migrated and an admin key made in this process: ``ipsbill migrate`` and
    ``ipsbill keys create`` as two more processes cost ~7 s of CPU on a slow core, for what
    is not measured."""
    from service.auth import keys
    from service.auth.principal import Role
    from service.db import make_engine, make_sessionmaker, session_scope
    from service.migrate import upgrade

    upgrade(url)

    async def made() -> str:
        engine = make_engine(url)
        async with session_scope(make_sessionmaker(engine)) as session:
            key = await keys.create_key(session, Role.ADMIN, name="bodylimit")
        await engine.dispose()
        return key.clear_key

    return asyncio.run(made())


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    url = f"sqlite+aiosqlite:///{folder / 'b.db'}"
    key = prepared(url)
    # No demo month: it is not what is measured, and it cost ~8 s of CPU before each run. One
    # pyx12 process a worker: the pools are not what is measured either.
    env = {**os.environ, "IPSBILL_DATABASE_URL": url, "IPSBILL_DEMO_ON_EMPTY": "false",
           "IPSBILL_VALIDATION_WORKERS": "1"}  # fmt: skip
    port = free_port()
    serve = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"]
    quiet = subprocess.DEVNULL
    proc = subprocess.Popen(serve, env=env, cwd=folder, stdout=quiet, stderr=quiet)
    ready = 0  # both workers' pyx12 pools loaded: start-up is not what is measured
    for _ in range(600):
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).json()
            ready = ready + 1 if answer.get("validation_workers") == "ready" else 0
        except (httpx.HTTPError, ValueError):
            ready = 0
        if ready >= 8:
            break
        time.sleep(0.1)
    return proc, port, key


async def send_big_body(port: int, size: int, key: str | None, declare: bool) -> dict[str, Any]:
    """One client sending ``size`` bytes as fast as the server takes them."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"POST {PATH} HTTP/1.1", "Host: ipsbill", "Content-Type: application/json"]
    head.append(f"Content-Length: {size}" if declare else "Transfer-Encoding: chunked")
    if key:
        head.append(f"Authorization: Bearer {key}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    answer = asyncio.create_task(reader.readline())  # read while sending: the server answers
    sent = 0  # (and closes) long before a 100 MB body is through
    chunk = b"[" * CHUNK
    try:
        while sent < size and not answer.done():
            writer.write(chunk if declare else b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await asyncio.wait_for(writer.drain(), 10)
            sent += len(chunk)
    except (ConnectionError, TimeoutError):
        pass
    status = await _status(answer)
    writer.close()
    return {"sent_mb": round(sent / 2**20, 1), "status": status}


async def _status(answer: asyncio.Task[bytes]) -> int | None:
    try:
        line = await asyncio.wait_for(answer, 10)
    except (ConnectionError, TimeoutError):
        return None
    return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else None


async def legitimate(port: int, key: str, stop: asyncio.Event) -> dict[str, Any]:
    answered, failed, slowest = 0, 0, 0.0
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                ok = (await client.get("/v1/payers", headers=headers)).status_code == 200
            except httpx.HTTPError:
                ok = False
            answered, failed = answered + ok, failed + (not ok)
            slowest = max(slowest, time.perf_counter() - started)
            await asyncio.sleep(0.05)
    return {"answered": answered, "failed": failed, "slowest_s": round(slowest, 3)}


async def flood(port: int, key: str, clients: int, size: int) -> dict[str, Any]:
    stop = asyncio.Event()
    watcher = asyncio.create_task(legitimate(port, key, stop))
    rounds = {}
    for name, use_key, declare in (("no_key", None, True), ("key_declared", key, True),
                                   ("key_chunked", key, False)):  # fmt: skip
        started = time.perf_counter()
        sends = [send_big_body(port, size, use_key, declare) for _ in range(clients)]
        results = await asyncio.gather(*sends)
        rounds[name] = {
            "statuses": sorted({str(r["status"]) for r in results}),
            "largest_sent_mb": max(r["sent_mb"] for r in results),
            "seconds": round(time.perf_counter() - started, 2),
        }
    await asyncio.sleep(0.5)
    stop.set()
    return {"rounds": rounds, "legitimate": await watcher}


def measure(clients: int, megabytes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="i12_bodylimit_") as folder:
        proc, port, key = start_server(Path(folder))
        try:
            tree = descendants(proc.pid)
            workers = sorted(pid for pid, parent in tree.items() if parent == proc.pid)
            before = rss_mb(list(tree))
            figures = asyncio.run(flood(port, key, clients, megabytes * 2**20))
            after_tree = descendants(proc.pid)
            alive = sorted(pid for pid, parent in after_tree.items() if parent == proc.pid)
            return {
                "clients": clients,
                "body_mb": megabytes,
                "workers_before": workers,
                "workers_after": alive,
                "rss_mb_before": before,
                "rss_mb_after": rss_mb(list(after_tree)),
                **figures,
            }
        finally:
            proc.terminate()
            proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="one JSON line, for tests")
    args = parser.parse_args()
    result = measure(args.clients, args.megabytes)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""CPU seconds a benchmark's server spent: its process tree and its PostgreSQL backends.

The machine is shared with other work: wall-clock rates move with the load, the CPU the server
and the database spent per event much less (Linux: read from /proc; the local PostgreSQL).
"""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg

TICKS = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (serve's workers and their pyx12 pools)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []  # gone meanwhile


def cpu_by_pid(pids: set[int]) -> dict[int, float]:
    """User + system seconds of each process so far."""
    times = {pid: _stat(pid) for pid in pids}
    return {pid: (int(f[11]) + int(f[12])) / TICKS for pid, f in times.items() if f}


async def backends(dsn: str, db: str) -> set[int]:
    """The PostgreSQL server processes connected to ``db`` (the service's pooled connections)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", db)
    finally:
        await conn.close()
    return {row["pid"] for row in rows}


class Meter:
    """CPU seconds spent between ``start`` and ``stop`` by a server (``pid`` and everything
    below it) and by the backends of its database (a process that appeared meanwhile counts
    from zero; one that ended meanwhile is lost: the pool keeps its connections open)."""

    def __init__(self, pid: int, dsn: str, db: str) -> None:
        self.pid, self.dsn, self.db = pid, dsn, db
        self.before: tuple[dict[int, float], dict[int, float]] = ({}, {})

    async def start(self) -> None:
        self.before = await self._read()

    async def stop(self) -> tuple[float, float]:
        """(server seconds, PostgreSQL seconds) since ``start``."""
        after = await self._read()
        return (
            _spent(self.before[0], after[0]),
            _spent(self.before[1], after[1]),
        )

    async def _read(self) -> tuple[dict[int, float], dict[int, float]]:
        server = cpu_by_pid({self.pid} | descendants(self.pid))
        return server, cpu_by_pid(await backends(self.dsn, self.db))


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())

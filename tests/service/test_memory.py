"""Memory that levels off (issue 19): what a worker frees goes back, what it keeps is bounded.

``bench/memory.py`` repeats one kind of traffic for minutes and prints RSS per round; these are
the cheap checks of the same two facts (docs/operations.md, "Memory").
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import tracemalloc
from typing import Any

from httpx import AsyncClient

from service.serving import release_free_memory
from tests.service.factories import create_member, event_body, fileable_world

# A child process (its own heap): 80 MB freed below a few kept blocks (the heap's top stays
# in use, so glibc gives nothing back by itself), RSS read before and after the release.
FREED_BELOW_KEPT = textwrap.dedent(
    """
    from pathlib import Path
    from service.serving import release_free_memory

    def rss_mb():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    freed = [bytearray(2000) for _ in range(40_000)]
    kept = [bytearray(100) for _ in range(2_000)]
    del freed
    before = rss_mb()
    released = release_free_memory()
    print(released, before, rss_mb())
    """
)


def test_freed_memory_goes_back_to_the_system() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FREED_BELOW_KEPT], capture_output=True, text=True, check=True
    )
    released, before, after = done.stdout.split()
    assert released == "True"
    assert float(before) - float(after) > 50, (before, after)  # of the 80 MB freed


ROUNDS, WARM_UP = 8, 4


async def test_repeated_claim_batches_keep_nothing_per_batch(app: Any, client: AsyncClient) -> None:
    """The same work again (a new member's 20 events and the claim batch billing them) leaves
    Python's heap where it was: caches filled during the warm-up, and nothing kept per batch.
    Measured: 6 KiB (SQLite) and 10 KiB (PostgreSQL) a batch after the warm-up, the caches
    still settling. Coarse: it fails past 32 KiB kept a batch (keeping each batch's planned
    claims, 20 lines, still passed: this batch is small)."""
    admin = await fileable_world(app, client)
    traced = []
    tracemalloc.start(1)
    try:
        for n in range(WARM_UP + ROUNDS):
            member = f"M-{n:04d}"
            await create_member(client, admin, member_id=member)
            events = [
                {"event_id": f"E{n}-{day}",
                 **event_body(member_id=member, service_date=f"2026-03-{day:02d}")}
                for day in range(2, 22)
            ]  # fmt: skip
            answer = await client.post(
                "/v1/service-events:batch", json={"events": events}, headers=admin
            )
            assert answer.status_code == 200, answer.text
            batch = await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
            assert batch.status_code == 201, batch.text
            assert batch.json()["claim_count"] == 1
            gc.collect()
            traced.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    kept = (traced[-1] - traced[WARM_UP - 1]) / ROUNDS
    assert kept < 32 * 1024, [t // 1024 for t in traced]  # bytes kept per batch
    assert release_free_memory() in (True, False)

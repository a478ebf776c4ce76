"""No request can take ``ipsbill serve`` down: bench/bodylimit.py against a real server with two
workers (8 concurrent 100 MB bodies, keyless and keyed), and a killed worker's pyx12 pool."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.cpu import descendants
from tests.service.test_serve import _alive, _parent, _serve_two_workers, _workers

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bodylimit.py"
pytestmark = pytest.mark.skipif(not Path("/proc").exists(), reason="reads Linux's /proc")


def test_eight_100_mb_bodies_leave_every_worker_alive_and_memory_bounded() -> None:
    run = subprocess.run([sys.executable, str(BENCH), "--json"], capture_output=True, text=True,
                         timeout=300, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["workers_after"] == figures["workers_before"]  # no worker was replaced
    rounds = figures["rounds"]
    assert rounds["no_key"]["statuses"] == ["401"]
    # None: the server closed the connection while the client was still writing, so the 413 it
    # sent was lost in the reset; which of the eight clients sees it is a matter of timing.
    for name in ("key_declared", "key_chunked"):
        assert set(rounds[name]["statuses"]) <= {"413", "None"}, (name, rounds[name])
    assert "413" in rounds["key_declared"]["statuses"] + rounds["key_chunked"]["statuses"]
    for name in rounds:  # the server stopped reading: what went out sat in socket buffers
        assert rounds[name]["largest_sent_mb"] < 32, (name, rounds[name])
    assert figures["rss_mb_after"] < figures["rss_mb_before"] + 150  # was +1,650 MB, then killed
    legitimate = figures["legitimate"]
    assert legitimate["answered"] >= 5 and legitimate["failed"] == 0


def test_a_killed_worker_takes_its_pyx12_pool_with_it(tmp_path: Path) -> None:
    """uvicorn replaces a worker that dies; the pool processes of the dead one used to stay."""
    proc, _port, _log = _serve_two_workers(tmp_path)
    try:
        tree = descendants(proc.pid)
        workers = sorted(_workers(proc.pid))
        assert len(workers) == 2, tree
        pools = {w: [p for p in tree if _parent(p) == w] for w in workers}
        victim = max(workers, key=lambda w: len(pools[w]))
        assert len(pools[victim]) >= 1, pools
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(map(_alive, pools[victim])) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in pools[victim] if _alive(pid)]
    finally:
        proc.terminate()
        proc.wait(20)

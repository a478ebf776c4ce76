"""The compose shape on one machine: ``ipsbill serve`` with its runner off takes the request,
``ipsbill worker`` (a separate process) runs the job, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.soak import children
from tests.service.killing import Server, job_row, migrated_sqlite, seed_claimable

pytestmark = pytest.mark.slow  # real server and worker processes


def test_a_job_queued_by_the_api_is_run_by_ipsbill_worker(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path, "worker.db")
    headers = {"Authorization": f"Bearer {asyncio.run(seed_claimable(url, claims=50))}"}
    api = Server(url, tmp_path, IPSBILL_JOB_RUNNER="false")
    env = {**os.environ, "IPSBILL_DATABASE_URL": url, "IPSBILL_VALIDATION_WORKERS": "1"}
    worker = None
    try:
        started = httpx.post(
            f"{api.base}/v1/claim-batches",
            json={"payer_id": "VAYA"},
            headers={**headers, "Prefer": "respond-async"},
            timeout=30,
        )
        assert started.status_code == 202, started.text
        time.sleep(1.5)  # the API's own runner is off: the job waits for a worker
        assert asyncio.run(job_row(url))["state"] == "queued"
        worker = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker"],
            env=env,
            cwd=tmp_path,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(1200):
            if asyncio.run(job_row(url))["state"] in ("succeeded", "failed"):
                break
            time.sleep(0.1)
        job = httpx.get(api.base + started.headers["location"], headers=headers).json()
        assert job["state"] == "succeeded" and job["progress"] == {"done": 50, "total": 50}
        assert httpx.get(api.base + job["result"], headers=headers).status_code == 200
        worker.send_signal(signal.SIGTERM)  # as a container is stopped
        assert worker.wait(timeout=60) == 0
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        api.kill()


def _running(pid: int) -> bool:
    try:  # a zombie has ended: only its exit status waits for its parent
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _command(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "cmdline").read_text().replace("\0", " ")
    except OSError:
        return "?"


def test_ipsbill_worker_starts_its_pyx12_pool_before_any_job_and_stops_it(tmp_path: Path) -> None:
    """As serve does: the first claim batch does not wait for pyx12's processes and maps, and a
    pyx12 the patches no longer fit stops the worker at start-up (service/validation.py)."""
    env = {**os.environ, "IPSBILL_DATABASE_URL": migrated_sqlite(tmp_path, "idle.db"),
           "IPSBILL_VALIDATION_WORKERS": "1"}  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env,
                              cwd=tmp_path, start_new_session=True)  # fmt: skip
    try:
        for _ in range(1200):  # no job is queued: only the warm-up starts processes
            if children(worker.pid):
                break
            time.sleep(0.05)
        pool = children(worker.pid)
        assert pool, "no pyx12 process started"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
        for _ in range(200):  # the pool's processes (and spawn's resource tracker) end with it
            alive = [pid for pid in pool if _running(pid)]
            if not alive:
                break
            time.sleep(0.05)
        assert not alive, [_command(pid) for pid in alive]
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)

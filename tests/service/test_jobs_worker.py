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

"""``ipsbill serve`` as a real process: what it answered is committed before the next request."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc: parent ids)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_stopped_server_leaves_no_process_behind(tmp_path: Path) -> None:
    """The validation pool's processes start with the server and stop with it: without the
    shutdown in the app's lifespan they were orphaned by every stop."""
    env = {**os.environ, "IPSBILL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}"}
    port = _free_port()
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        started = [_readyz(port) for _ in range(12)]
        assert "ready" in started, started
        below = _descendants(proc.pid)
        assert len(below) >= 4, below  # two serve workers, each with its pyx12 pool
    finally:
        proc.terminate()
        proc.wait(20)
    deadline = time.monotonic() + 10
    while any(map(_alive, below)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in below if _alive(pid)]


def _readyz(port: int) -> str:
    for _ in range(300):
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if answer.status_code == 200 and answer.json()["validation_workers"] == "ready":
                return "ready"
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return "never ready"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = {**os.environ, "IPSBILL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}"}
    created = subprocess.run(
        [sys.executable, "-m", "service.cli", "keys", "create", "--role", "admin"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base, {"Authorization": f"Bearer {key}"}
    finally:
        proc.terminate()
        proc.wait(10)


def test_an_answered_write_is_visible_to_the_next_request(
    server: tuple[str, dict[str, str]],
) -> None:
    base, headers = server
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        assert http.put("/v1/payers/VAYA", json={"name": "Vaya", "kind": "lme_mco"}).is_success
        for index in range(30):
            member = http.put(
                f"/v1/members/M{index}",
                json={
                    "payer_id": "VAYA",
                    "first_name": "A",
                    "last_name": "B",
                    "birth_date": "1990-01-01",
                    "sex": "U",
                },
            )
            assert member.status_code == 201
            assert http.get(f"/v1/members/M{index}").status_code == 200
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.get("/openapi.json").json()["info"]["title"] == "ipsbill"

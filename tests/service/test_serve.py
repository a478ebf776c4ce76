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

pytestmark = pytest.mark.slow  # real server processes


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


def _serve_two_workers(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    env = {**os.environ, "IPSBILL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}"}
    port = _free_port()
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    started = [_readyz(port) for _ in range(12)]
    assert "ready" in started, started
    return proc, port


def _connection_owner(pids: set[int], port: int, client_port: int) -> int:
    """The process holding the server side of the connection from ``client_port`` (Linux:
    the socket's inode from /proc/net/tcp, then the process with that inode among its fds)."""
    wanted = f"0100007F:{port:04X} 0100007F:{client_port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    inode = next(row.split()[9] for row in rows if " ".join(row.split()[1:3]) == wanted)
    for pid in pids:
        try:
            links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:
            continue
        if f"socket:[{inode}]" in links:
            return pid
    raise AssertionError(f"no process holds the connection from port {client_port}")


def _open_connection(port: int) -> socket.socket:
    """A kept-alive connection that has been answered once (an integration's open session)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: ipsbill\r\n\r\n")
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    return sock


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_two_open_connections_are_served_by_two_workers(tmp_path: Path) -> None:
    """An integration posting two batches at a time holds two connections: they go to two
    workers (service.serving), not both to the one the kernel happened to wake (it was one
    core doing all the intake while the other idled)."""
    proc, port = _serve_two_workers(tmp_path)
    try:
        workers = {pid for pid in _descendants(proc.pid) if _parent(pid) == proc.pid}
        for _ in range(6):  # by chance alone, all six pairs split 1 time in 64
            first, second = _open_connection(port), _open_connection(port)
            owners = {
                _connection_owner(_descendants(proc.pid), port, sock.getsockname()[1])
                for sock in (first, second)
            }
            first.close(), second.close()
            assert len(owners) == 2 and owners <= workers, (owners, workers)
            time.sleep(0.2)  # both closed before the next pair
    finally:
        proc.terminate()
        proc.wait(20)


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_stopped_server_leaves_no_process_behind(tmp_path: Path) -> None:
    """The validation pool's processes start with the server and stop with it: without the
    shutdown in the app's lifespan they were orphaned by every stop."""
    proc, port = _serve_two_workers(tmp_path)
    try:
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

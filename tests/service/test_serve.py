"""``ipsbill serve`` as a real process: what it answered is committed before the next request."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.cpu import descendants
from tests.service.cli_inprocess import run_cli
from tests.service.live import free_port

pytestmark = pytest.mark.slow  # real server processes

# ``serve --workers 2``: its process, port, an admin key and its log (the two_workers fixture).
TwoWorkers = tuple[subprocess.Popen[bytes], int, str, Path]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _serve_two_workers(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    """``serve --workers 2`` on SQLite, once every worker's pyx12 pool is ready; its log."""
    env = {**os.environ, "IPSBILL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
           "IPSBILL_DEMO_ON_EMPTY": "false"}  # fmt: skip
    env.pop("MALLOC_ARENA_MAX", None)  # serve sets it for its workers (service.serving)
    port, log = free_port(), tmp_path / "serve.log"
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=out, stderr=out)
    started = [_readyz(port) for _ in range(12)]
    assert "ready" in started, started
    return proc, port, log


def _workers(parent: int) -> set[int]:
    """uvicorn's worker processes (spawned by multiprocessing; not its resource tracker)."""
    found = set()
    for pid in descendants(parent):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if _parent(pid) == parent and b"spawn_main" in command:
                found.add(pid)
        except OSError:
            continue
    return found


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


def _answered_by(workers: set[int], port: int) -> int:
    """The worker that answered a request on a new connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: ipsbill\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        return _connection_owner(workers, port, sock.getsockname()[1])


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_every_worker_serves_on_uvloop(
    two_workers: TwoWorkers,
) -> None:
    """``--workers 2`` is two uvicorn workers, each answering on its own, on uvloop, each with
    its malloc arenas bounded (service.serving.bound_malloc_arenas). Which
    worker the kernel gives a connection to is not asserted (spreading connections is the load
    balancer's job, service.serving): the other worker is stopped while one is asked, so only
    the one asked can answer. (A stop shorter than uvicorn's 5 s health check.)"""
    proc, port, _, _ = two_workers
    workers = _workers(proc.pid)
    assert len(workers) == 2, workers
    for worker in workers:
        assert "uvloop/loop." in Path(f"/proc/{worker}/maps").read_text()
        environment = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
        assert b"MALLOC_ARENA_MAX=2" in environment  # glibc arenas bounded in each worker
        others = workers - {worker}
        for other in others:
            os.kill(other, signal.SIGSTOP)
        try:
            assert _answered_by(workers, port) == worker
        finally:
            for other in others:
                os.kill(other, signal.SIGCONT)
    assert _workers(proc.pid) == workers  # none was restarted meanwhile


def _start_put(port: int, key: str, body: bytes) -> socket.socket:
    """A PUT whose body is held back: it returns once the app waits for the body (uvicorn
    answers ``Expect: 100-continue`` when the app first reads it)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    head = (
        f"PUT /v1/payers/VAYA HTTP/1.1\r\nHost: ipsbill\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\n\r\n"
    )
    sock.sendall(head.encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 100"), "the app never read the body"
    return sock


def _read_answer(sock: socket.socket) -> bytes:
    answer = b""
    while chunk := sock.recv(65536):  # the server closes the connection: it is shutting down
        answer += chunk
    return answer


def _wait_for_line(log: Path, text: str) -> None:
    deadline = time.monotonic() + 20
    while text not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"never logged {text!r}: {log.read_text()}"
        time.sleep(0.1)


def _admin_key(tmp_path: Path) -> str:
    created = run_cli(tmp_path, "s.db", "keys", "create", "--role", "admin")  # in this process
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


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


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TwoWorkers]:
    """One ``serve --workers 2`` for this file's tests (its process, port, an admin key and its
    log), in file order: the killed worker's test, then the stop test last. A test file is one
    xdist unit (pyproject's --dist loadfile), so one worker starts it once."""
    folder = tmp_path_factory.mktemp("serve")
    key = _admin_key(folder)
    proc, port, log = _serve_two_workers(folder)
    try:
        yield proc, port, key, log
    finally:
        proc.terminate()
        proc.wait(20)


def test_an_answered_write_is_visible_to_the_next_request(
    two_workers: TwoWorkers,
) -> None:
    """Whichever of the two workers answers the next request sees the write answered before."""
    _, port, key, _ = two_workers
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
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


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads Linux's /proc")
def test_a_killed_worker_takes_its_pyx12_pool_with_it(
    two_workers: TwoWorkers,
) -> None:
    """uvicorn replaces a worker that dies; the pool processes of the dead one used to stay.
    After the tests that want the two first workers: it leaves a replaced one behind."""
    proc, _port, _key, _log = two_workers
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
    deadline = time.monotonic() + 30  # uvicorn starts a worker in its place
    while len(_workers(proc.pid) - {victim}) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_workers(proc.pid) - {victim}) == 2


def test_a_stop_answers_the_request_in_flight_and_leaves_no_process_behind(
    two_workers: TwoWorkers,
) -> None:
    """SIGTERM stops the workers gracefully: a request in flight is answered (and its
    connection closed), then every process ends, the validation pools' too (without the
    shutdown in the app's lifespan they were orphaned by every stop). Last on the shared server
    (a worker of which was killed and replaced): it stops it."""
    proc, port, key, log = two_workers
    try:
        below = descendants(proc.pid)
        assert len(below) >= 4, below  # two serve workers, each with its pyx12 pool
        body = b'{"name": "Vaya", "kind": "lme_mco"}'
        sock = _start_put(port, key, body)
        proc.terminate()
        _wait_for_line(log, "Waiting for connections to close")
        sock.sendall(body)
        answer = _read_answer(sock)
        sock.close()
        # 200 when the first test ran (it made VAYA), 201 when this test runs alone
        assert answer.split(b" ")[1] in (b"200", b"201"), answer[:300]
        assert b"connection: close" in answer.lower()
        assert proc.wait(20) == 0
    finally:
        proc.terminate()
        proc.wait(20)
    deadline = time.monotonic() + 10
    while any(map(_alive, below)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in below if _alive(pid)]

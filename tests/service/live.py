"""``ipsbill serve`` as a real process on a free port with its own SQLite file, for tests that
must see what a client and an operator see (headers over the wire, log lines)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent  # the environment's own ipsbill, as a README reader runs it


@dataclass(frozen=True)
class Served:
    port: int
    folder: Path
    log: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def served(folder: Path, demo: bool = False) -> Iterator[Served]:
    """``demo``: the fresh database gets the demo month first, as the README's first command
    does; ~8 s of CPU before the server answers, so only a test that follows the README asks."""
    env = {
        **os.environ,
        "IPSBILL_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'ipsbill.db'}",
        "IPSBILL_DEMO_ON_EMPTY": str(demo).lower(),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    port, log = free_port(), folder / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [str(BIN / "ipsbill"), "serve", "--port", str(port)],
            env=env, cwd=folder, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_ready(port, proc)
            yield Served(port, folder, log, env)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "ipsbill serve exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("ipsbill serve did not become ready in 60 s")

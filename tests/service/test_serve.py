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

"""The wheel an operator installs stands alone: built with ``python -m build``, installed in a
fresh venv outside the repository, it migrates, loads the demo and serves (docs/operations.md)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ready(port: int, seconds: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if answer.status_code == 200:
                body: dict[str, object] = answer.json()
                return body
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "ipsbill serve never became ready"
        time.sleep(0.3)


def test_the_built_wheel_migrates_loads_the_demo_and_serves_from_a_fresh_venv(
    tmp_path: Path,
) -> None:
    dist, site = tmp_path / "dist", tmp_path / "site"
    site.mkdir()
    _run(sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=tmp_path)
    (wheel,) = dist.glob("ipsbill-*.whl")
    # The fresh venv gets no pip of its own (ensurepip is seconds of CPU): this environment's pip
    # installs the wheel and its dependencies into it (--python, pip >= 22.3).
    _run(sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv", cwd=tmp_path)
    bin_dir = tmp_path / "venv" / "bin"
    _run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q",
         "--no-compile", wheel, cwd=tmp_path)  # fmt: skip

    # No checkout on the path and another working directory: only the installed package.
    env = {key: value for key, value in os.environ.items() if not key.startswith("IPSBILL_")}
    env.pop("PYTHONPATH", None)
    env["IPSBILL_DATABASE_URL"] = f"sqlite+aiosqlite:///{site / 'ipsbill.db'}"
    ipsbill = bin_dir / "ipsbill"
    assert "latest revision" in _run(ipsbill, "migrate", cwd=site, env=env)
    demo = _run(ipsbill, "demo", cwd=site, env=env)
    assert "claim batch B" in demo and "invoice " in demo, demo

    port = _free_port()
    server = subprocess.Popen(
        [str(ipsbill), "serve", "--port", str(port)],
        cwd=site, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert _ready(port)["status"] == "ready"
    finally:
        server.terminate()
        server.wait(timeout=30)
    installed = Path(_run(bin_dir / "python", "-c", "import service; print(service.__file__)",
                          cwd=site, env=env).strip())  # fmt: skip
    assert ROOT not in installed.parents  # the venv's copy, never the checkout
    shutil.rmtree(tmp_path / "venv", ignore_errors=True)

"""The wheel an operator installs stands alone: built with ``python -m build`` (the sdist, then
the wheel from the sdist), installed in a fresh venv outside the repository, it migrates, loads
the demo and serves (docs/operations.md).

What the wheel must carry (the code, the migrations, the payer profiles, the data files) comes
only from it: it is installed with ``--no-deps`` and the checkout is on no path. Its
dependencies, which are not the wheel's to prove, are this environment's: the fresh venv sees
this one's site-packages through a ``.pth`` line (a directory on the path; the ``.pth`` files in
it, the checkout's editable install among them, are not run), so nothing is downloaded or built
again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

from tests.service.live import free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout


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
    dist, site, venv = tmp_path / "dist", tmp_path / "site", tmp_path / "venv"
    site.mkdir()
    # This environment's setuptools (the test extra holds the build-system's pin) instead of an
    # isolated build environment installed for each build.
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT, cwd=tmp_path)
    (wheel,) = dist.glob("ipsbill-*.whl")
    # The fresh venv gets no pip of its own (ensurepip is seconds of CPU): this environment's pip
    # installs the wheel alone into it (--python, pip >= 22.3).
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    bin_dir = venv / "bin"
    _run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q",
         "--no-deps", "--no-compile", wheel, cwd=tmp_path)  # fmt: skip
    (own_site,) = venv.glob("lib/python*/site-packages")
    (own_site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    # No checkout on the path and another working directory: only the installed package.
    env = {key: value for key, value in os.environ.items() if not key.startswith("IPSBILL_")}
    env.pop("PYTHONPATH", None)
    env["IPSBILL_DATABASE_URL"] = f"sqlite+aiosqlite:///{site / 'ipsbill.db'}"
    ipsbill = bin_dir / "ipsbill"
    assert "latest revision" in _run(ipsbill, "migrate", cwd=site, env=env)

    # Served on the migrated, empty database, it first loads the demo month (README Quickstart).
    port, said = free_port(), tmp_path / "serve.out"
    with said.open("w") as out:
        server = subprocess.Popen(
            [str(ipsbill), "serve", "--port", str(port)],
            cwd=site, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            assert _ready(port, seconds=300)["status"] == "ready"
        finally:
            server.terminate()
            server.wait(timeout=30)
    demo = said.read_text()
    assert "loading the demo month" in demo and "claim batch B" in demo, demo[-3000:]
    assert "invoice " in demo and "console: sign in at /console as demo" in demo, demo[-3000:]
    where = "import sys, claims, service; print(claims.__file__, service.__file__, *sys.path)"
    installed, *path = _run(bin_dir / "python", "-c", where, cwd=site, env=env).split(" ")
    assert all(own_site in Path(module).parents for module in (installed, path.pop(0)))
    assert str(ROOT) not in [entry.strip() for entry in path]  # the checkout is not importable
    shutil.rmtree(venv, ignore_errors=True)

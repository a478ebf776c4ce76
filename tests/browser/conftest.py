"""Browser tests: a real ``ipsbill serve`` (subprocess, free port, its own database) driven by
Playwright in Debian's Chromium (Playwright's own browser download is not reachable here).

When ``chromium`` is missing and we are root, the session installs it with apt-get; otherwise the
tests skip, except under CI=true, where a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from claims.inbound.sim837 import read_837p
from claims.inbound.simulate import PAY_IN_FULL, RemitAction, RemitPlan, simulate_835
from tests.service.cli_inprocess import run_cli_on
from tests.service.live import free_port

IN_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FINANCE = ("fin", "finance-pass-1")
PROVIDER = ("prov2", "provider-pass-2")


def _install_chromium() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0:
        _install_chromium()
        found = shutil.which("chromium")
    if found is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(f"{message}; CI=true requires the browser tests", pytrace=False)
        pytest.skip(message)
    return found


@dataclass
class Server:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    admin_key: str = ""
    batch_id: str = ""  # the seeded month's batch (bill_and_answer)
    text: str = ""  # its 837P
    denied_id: str = ""  # DEMO-M00's claim, denied by the payer (CARC 16)
    paid_later_id: str = ""  # DEMO-M02's claim, left out of that 835: a test's upload pays it

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """``ipsbill ARGS`` on the server's database, through service.cli.main in this process
        (tests/service/cli_inprocess.py); in a thread of its own, as Playwright's sync API keeps
        an event loop running in this one."""
        url = self.env["IPSBILL_DATABASE_URL"]
        with ThreadPoolExecutor(1) as pool:
            done = pool.submit(run_cli_on, ROOT, url, *args, stdin=stdin or "").result()
        assert done.returncode == 0, done.stderr
        return done.stdout

    def api(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.admin_key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


def start_server(folder: Path, database_url: str | None = None, **settings: str) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "IPSBILL_DATABASE_URL": database_url or f"sqlite+aiosqlite:///{folder / 'console.db'}",
        "IPSBILL_DEMO_ON_EMPTY": "false",
        "IPSBILL_VALIDATION_WORKERS": "1",
        **{f"IPSBILL_{key.upper()}": value for key, value in settings.items()},
    }
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port)]
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", env, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("ipsbill serve did not start: " + (folder / "serve.log").read_text())


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


def seed(server: Server) -> None:
    """The demo's payer, providers, members and month of events, through the real API; and the
    console users of the tests."""
    from service.demo import Demo, _milestones
    from service.progress import steps

    server.admin_key = server.cli("keys", "create", "--role", "admin").strip().splitlines()[-1]

    async def load() -> None:
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=120) as http:
            import random

            with steps("seed", 3, stream=io.StringIO()) as progress:
                demo = Demo(http, progress)
                await demo.reference(12)
                await demo.post(
                    "/v1/service-events:batch", {"events": demo.events(12, random.Random(11))}
                )
                await _milestones(demo)  # milestone 1 earned by DEMO-M00 (DEMO-P1), then invoiced

    # Playwright's sync API runs an event loop in this thread: the seeding gets its own thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, load()).result()
    server.cli("users", "create", "--role", "finance", "--username", FINANCE[0],
               "--password-stdin", stdin=FINANCE[1] + "\n")  # fmt: skip
    server.cli("users", "create", "--role", "provider", "--provider-id", "DEMO-P2",
               "--username", PROVIDER[0], "--password-stdin", stdin=PROVIDER[1] + "\n")  # fmt: skip


def bill_and_answer(server: Server) -> None:
    """The seeded month billed and answered through the API before any test runs, so every test
    finds what it needs whatever ran before it, on whichever worker: one batch, and an 835 that
    denies DEMO-M00's claim (lacks information), pays the others and leaves out DEMO-M02's."""
    with server.api() as api:
        made = api.post("/v1/claim-batches", json={"payer_id": "DEMO-LME"})
        assert made.status_code == 201, made.text
        server.batch_id = made.json()["batch_id"]
        server.text = api.get(f"/v1/claim-batches/{server.batch_id}/837p").text
        first = {m: _first_claim(api, m) for m in ("DEMO-M00", "DEMO-M02")}
        server.denied_id, server.paid_later_id = first["DEMO-M00"], first["DEMO-M02"]
        plans = {server.denied_id: RemitPlan(RemitAction.DENY, denial_reason="16")}
        plans |= {claim: PAY_IN_FULL for claim in _claim_ids(server.text)
                  if claim not in (server.denied_id, server.paid_later_id)}  # fmt: skip
        remittance = simulate_835(
            server.text, control_number=7000, created=datetime.now(UTC),
            trace_number="EFT-SETUP-1", plans=plans, default=None,
        )  # fmt: skip
        read = api.post("/v1/edi/inbound", content=remittance.encode(),
                        headers={"Content-Type": "application/edi-x12"})  # fmt: skip
        assert read.is_success, read.text


def _first_claim(api: httpx.Client, member_id: str) -> str:
    items = api.get("/v1/claims", params={"member_id": member_id}).json()["items"]
    return str(items[0]["claim_id"])


def _claim_ids(text_837: str) -> list[str]:
    return [claim.claim_id for claim in read_837p(text_837).claims]


def postgres_database(name: str = "console") -> str:
    """A scratch database beside the suite's own (tests/conftest.py's PostgreSQL rules)."""
    from tests.conftest import IN_CI, PG_URL, _pg_reachable
    from tests.service.factories import scratch_database

    if not _pg_reachable():
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} is not reachable; CI=true requires it")
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable")
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scratch_database(PG_URL, name)).result()


# Package scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, so it must be closed before the rest of the suite (which calls asyncio.run) goes on.
@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, chromium_path: str
) -> Iterator[Server]:
    url = postgres_database() if request.param == "postgresql" else None
    running = start_server(tmp_path_factory.mktemp("console"), url)
    try:
        seed(running)
        bill_and_answer(running)
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="package")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()

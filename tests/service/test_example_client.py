"""examples/client.py against a real ``ipsbill serve``: as a script, and through a network that
loses an answer (the retry gets the first answer back, the events are posted once)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.service.cli_inprocess import run_cli
from tests.service.factories import NPI_1
from tests.service.live import BIN, Served, served

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "examples" / "client.py"
pytestmark = pytest.mark.slow  # a real server, the client and mypy as processes
DAY = (date.today() - timedelta(days=2)).isoformat()
DAY_BEFORE = (date.today() - timedelta(days=3)).isoformat()


def _load_client() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_client", CLIENT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["example_client"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _admin_key(server: Served) -> str:
    made = run_cli(server.folder, "ipsbill.db", "keys", "create", "--role", "admin",
                   "--name", "example")  # fmt: skip
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str]]:
    """One server with the reference data for this module's tests (their events differ)."""
    with served(tmp_path_factory.mktemp("example")) as running:
        key = _admin_key(running)
        _reference(running, key)
        yield running, key


def _reference(server: Served, key: str) -> None:
    address = {"line1": "1 Main St", "city": "Boone", "state": "NC", "zip": "28607"}
    records: list[tuple[str, dict[str, Any]]] = [
        ("/v1/payers/VAYA", {"name": "Vaya Health", "kind": "lme_mco"}),
        ("/v1/fee-schedules/VAYA", {"rates": {"YP630": "6.50"}, "effective_from": "2020-01-01"}),
        ("/v1/providers/P-01", {"name": "Blue Ridge IPS", "npi": NPI_1, "tax_id": "561234567",
                                "address": address}),
        ("/v1/providers/P-01/staff/S-07", {"name": "Jordan Lee", "role": "ESP"}),
    ]  # fmt: skip
    for member_id in ("M-1", "M-2"):
        member = {"payer_id": "VAYA", "subscriber_id": "900123456", "first_name": "Alex",
                  "last_name": "Rivera", "birth_date": "1990-05-17", "sex": "U",
                  "diagnoses": ["F33.1"], "address": address}  # fmt: skip
        records.append((f"/v1/members/{member_id}", member))
    for path, body in records:
        answer = httpx.put(server.url + path, json=body, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 201, (path, answer.text)


def _event(event_id: str, member_id: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "member_id": member_id, "provider_id": "P-01",
            "staff_id": "S-07", "service_date": "2020-01-01", "start_time": start,
            "end_time": end, "activity": "job_search", "contact": "in_person",
            "setting": "individual", "note_id": "N-1", **extra}  # fmt: skip


DAY_OF_EVENTS = [
    _event("E-1", "M-1", "09:00", "09:45"),
    _event("E-2", "M-1", "13:00", "13:30", note_id=None),  # no note yet: held
    _event("E-3", "M-2", "10:00", "11:00"),
    _event("E-4", "M-2", "14:00", "14:30", staff_id="S-99"),  # unknown staff: rejected
]


def test_the_example_client_posts_a_day_and_reports_it(
    tmp_path: Path, server: tuple[Served, str]
) -> None:
    (running, key), day_file = server, tmp_path / "day.json"
    day_file.write_text(json.dumps(DAY_OF_EVENTS))
    command = [sys.executable, str(CLIENT), "--api", running.url, "--key", key,
               "--service-date", DAY, str(day_file)]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, timeout=300)
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "posted: 3 created, 0 updated, 0 unchanged, 1 rejected"
    assert lines[1] == "  rejected E-4: unknown-reference: unknown staff S-99 of P-01"
    assert "E-3: billable, 60 of 60 min billable" in lines, lines
    # E-2 has no note yet: M-1's units of the day wait for it (E-1's minutes with them).
    assert "E-2: held, 0 of 30 min billable missing_service_note" in lines, lines
    held = [line for line in lines if line.startswith("held: ")]
    assert len(held) == 1 and held[0].startswith(f"held: M-1 {DAY} YP630 "), lines
    assert held[0].endswith("events E-1, E-2"), lines
    assert again.stdout.splitlines()[0] == "posted: 0 created, 0 updated, 3 unchanged, 1 rejected"


class LosesFirstAnswer(httpx.BaseTransport):
    """A network that delivers the first POST but loses its answer (a timeout at the client)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and not self.lost:
            response.read()
            self.lost += 1
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def test_a_lost_answer_is_asked_for_again_not_posted_twice(server: tuple[Served, str]) -> None:
    module = _load_client()
    running, key = server
    network = LosesFirstAnswer()
    client = module.IpsbillClient(running.url, key, transport=network)
    try:
        # An event and a day of its own: the other test's day may be on this server already.
        events = [{**DAY_OF_EVENTS[0], "event_id": "E-LOST-1", "service_date": DAY_BEFORE}]
        outcome = client.post_events(events)
    finally:
        client.close()
    assert network.lost == 1
    # The retry got the first answer again ("created"); run twice it would say "unchanged".
    assert (outcome.created, outcome.unchanged) == (1, 0)


def test_the_example_client_is_strictly_typed() -> None:
    # Incremental, in the checkout's .mypy_cache (make check's): the standard library and httpx
    # are read once, not on every run (6.9 s of CPU cold, 0.6 s warm); the client is checked
    # again whenever it changes, as make check's modules are.
    checked = subprocess.run(
        [str(BIN / "mypy"), "--strict", str(CLIENT)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout

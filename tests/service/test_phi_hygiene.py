"""A full day through the API, then every log line and error body is searched for PHI."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from claims.inbound.simulate import simulate_277ca, simulate_835
from tests.service.factories import (
    PROFILE_SECTIONS,
    create_event,
    create_member,
    event_body,
    fileable_world,
    put_ok,
)

# The test members' personal data: none of it may reach a log line or an error body.
FIRST, LAST, BIRTH, DIAGNOSES = (
    "Alexandra",
    "Quintanilla",
    "1988-04-12",
    ("F33.1", "F331", "F41.1", "F411"),
)
SUBSCRIBER = "900123456"
PHI = (FIRST, LAST, BIRTH, "19880412", SUBSCRIBER, *DIAGNOSES)
WHEN = datetime(2026, 4, 10, 9, 30, tzinfo=UTC)


async def _day(app: FastAPI, client: AsyncClient) -> list[str]:
    """Events, a batch, an invoice and the payer's answers; bad requests too. Error bodies."""
    admin = await fileable_world(app, client)
    await create_member(client, admin)
    for index, section in enumerate(PROFILE_SECTIONS):
        day = f"2026-03-{index + 2:02d}"
        await create_event(client, admin, f"E-{index}", service_date=day)
        await put_ok(
            client,
            f"/v1/milestone-evidence/EV-{index}",
            {
                "member_id": "M-1001",
                "provider_id": "P-01",
                "kind": "career_profile_section",
                "date": day,
                "section": section,
            },
            admin,
        )
    batch = (
        await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    ).json()
    text = (await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)).text
    edi = {**admin, "Content-Type": "application/edi-x12"}
    for answer in (
        simulate_277ca(text, control_number=5, created=WHEN),
        simulate_835(text, control_number=6, created=WHEN, trace_number="T1"),
    ):
        assert (await client.post("/v1/edi/inbound", content=answer, headers=edi)).is_success
    invoice = await client.post(
        "/v1/invoices",
        headers=admin,
        json={"payer_id": "VAYA", "provider_id": "P-01", "through_date": "2026-12-31"},
    )
    assert invoice.status_code == 201
    return await _bad_requests(client, admin, text)


async def _bad_requests(client: AsyncClient, admin: dict[str, str], text: str) -> list[str]:
    member = {
        "payer_id": "VAYA",
        "first_name": FIRST,
        "last_name": LAST * 5,
        "birth_date": "1988-04-32",
        "sex": "X",
        "diagnoses": ["F33..1", "nonsense"],
        "subscriber_id": SUBSCRIBER,
    }
    bodies = [
        (await client.put("/v1/members/M-2", json=member, headers=admin)).text,
        (
            await client.put(
                "/v1/members/M-3",
                json={**member, "payer_id": "NOPE", "last_name": LAST},
                headers=admin,
            )
        ).text,
        (
            await client.put(
                "/v1/service-events/E-X", json=event_body(member_id="M-NOPE"), headers=admin
            )
        ).text,
        (
            await client.post(
                "/v1/edi/inbound",
                content=text.encode(),  # an 837 is not inbound
                headers={**admin, "Content-Type": "application/edi-x12"},
            )
        ).text,
        (
            await client.post(
                "/v1/edi/inbound",
                content=text[:400].encode(),
                headers={**admin, "Content-Type": "application/edi-x12"},
            )
        ).text,
    ]
    assert all('"status":4' in body for body in bodies)
    return bodies


async def test_no_member_name_birth_date_or_diagnosis_in_logs_or_errors(
    app: FastAPI,
    client: AsyncClient,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # everything any logger says, debug included
    bodies = await _day(app, client)
    out, err = capfd.readouterr()
    logged = [record.getMessage() for record in caplog.records]
    logged += [str(record.args) for record in caplog.records if record.args]
    haystacks = {
        "log lines": "\n".join(logged),
        "stdout": out,
        "stderr": err,
        "error bodies": "\n".join(bodies),
    }
    leaks = [
        (where, value)
        for where, text in haystacks.items()
        for value in PHI
        if value.lower() in text.lower()
    ]
    culprits = {
        r.name
        for r in caplog.records
        if any(v.lower() in (r.getMessage() + str(r.args)).lower() for v in PHI)
    }
    assert leaks == [], culprits
    assert len(bodies) == 5 and all(bodies)  # the refusals really answered something to search


@pytest.fixture
def pyx12_logger_unset() -> Iterator[logging.Logger]:
    """pyx12's logger as a fresh process has it (the suite silences it at start)."""
    logger = logging.getLogger("pyx12")
    before = logger.level
    logger.setLevel(logging.NOTSET)
    yield logger
    logger.setLevel(before)


def test_the_app_and_ipsbill_validate_silence_pyx12_not_the_core(
    pyx12_logger_unset: logging.Logger, tmp_path: Path
) -> None:
    """pyx12 logs the values it refuses (a name, a birth date). The core sets no logging: the
    processes that read files silence it (service.validation.keep_pyx12_out_of_logs)."""
    from service.app import create_app
    from service.config import Settings
    from tests.service.cli_inprocess import run_cli_on

    # Importing the core changes nothing: asked of a fresh interpreter (this one imported it
    # long ago, and reloading a module under the suite's feet would split its functions).
    level = "import logging, claims.inbound; print(logging.getLogger('pyx12').level)"
    fresh = subprocess.run([sys.executable, "-c", level], capture_output=True, text=True,
                           check=True)  # fmt: skip
    assert fresh.stdout.strip() == str(logging.NOTSET)
    create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"))
    assert pyx12_logger_unset.level > logging.CRITICAL
    pyx12_logger_unset.setLevel(logging.NOTSET)
    (tmp_path / "x.999").write_text("ISA*00*")
    run_cli_on(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", "validate", "x.999")
    assert pyx12_logger_unset.level > logging.CRITICAL  # ipsbill validate

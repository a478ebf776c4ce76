"""Claim batches over HTTP: released files pass pyx12, units become claimed, corrections follow."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import uuid

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select, update

from service.app import create_app
from service.claims import content
from service.config import Settings
from service.db import make_engine, make_sessionmaker
from service.edi.service import release_awaiting
from service.models import Claim, ClaimBatchPart
from service.validation import validate_837p  # the service's own release validation (its pool)
from tests.service.factories import (
    create_event,
    create_fee_schedule,
    create_key,
    create_member,
    create_payer,
    create_provider,
    create_staff,
    create_world,
    fileable_world,
    scratch_database,
)

BATCH = {"payer_id": "VAYA", "through_date": "2026-03-31"}


async def test_one_claim_batch_passes_pyx12_and_claims_the_units(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await fileable_world(app, client)
    await create_event(client, admin)
    response = await client.post("/v1/claim-batches", json=BATCH, headers=admin)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert (batch["claim_count"], batch["line_count"], batch["total_charge"]) == (1, 1, "19.50")
    first = await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)
    second = await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)
    assert first.headers["content-type"].startswith("application/edi-x12")
    assert "attachment" in first.headers["content-disposition"]
    assert first.content == second.content
    assert validate_837p(first.text).ok
    assert "SV1*HC:YP630*19.5*UN*3***1" in first.text or "SV1*HC:YP630*19.50*UN*3***1" in first.text
    units = (await client.get("/v1/members/M-1001/units", headers=admin)).json()["items"]
    claims = (await client.get("/v1/claims", headers=admin)).json()["items"]
    assert units[0]["status"] == "claimed" and units[0]["claim_id"] == claims[0]["claim_id"]
    assert claims[0]["history"][0]["status"] == "generated"


async def test_a_file_stored_in_parts_downloads_whole_with_its_digest(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(content, "PART_CHARS", 200)  # a one-claim file in several parts
    admin = await fileable_world(app, client)
    await create_event(client, admin)
    batch = (await client.post("/v1/claim-batches", json=BATCH, headers=admin)).json()
    async with app.state.sessionmaker() as session:
        parts = (await session.execute(select(ClaimBatchPart.seq))).scalars().all()
    download = await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)
    assert len(parts) > 2
    assert download.text.startswith("ISA*") and download.text.rstrip().endswith("~")
    digest = hashlib.sha256(download.content).hexdigest()
    assert download.headers["etag"] == f'"{digest}"' and batch["content_sha256"] == digest
    assert int(download.headers["content-length"]) == len(download.content)
    assert validate_837p(download.text).ok


async def test_nothing_to_bill_is_a_409_problem(app: FastAPI, client: AsyncClient) -> None:
    admin = await fileable_world(app, client)
    empty = await client.post("/v1/claim-batches", json=BATCH, headers=admin)
    assert empty.status_code == 409
    assert empty.headers["content-type"].startswith("application/problem+json")
    await create_event(client, admin)
    assert (await client.post("/v1/claim-batches", json=BATCH, headers=admin)).status_code == 201
    again = await client.post("/v1/claim-batches", json=BATCH, headers=admin)
    assert again.status_code == 409  # every line is claimed: nothing twice


async def test_a_date_past_timely_filing_is_excluded_when_first_claimed(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await create_world(client, admin)  # timely_filing_days = 90; 2026-03-02 is long past
    await create_event(client, admin)
    response = await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    assert response.status_code == 409
    units = (await client.get("/v1/members/M-1001/units", headers=admin)).json()["items"]
    assert (units[0]["status"], units[0]["hold_reason"]) == ("excluded", "timely_filing_expired")
    event = (await client.get("/v1/service-events/E-1", headers=admin)).json()["adjudication"]
    assert event["status"] == "excluded" and event["billable_minutes"] == 0
    assert {r["code"]: r["minutes"] for r in event["reasons"]}["timely_filing_expired"] == 45
    await create_event(client, admin, note_id="N-NEW")  # a later correction does not revive it
    units = (await client.get("/v1/members/M-1001/units", headers=admin)).json()["items"]
    assert units[0]["hold_reason"] == "timely_filing_expired"


async def test_summary_csv_has_one_row_per_service_line(app: FastAPI, client: AsyncClient) -> None:
    admin = await fileable_world(app, client)
    await create_event(client, admin, "E-1")
    await create_event(
        client, admin, "E-2", activity="benefits_counseling", start_time="13:00", end_time="13:30"
    )
    batch = (await client.post("/v1/claim-batches", json=BATCH, headers=admin)).json()
    assert batch["line_count"] == 2 and batch["claim_count"] == 1
    text = (
        await client.get(f"/v1/claim-batches/{batch['batch_id']}/summary.csv", headers=admin)
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted((r["procedure"], r["modifiers"], r["units"]) for r in rows) == [
        ("YP630", "", "3"),
        ("YP630", "BC", "2"),
    ]


async def _claim_and_learn_number(app: FastAPI, client: AsyncClient, admin: dict[str, str]) -> str:
    await create_event(client, admin)
    await client.post("/v1/claim-batches", json=BATCH, headers=admin)
    claim_id: str = (await client.get("/v1/claims", headers=admin)).json()["items"][0]["claim_id"]
    return claim_id


async def _set_payer_number(app: FastAPI, claim_id: str) -> None:
    """What a 277CA would supply (the payment-status tests do it with real files)."""
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Claim).where(Claim.claim_id == claim_id).values(payer_claim_number="PCN-77")
        )
        await release_awaiting(session, app.state.profiles, {claim_id})


async def test_a_change_after_claiming_waits_for_the_number_then_replaces(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await fileable_world(app, client)
    original = await _claim_and_learn_number(app, client, admin)
    await create_event(client, admin, end_time="10:30")  # 90 minutes now: 6 units
    units = (await client.get("/v1/members/M-1001/units", headers=admin)).json()["items"]
    assert units[0]["status"] == "held"
    assert units[0]["hold_reason"] == "awaiting_payer_claim_number"
    assert (await client.post("/v1/claim-batches", json=BATCH, headers=admin)).status_code == 409
    await _set_payer_number(app, original)
    batch = (await client.post("/v1/claim-batches", json=BATCH, headers=admin)).json()
    assert batch["replacement_count"] == 1
    text = (await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)).text
    assert ":7*" in text and "REF*F8*PCN-77" in text and validate_837p(text).ok
    replacement = [
        c
        for c in (await client.get("/v1/claims", headers=admin)).json()["items"]
        if c["frequency"] == "7"
    ][0]
    assert replacement["replaces_claim_id"] == original
    assert replacement["lines"][0]["units"] == 6


async def test_a_void_after_claiming_sends_frequency_8(app: FastAPI, client: AsyncClient) -> None:
    admin = await fileable_world(app, client)
    original = await _claim_and_learn_number(app, client, admin)
    await _set_payer_number(app, original)
    await client.delete("/v1/service-events/E-1", headers=admin)
    batch = (await client.post("/v1/claim-batches", json=BATCH, headers=admin)).json()
    assert batch["void_count"] == 1
    text = (await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)).text
    assert ":8*" in text and "REF*F8*PCN-77" in text and validate_837p(text).ok


async def test_provider_sees_only_its_claims(app: FastAPI, client: AsyncClient) -> None:
    admin = await fileable_world(app, client)
    await _claim_and_learn_number(app, client, admin)
    mine = await create_key(app, "provider", provider_id="P-01")
    other = await create_key(app, "provider", provider_id="P-02")
    assert len((await client.get("/v1/claims", headers=mine)).json()["items"]) == 1
    assert (await client.get("/v1/claims", headers=other)).json()["items"] == []
    claim_id = (await client.get("/v1/claims", headers=mine)).json()["items"][0]["claim_id"]
    assert (await client.get(f"/v1/claims/{claim_id}", headers=other)).status_code == 404
    assert (await client.post("/v1/claim-batches", json=BATCH, headers=mine)).status_code == 403


async def test_member_without_address_is_skipped_and_said(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await fileable_world(app, client)
    await create_member(client, admin, address=None)
    await create_event(client, admin)
    response = await client.post("/v1/claim-batches", json=BATCH, headers=admin)
    assert response.status_code == 409


async def test_concurrent_batches_never_share_a_line_or_a_control_number(postgres_url: str) -> None:
    """Two batch runs at once on PostgreSQL, on committed data, through two real connections.
    (SQLite takes one writer at a time, so there the race cannot happen.)"""
    url = await scratch_database(postgres_url, "ipsbill_concurrency")
    engine = make_engine(url)
    app = create_app(Settings(database_url=url), migrate_embedded=False)
    app.state.engine, app.state.sessionmaker = engine, make_sessionmaker(engine)
    tag = uuid.uuid4().hex[:8].upper()
    payer, provider, member = f"PY{tag}", f"PR{tag}", f"MB{tag}"
    try:
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            admin = await create_key(app, "admin")
            await create_payer(client, admin, payer, timely_filing_days=3650)
            await create_fee_schedule(client, admin, payer)
            await create_provider(client, admin, provider)
            await create_staff(client, admin, provider)
            for index in range(6):
                await create_member(client, admin, f"{member}{index}", payer_id=payer)
                for day in range(1, 6):
                    await create_event(
                        client,
                        admin,
                        f"EV{tag}{index}-{day}",
                        member_id=f"{member}{index}",
                        provider_id=provider,
                        service_date=f"2026-03-{day:02d}",
                    )
            body = {"payer_id": payer}
            first, second = await asyncio.gather(
                client.post("/v1/claim-batches", json=body, headers=admin),
                client.post("/v1/claim-batches", json=body, headers=admin),
            )
        assert sorted((first.status_code, second.status_code)) == [201, 409]
        async with app.state.sessionmaker() as session:
            claims = list(
                (await session.execute(select(Claim).where(Claim.payer_id == payer))).scalars()
            )
        assert len(claims) == 6 and len({c.batch_id for c in claims}) == 1
    finally:
        await engine.dispose()

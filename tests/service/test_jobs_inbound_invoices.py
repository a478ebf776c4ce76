"""Inbound files and invoices for every provider as jobs (docs/jobs.md, "Inbound files" and
"Invoices"): the job's stored result is the synchronous path's, a file is applied once however
it is posted, and a key of another payer sees neither the job nor what it made."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import func, select

from claims.inbound.simulate import simulate_835
from service.models import InboundFile, Job
from tests.service.factories import (
    NPI_2,
    PROFILE_SECTIONS,
    billed_claim,
    create_key,
    create_payer,
    create_provider,
    fileable_world,
    profile_sections,
)
from tests.service.jobs_run import run_jobs

EDI = {"Content-Type": "application/edi-x12"}
ASYNC = {"Prefer": "respond-async"}
WHEN = datetime(2026, 4, 10, 9, 30, tzinfo=UTC)


async def _remittance(app: FastAPI, client: AsyncClient) -> tuple[dict[str, str], str, str]:
    """A billed claim and the payer's 835 paying it."""
    admin, claim, text = await billed_claim(app, client)
    remit = simulate_835(text, control_number=601, created=WHEN, trace_number="EFT9")
    return admin, claim["claim_id"], remit


async def _post(client: AsyncClient, headers: dict[str, str], text: str) -> Response:
    return await client.post("/v1/edi/inbound", content=text.encode(), headers={**headers, **EDI})


async def _finished(
    app: FastAPI, client: AsyncClient, started: Response, key: dict[str, str]
) -> Any:
    assert started.status_code == 202, started.text
    assert started.headers["location"] == f"/v1/jobs/{started.json()['job_id']}"
    await run_jobs(app)
    return (await client.get(started.headers["location"], headers=key)).json()


async def _files(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int(
            (await session.execute(select(func.count()).select_from(InboundFile))).scalar_one()
        )


async def test_an_async_835_is_applied_by_its_job_as_the_sync_path_applies_it(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim_id, remit = await _remittance(app, client)
    finance = await create_key(app, "finance", payer_id="VAYA")
    started = await _post(client, {**finance, **ASYNC}, remit)
    assert (await client.get(f"/v1/claims/{claim_id}", headers=admin)).json()["status"] != "paid"
    job = await _finished(app, client, started, finance)
    assert (job["state"], job["kind"], job["progress"]) == (
        "succeeded", "inbound", {"done": 3, "total": 3},
    )  # fmt: skip
    stored = (await client.get(job["result"], headers=finance)).json()
    assert stored["kind"] == "835" and stored["claim_ids"] == [claim_id]
    assert (stored["claims_updated"], stored["duplicate"], stored["exceptions"]) == (1, False, [])
    assert (await client.get(f"/v1/claims/{claim_id}", headers=admin)).json()["status"] == "paid"
    async with app.state.sessionmaker() as session:
        kept = select(Job.payload).where(Job.job_id == job["job_id"])
        assert (await session.execute(kept)).scalar_one() is None  # applied: the copy dropped

    again = (await _post(client, finance, remit)).json()  # the same file, synchronously
    assert (again["duplicate"], again["claims_updated"], again["claim_ids"]) == (True, 0, [])
    twice = await _finished(app, client, await _post(client, {**finance, **ASYNC}, remit), finance)
    assert twice["state"] == "succeeded" and twice["result"] == job["result"]
    assert await _files(app) == 1


async def test_the_sync_answer_is_what_the_stored_file_shows(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim_id, remit = await _remittance(app, client)
    answer = await _post(client, admin, remit)
    assert answer.status_code == 200, answer.text
    async with app.state.sessionmaker() as session:
        file_id = (await session.execute(select(InboundFile.id))).scalar_one()
    stored = (await client.get(f"/v1/edi/inbound/{file_id}", headers=admin)).json()
    assert {k: v for k, v in stored.items() if k not in ("file_id", "received_at")} == answer.json()
    async_again = await _finished(
        app, client, await _post(client, {**admin, **ASYNC}, remit), admin
    )
    assert async_again["result"] == f"/v1/edi/inbound/{file_id}"  # found, not applied again


async def test_a_file_above_the_size_setting_is_applied_by_a_job(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim_id, remit = await _remittance(app, client)
    app.state.settings.inbound_async_bytes = len(remit) - 1
    job = await _finished(app, client, await _post(client, admin, remit), admin)
    assert job["state"] == "succeeded", job
    assert (await client.get(f"/v1/claims/{claim_id}", headers=admin)).json()["status"] == "paid"


async def test_another_payers_key_sees_neither_the_inbound_job_nor_its_file(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, _, remit = await _remittance(app, client)
    await create_payer(client, admin, "OTHER", name="Other Health")
    finance = await create_key(app, "finance", payer_id="VAYA")
    foreign = await create_key(app, "finance", payer_id="OTHER")
    job = await _finished(app, client, await _post(client, {**finance, **ASYNC}, remit), finance)
    assert (await client.get(f"/v1/jobs/{job['job_id']}", headers=foreign)).status_code == 404
    assert (await client.get(job["result"], headers=foreign)).status_code == 404
    assert (await client.get(job["result"], headers=admin)).status_code == 200
    assert (await client.get("/v1/edi/inbound/999999", headers=admin)).status_code == 404


async def test_an_async_file_with_a_broken_envelope_is_refused_at_once(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await fileable_world(app, client)
    refused = await _post(client, {**admin, **ASYNC}, "ISA*nonsense~")
    assert refused.status_code == 422, refused.text
    async with app.state.sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Job))).scalar_one() == 0


INVOICE = {"payer_id": "VAYA", "through_date": "2026-12-31"}


async def _earned(app: FastAPI, client: AsyncClient) -> dict[str, str]:
    admin = await fileable_world(app, client)
    await create_provider(client, admin, "P-02", npi=NPI_2, tax_id="569876543")
    # P-01 earns milestone 1; P-02 nothing
    await profile_sections(client, admin, list(PROFILE_SECTIONS))
    return admin


async def test_invoices_for_every_provider_are_made_by_a_job_as_the_sync_path_makes_one(
    app: FastAPI, client: AsyncClient
) -> None:
    await _earned(app, client)
    finance = await create_key(app, "finance", payer_id="VAYA")
    job = await _finished(
        app, client, await client.post("/v1/invoices", json=INVOICE, headers=finance), finance
    )
    assert (job["state"], job["kind"], job["progress"]) == (
        "succeeded", "invoices", {"done": 2, "total": 2},
    )  # fmt: skip
    (link,) = job["made"]
    invoice = (await client.get(link, headers=finance)).json()
    assert (invoice["provider_id"], invoice["total"]) == ("P-01", "2120.00")
    assert [(i["milestone"], i["amount"]) for i in invoice["lines"]] == [("1", "2120.00")]
    single = {**INVOICE, "provider_id": "P-01"}
    refused = await client.post("/v1/invoices", json=single, headers=finance)
    assert refused.status_code == 409  # invoiced once, whichever path made it
    again = await _finished(
        app, client, await client.post("/v1/invoices", json=INVOICE, headers=finance), finance
    )
    assert again["state"] == "failed" and again["error"]["code"] == "nothing-to-invoice"
    assert again["made"] is None


async def test_the_single_provider_sync_path_answers_201_as_before(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _earned(app, client)
    single = {**INVOICE, "provider_id": "P-01"}
    created = await client.post("/v1/invoices", json=single, headers=admin)
    assert created.status_code == 201 and created.json()["total"] == "2120.00"
    job = await _finished(
        app, client, await client.post("/v1/invoices", json=INVOICE, headers=admin), admin
    )
    assert job["state"] == "failed"  # already invoiced by the sync path: nothing left


async def test_another_payers_key_cannot_start_or_see_an_invoices_job(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _earned(app, client)
    await create_payer(client, admin, "OTHER", name="Other Health")
    foreign = await create_key(app, "finance", payer_id="OTHER")
    refused = await client.post("/v1/invoices", json=INVOICE, headers=foreign)
    assert refused.status_code == 404
    started = await client.post("/v1/invoices", json=INVOICE, headers=admin)
    assert (await client.get(started.headers["location"], headers=foreign)).status_code == 404

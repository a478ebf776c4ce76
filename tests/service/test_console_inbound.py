"""The console's inbound upload (docs/console.md): up to the API's threshold
(IPSBILL_INBOUND_ASYNC_BYTES) the file is applied in the request and its outcome shown; above
it the inbound job the API uses applies it, and the clerk's page shows its progress and then
the same outcome. On SQLite and PostgreSQL, over real HTTP (ASGI)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from httpx import AsyncClient, Response

from claims.inbound.simulate import simulate_835
from tests.service.console_session import add_user, session_csrf, sign_in
from tests.service.factories import billed_claim
from tests.service.jobs_run import run_jobs

WHEN = datetime(2026, 4, 10, 9, 30, tzinfo=UTC)


async def _signed_in_with_an_835(
    app: FastAPI, client: AsyncClient, payer_id: str = "VAYA"
) -> tuple[dict[str, str], str, str]:
    """A billed claim, the payer's 835 paying it, and a finance user signed in."""
    admin, claim, text = await billed_claim(app, client)
    await add_user(app, "fin", "finance", payer_id=payer_id)
    await sign_in(client, "fin")
    remit = simulate_835(text, control_number=601, created=WHEN, trace_number="EFT9")
    return admin, claim["claim_id"], remit


async def _upload(client: AsyncClient, text: str) -> Response:
    files = {"file": ("payer.835", text.encode(), "text/plain")}
    return await client.post(
        "/console/inbound", files=files, data={"csrf_token": await session_csrf(client)}
    )


async def _status(client: AsyncClient, admin: dict[str, str], claim_id: str) -> str:
    return str((await client.get(f"/v1/claims/{claim_id}", headers=admin)).json()["status"])


async def test_a_file_up_to_the_threshold_is_applied_in_the_request(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim_id, remit = await _signed_in_with_an_835(app, client)
    app.state.settings.inbound_async_bytes = len(remit)  # at the threshold: not above it
    shown = await _upload(client, remit)
    assert shown.status_code == 200, shown.text
    assert 'id="inbound-kind">835<' in shown.text and 'id="inbound-updated">1<' in shown.text
    assert f'href="/console/claims/{claim_id}"' in shown.text
    assert await run_jobs(app) == 0  # no job: it was applied already
    assert await _status(client, admin, claim_id) == "paid"


async def test_a_file_above_the_threshold_is_applied_by_a_job_whose_page_shows_the_outcome(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim_id, remit = await _signed_in_with_an_835(app, client)
    app.state.settings.inbound_async_bytes = len(remit) - 1
    started = await _upload(client, remit)
    assert started.status_code == 303 and started.headers["location"].startswith("/console/jobs/")
    job_page = started.headers["location"]
    waiting = await client.get(job_page)
    assert waiting.status_code == 200 and "<h1>Applying a file</h1>" in waiting.text
    assert "Waiting to start" in waiting.text and 'hx-trigger="every 1s"' in waiting.text
    assert 'aria-current="page">Inbound files' in waiting.text
    assert await _status(client, admin, claim_id) != "paid"  # not applied in the request

    assert await run_jobs(app) == 1  # the API's own inbound job
    job_id = job_page.rsplit("/", 1)[1]
    job = (await client.get(f"/v1/jobs/{job_id}", headers=admin)).json()
    assert (job["kind"], job["state"]) == ("inbound", "succeeded")
    done = await client.get(f"{job_page}/progress")
    assert "Done: the file is applied." in done.text and "hx-trigger" not in done.text
    assert 'id="inbound-kind">835<' in done.text and 'id="inbound-updated">1<' in done.text
    assert f'href="/console/claims/{claim_id}"' in done.text
    assert await _status(client, admin, claim_id) == "paid"

    again = await _upload(client, remit)  # the same file again: its job finds it applied
    assert again.status_code == 303 and await run_jobs(app) == 1
    shown = await client.get(again.headers["location"])
    assert "This file was received before: nothing changed." in shown.text
    assert 'id="inbound-updated">0<' in shown.text


async def test_a_large_upload_is_refused_as_the_small_one_is(
    app: FastAPI, client: AsyncClient
) -> None:
    await _signed_in_with_an_835(app, client)
    app.state.settings.inbound_async_bytes = 10
    refused = await _upload(client, "ISA*00*not an interchange~" * 4)
    assert refused.status_code == 422 and "hx-trigger" not in refused.text
    nul = await _upload(client, "ISA*00*\x00" * 4)
    assert nul.status_code == 422 and "NUL character" in nul.text
    assert await run_jobs(app) == 0  # nothing queued


async def test_another_payers_finance_user_cannot_see_the_job(
    app: FastAPI, client: AsyncClient
) -> None:
    _, _, remit = await _signed_in_with_an_835(app, client)
    app.state.settings.inbound_async_bytes = 1
    job_page = (await _upload(client, remit)).headers["location"]
    await client.post("/console/logout", data={"csrf_token": await session_csrf(client)})
    await add_user(app, "other", "finance", payer_id="TRILLIUM")
    await sign_in(client, "other")
    assert (await client.get(job_page)).status_code == 404
    assert (await client.get(f"{job_page}/progress")).status_code == 404

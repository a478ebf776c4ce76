"""The console over real HTTP (ASGI) on SQLite and PostgreSQL: sign-in, cookie, CSRF, idle
sign-out, the pause after failed sign-ins, scope equal to an API key's, audit, downloads."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from openpyxl import load_workbook
from sqlalchemy import select, update

from claims.errors import InvalidInput
from service.auth.principal import Role
from service.console import accounts
from service.jobs.runner import Runner
from service.jobs.service import JobContext
from service.models import AuditEntry, ConsoleSession
from service.models.base import utcnow
from tests.service.console_session import PASSWORD, add_user, session_csrf, sign_in
from tests.service.factories import (
    NPI_2,
    create_event,
    create_key,
    create_provider,
    create_staff,
    fileable_world,
)


async def test_a_signed_out_browser_is_sent_to_the_sign_in_form(client: AsyncClient) -> None:
    response = await client.get("/console")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=/console"
    form = await client.get("/console/login")
    assert '<label for="username">Username</label>' in form.text
    assert '<label for="password">Password</label>' in form.text


async def test_sign_in_sets_an_httponly_lax_cookie_secure_behind_https(
    app: FastAPI, client: AsyncClient
) -> None:
    await add_user(app, "fin", "finance")
    response = await sign_in(client, "fin")
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert (await client.get("/console")).status_code == 200
    client.cookies.clear()
    client.base_url = client.base_url.copy_with(scheme="https")
    secure = await sign_in(client, "fin")
    assert "secure" in secure.headers["set-cookie"].lower()


async def test_a_sign_in_without_its_form_token_is_refused(
    app: FastAPI, client: AsyncClient
) -> None:
    await add_user(app, "fin", "finance")
    response = await client.post(
        "/console/login", data={"username": "fin", "password": PASSWORD, "csrf_token": "x"}
    )
    assert response.status_code == 403 and "ipsbill_console" not in response.headers.get(
        "set-cookie", ""
    )


async def test_repeated_failed_sign_ins_pause_the_account(
    app: FastAPI, client: AsyncClient
) -> None:
    await add_user(app, "fin", "finance")
    for _ in range(accounts.FAILURES_BEFORE_PAUSE):
        wrong = await sign_in(client, "fin", "wrong-password")
        assert wrong.status_code == 401 and "not right" in wrong.text
    paused = await sign_in(client, "fin")  # the right password, during the pause
    assert paused.status_code == 401 and "paused" in paused.text
    unknown = await sign_in(client, "nobody", "wrong-password")
    assert unknown.status_code == 401 and "not right" in unknown.text  # same words: no probing


def test_an_unknown_username_is_checked_against_a_hash_of_the_same_cost() -> None:
    """The stand-in hash (a literal, service.console.accounts) has the hasher's parameters, so
    an unknown username takes a password check's time; it is a valid argon2 hash."""
    assert not accounts.HASHER.check_needs_rehash(accounts._DUMMY_HASH)
    assert accounts.HASHER.verify(accounts._DUMMY_HASH, "not a password of anyone")


async def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await fileable_world(app, client)
    await create_event(client, admin, "E-1")
    await add_user(app, "fin", "finance")
    await sign_in(client, "fin")
    refused = await client.post("/console/batches", data={"payer_id": "VAYA"})
    assert refused.status_code == 403 and "did not come from this console" in refused.text
    assert (await client.get("/v1/claim-batches", headers=admin)).json()["items"] == []
    made = await client.post(
        "/console/batches", data={"payer_id": "VAYA", "csrf_token": await session_csrf(client)}
    )
    assert made.status_code == 303 and made.headers["location"].startswith("/console/jobs/")


def _runner(app: FastAPI) -> Runner:
    return Runner(app.state.sessionmaker, JobContext(app.state.settings, app.state.profiles))


async def _create_in_console(app: FastAPI, client: AsyncClient) -> str:
    await add_user(app, "fin", "finance", payer_id="VAYA")
    await sign_in(client, "fin")
    form = {"payer_id": "VAYA", "through_date": "2026-03-31"}
    made = await client.post("/console/batches", data={**form, "csrf_token": await
                                                       session_csrf(client)})  # fmt: skip
    assert made.status_code == 303, made.text
    return str(made.headers["location"])


async def test_create_runs_the_batch_as_a_job_and_its_page_shows_progress_then_the_batch(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await fileable_world(app, client)
    await create_event(client, admin, "E-1")
    job_page = await _create_in_console(app, client)
    waiting = await client.get(job_page)
    assert waiting.status_code == 200 and "Waiting to start" in waiting.text
    assert (
        f'hx-get="{job_page}/progress"' in waiting.text and 'hx-trigger="every 1s"' in waiting.text
    )
    assert (await client.get("/v1/claim-batches", headers=admin)).json()["items"] == []
    assert await _runner(app).run_next()  # the same job the API's respond-async path queues
    job_id = job_page.rsplit("/", 1)[1]
    job = (await client.get(f"/v1/jobs/{job_id}", headers=admin)).json()
    assert job["state"] == "succeeded" and job["kind"] == "claim_batch"
    done = await client.get(f"{job_page}/progress")
    batch_id = job["result"].rsplit("/", 1)[1]
    assert "Done: 1 of 1 claims made." in done.text and "hx-trigger" not in done.text
    assert f'href="/console/batches/{batch_id}"' in done.text
    assert (await client.get(f"/console/batches/{batch_id}")).status_code == 200


async def test_a_failed_batch_job_says_why_in_words(app: FastAPI, client: AsyncClient) -> None:
    admin = await fileable_world(app, client)
    job_page = await _create_in_console(app, client)
    assert await _runner(app).run_next()
    failed = await client.get(f"{job_page}/progress")
    assert failed.status_code == 200 and 'role="alert"' in failed.text
    assert "The batch was not made: " in failed.text and "hx-trigger" not in failed.text
    job = (await client.get(f"/v1/jobs/{job_page.rsplit('/', 1)[1]}", headers=admin)).json()
    assert job["state"] == "failed" and job["error"]["detail"] in failed.text


async def test_a_job_outside_the_users_scope_reads_as_absent(
    app: FastAPI, client: AsyncClient
) -> None:
    await fileable_world(app, client)
    job_page = await _create_in_console(app, client)
    await client.post("/console/logout", data={"csrf_token": await session_csrf(client)})
    await add_user(app, "prov", "provider", provider_id="P-01")
    await sign_in(client, "prov")
    assert (await client.get(job_page)).status_code == 404
    assert (await client.get("/console/jobs/J-none")).status_code == 404


async def test_an_idle_session_is_signed_out(app: FastAPI, client: AsyncClient) -> None:
    await add_user(app, "fin", "finance")
    await sign_in(client, "fin")
    assert (await client.get("/console")).status_code == 200
    idle = timedelta(minutes=app.state.settings.console_idle_minutes, seconds=1)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(ConsoleSession).values(last_seen=utcnow() - idle))
    assert (await client.get("/console")).status_code == 303


async def test_a_disabled_user_is_signed_out_at_once(app: FastAPI, client: AsyncClient) -> None:
    await add_user(app, "fin", "finance")
    await sign_in(client, "fin")
    async with app.state.sessionmaker() as session, session.begin():
        await accounts.disable_user(session, "fin")
    assert (await client.get("/console")).status_code == 303
    assert (await sign_in(client, "fin")).status_code == 401


async def _two_providers_billed(app: FastAPI, client: AsyncClient) -> tuple[dict[str, str], str]:
    admin = await fileable_world(app, client)
    await create_provider(client, admin, "P-02", npi=NPI_2)
    await create_staff(client, admin, provider_id="P-02")
    await create_event(client, admin, "E-1")
    await create_event(client, admin, "E-2", provider_id="P-02", start_time="11:00",
                       end_time="11:45")  # fmt: skip
    batch = await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    assert batch.status_code == 201, batch.text
    return admin, batch.json()["batch_id"]


async def test_the_837p_is_the_apis_bytes_and_pages_are_audited(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, batch_id = await _two_providers_billed(app, client)
    await add_user(app, "fin", "finance")
    await sign_in(client, "fin")
    page = await client.get(f"/console/batches/{batch_id}")
    assert page.status_code == 200 and "Download the 837P" in page.text
    from_console = await client.get(f"/console/batches/{batch_id}/837p")
    from_api = await client.get(f"/v1/claim-batches/{batch_id}/837p", headers=admin)
    assert from_console.content == from_api.content and from_console.content.startswith(b"ISA")
    claims = (await client.get("/v1/claims", headers=admin)).json()["items"]
    assert (await client.get(f"/console/claims/{claims[0]['claim_id']}")).status_code == 200
    async with app.state.sessionmaker() as session:
        entries = (
            await session.execute(select(AuditEntry).where(AuditEntry.key_id == "user:fin"))
        ).scalars()
        members = {(e.route, e.member_id) for e in entries}
    assert ("/console/claims/{claim_id}", claims[0]["member_id"]) in members


async def test_a_provider_user_sees_exactly_what_its_key_sees(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, batch_id = await _two_providers_billed(app, client)
    key = await create_key(app, "provider", provider_id="P-02")
    await add_user(app, "prov", "provider", provider_id="P-02")
    await sign_in(client, "prov")
    by_key = {c["claim_id"] for c in (await client.get("/v1/claims", headers=key)).json()["items"]}
    listed = await client.get("/console/claims?format=csv")
    by_user = {line.split(",")[0] for line in listed.text.splitlines()[1:]}
    assert by_user == by_key and len(by_key) == 1
    everyone = (await client.get("/v1/claims", headers=admin)).json()["items"]
    other = next(c["claim_id"] for c in everyone if c["provider_id"] == "P-01")
    assert (await client.get(f"/console/claims/{other}")).status_code == 404
    assert (await client.get(f"/console/batches/{batch_id}")).status_code == 403
    assert (await client.get("/console/inbound")).status_code == 403


async def test_lists_export_to_csv_and_excel_with_the_same_rows(
    app: FastAPI, client: AsyncClient
) -> None:
    await _two_providers_billed(app, client)
    await add_user(app, "fin", "finance")
    await sign_in(client, "fin")
    csv_rows = (await client.get("/console/claims?format=csv")).text.splitlines()
    book = load_workbook(io.BytesIO((await client.get("/console/claims?format=xlsx")).content))
    xlsx_rows = [
        ",".join("" if v is None else str(v) for v in row)
        for row in book.active.iter_rows(values_only=True)
    ]
    assert len(csv_rows) == 3 and xlsx_rows == csv_rows


async def test_console_users_take_the_scope_rules_of_keys(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        for scope, role in (
            ({}, Role.PROVIDER),  # a provider user needs its provider
            ({"provider_id": "P-01"}, Role.FINANCE),
            ({"payer_id": "VAYA"}, Role.INTEGRATION),  # integration is for keys only
        ):
            with pytest.raises(InvalidInput):
                await accounts.create_user(session, "someone", PASSWORD, role, **scope)
        with pytest.raises(InvalidInput):
            await accounts.create_user(session, "someone", "short", Role.FINANCE)
        user = await accounts.create_user(session, "someone", PASSWORD, Role.FINANCE)
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        await session.rollback()


async def test_a_hand_typed_console_address_gets_a_page_not_the_apis_json(
    app: FastAPI, client: AsyncClient
) -> None:
    """A clerk's stale bookmark or typo: a console page saying what is wrong, in words; the API
    keeps its problem JSON for the same mistakes."""
    await add_user(app, "fin", "finance")
    await sign_in(client, "fin")
    wrong = await client.get("/console/queues/remittances", params={"status": "M-1001"})
    assert wrong.status_code == 422 and wrong.headers["content-type"].startswith("text/html")
    assert "does not take (status)" in wrong.text and "M-1001" not in wrong.text
    assert "Claims</a>" in wrong.text  # the signed-in navigation, to go on from there
    missing = await client.get("/console/no-such-page")
    assert missing.status_code == 404 and "no such console page" in missing.text
    admin = await create_key(app, "admin")
    api = await client.get("/v1/no-such-route", headers=admin)
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    bad = await client.get("/v1/claims", params={"limit": "many"}, headers=admin)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"

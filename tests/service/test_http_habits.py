"""HTTP habits: Location on 201, X-Request-ID, Idempotency-Key on POST, ETag/If-Match on PUT."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select, update

from service import models as orm
from service.app import create_app
from service.config import Settings
from service.db import make_engine, make_sessionmaker
from service.location import CREATED_BY_POST
from service.models.base import utcnow
from service.models.idempotency import IdempotentRequest
from service.problems import PROBLEM_BASE
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
from tests.service.live import served

BATCH = {"payer_id": "VAYA", "through_date": "2026-03-31"}


async def _billable_world(app: FastAPI, client: AsyncClient) -> dict[str, str]:
    admin = await fileable_world(app, client)
    await create_event(client, admin)
    return admin


def _key(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def _batches(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(orm.ClaimBatch)) or 0)


# --- Location ---------------------------------------------------------------------------------


def test_every_documented_201_has_a_location_rule(app: FastAPI) -> None:
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if "201" in operation["responses"] and method != "put":
                assert method == "post" and path in CREATED_BY_POST, (method, path)


async def test_201_answers_say_where_the_record_is(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    created = await client.put(
        "/v1/payers/VAYA", json={"name": "Vaya", "kind": "lme_mco"}, headers=admin
    )
    assert created.status_code == 201 and created.headers["location"] == "/v1/payers/VAYA"
    again = await client.put(
        "/v1/payers/VAYA", json={"name": "Vaya", "kind": "lme_mco"}, headers=admin
    )
    assert again.status_code == 200 and "location" not in again.headers
    await create_world(client, admin)
    await create_payer(client, admin, timely_filing_days=3650)
    await create_event(client, admin)
    batch = await client.post("/v1/claim-batches", json=BATCH, headers=admin)
    assert batch.status_code == 201
    location = batch.headers["location"]
    assert location == f"/v1/claim-batches/{batch.json()['batch_id']}"
    assert (await client.get(location, headers=admin)).json() == batch.json()


# --- X-Request-ID -----------------------------------------------------------------------------


async def test_every_answer_has_a_request_id(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    answers = [
        await client.get("/healthz"),
        await client.get("/v1/payers"),  # 401
        await client.get("/v1/claims/NOPE", headers=admin),  # 404
        await client.put("/v1/payers/X", json={"kind": "x"}, headers=admin),  # 422
    ]
    ids = [answer.headers["x-request-id"] for answer in answers]
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == 4
    mine = await client.get("/healthz", headers={"X-Request-ID": "lme-4711:retry.2"})
    assert mine.headers["x-request-id"] == "lme-4711:retry.2"
    for insane in ("has space", "x" * 129, "new\\nline"):
        answer = await client.get("/healthz", headers={"X-Request-ID": insane})
        assert answer.headers["x-request-id"] != insane


@pytest.mark.slow  # a real server process
def test_the_request_id_is_on_the_servers_log_lines(tmp_path: Path) -> None:
    with served(tmp_path) as server:
        answer = httpx.get(f"{server.url}/v1/claims/C-1", headers={"X-Request-ID": "trace-91x"})
        assert answer.status_code == 401 and answer.headers["x-request-id"] == "trace-91x"
        deadline = time.monotonic() + 10  # the access line is written once the answer is sent
        while "trace-91x" not in (log := server.log.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
    lines = [line for line in log.splitlines() if "trace-91x" in line]
    assert lines and "GET /v1/claims/{claim_id} -> 401" in lines[0], log
    assert "C-1" not in log  # the route's template is logged, never the ids in the path


# --- Idempotency-Key --------------------------------------------------------------------------


async def test_a_retried_post_gets_its_first_answer(app: FastAPI, client: AsyncClient) -> None:
    admin = await _billable_world(app, client)
    first = await client.post("/v1/claim-batches", json=BATCH, headers=_key(admin, "k-1"))
    again = await client.post("/v1/claim-batches", json=BATCH, headers=_key(admin, "k-1"))
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert await _batches(app) == 1
    other = await client.post(
        "/v1/claim-batches",
        json={**BATCH, "through_date": "2026-03-30"},
        headers=_key(admin, "k-1"),
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    # Without a key, or with a new one, the request runs: nothing is left to bill.
    fresh = await client.post("/v1/claim-batches", json=BATCH, headers=_key(admin, "k-2"))
    assert fresh.json()["type"] == PROBLEM_BASE + "nothing-to-bill"
    assert await _batches(app) == 1


async def test_keys_are_per_api_key_and_kept_24_hours(app: FastAPI, client: AsyncClient) -> None:
    admin = await _billable_world(app, client)
    finance = await create_key(app, "finance")
    first = await client.post("/v1/claim-batches", json=BATCH, headers=_key(admin, "shared"))
    assert first.status_code == 201
    # Another API key with the same Idempotency-Key is another request: it runs.
    theirs = await client.post("/v1/claim-batches", json=BATCH, headers=_key(finance, "shared"))
    assert theirs.status_code == 409 and theirs.json()["code"] == "nothing-to-bill"
    async with app.state.sessionmaker() as session, session.begin():
        row = (await session.scalars(select(IdempotentRequest))).first()
        assert row is not None and row.expires_at - row.created_at == timedelta(hours=24)
        await session.execute(update(IdempotentRequest).values(expires_at=utcnow()))
    later = await client.post("/v1/claim-batches", json=BATCH, headers=_key(admin, "shared"))
    assert later.status_code == 409  # expired: the request ran again (nothing left to bill)


async def test_a_bad_key_and_a_refused_request(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    bad = await client.post("/v1/claim-batches", json=BATCH, headers=_key(admin, "x" * 256))
    assert bad.status_code == 400 and bad.json()["code"] == "invalid-idempotency-key"
    anonymous = await client.post("/v1/claim-batches", json=BATCH, headers={"Idempotency-Key": "a"})
    assert anonymous.status_code == 401
    # A 422 is an answer like any other: kept and answered again.
    body = {"payer_id": "VAYA", "through_date": "someday"}
    first = await client.post("/v1/claim-batches", json=body, headers=_key(admin, "k-422"))
    again = await client.post("/v1/claim-batches", json=body, headers=_key(admin, "k-422"))
    assert first.status_code == again.status_code == 422
    assert again.headers["idempotent-replayed"] == "true"


async def test_concurrent_duplicates_run_once(postgres_url: str) -> None:
    """Two posts with one key at once, on PostgreSQL through two real connections."""
    url = await scratch_database(postgres_url, "i18_idempotency")
    engine = make_engine(url)
    app = create_app(Settings(database_url=url), migrate_embedded=False)
    app.state.engine, app.state.sessionmaker = engine, make_sessionmaker(engine)
    try:
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            admin = await create_key(app, "admin")
            await create_payer(client, admin, timely_filing_days=3650)
            await create_fee_schedule(client, admin)
            await create_provider(client, admin)
            await create_staff(client, admin)
            for index in range(20):
                await create_member(client, admin, f"M-{index}")
                await create_event(client, admin, f"E-{index}", member_id=f"M-{index}")
            headers = _key(admin, str(uuid.uuid4()))
            first, second = await asyncio.gather(
                client.post("/v1/claim-batches", json=BATCH, headers=headers),
                client.post("/v1/claim-batches", json=BATCH, headers=headers),
            )
        answers = sorted([first, second], key=lambda a: a.status_code)
        assert answers[0].status_code == 201
        late = answers[1]
        assert (
            late.status_code == 409
            and late.json()["code"] == "idempotency-key-in-use"
            or (late.status_code == 201 and late.content == answers[0].content)
        )
        assert await _batches(app) == 1
    finally:
        await engine.dispose()


# --- ETag / If-Match --------------------------------------------------------------------------


async def test_a_stale_if_match_changes_nothing(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    body = {"name": "Vaya", "kind": "lme_mco"}
    created = await client.put("/v1/payers/VAYA", json=body, headers=admin)
    assert created.headers["etag"] == '"1"'
    read = await client.get("/v1/payers/VAYA", headers=admin)
    assert read.headers["etag"] == '"1"'
    mine = await client.put(
        "/v1/payers/VAYA", json={**body, "name": "Mine"}, headers={**admin, "If-Match": '"1"'}
    )
    assert mine.status_code == 200 and mine.headers["etag"] == '"2"'
    theirs = await client.put(
        "/v1/payers/VAYA", json={**body, "name": "Theirs"}, headers={**admin, "If-Match": '"1"'}
    )
    assert theirs.status_code == 412 and theirs.json()["code"] == "precondition-failed"
    now = (await client.get("/v1/payers/VAYA", headers=admin)).json()
    assert (now["name"], now["version"]) == ("Mine", 2)
    missing = await client.put("/v1/payers/NEW", json=body, headers={**admin, "If-Match": "*"})
    assert missing.status_code == 412
    assert (await client.get("/v1/payers/NEW", headers=admin)).status_code == 404
    anyone = await client.put("/v1/payers/VAYA", json=body, headers={**admin, "If-Match": "*"})
    assert anyone.status_code == 200 and anyone.headers["etag"] == '"3"'


async def test_an_if_match_no_etag_could_match_is_refused_as_malformed(
    app: FastAPI, client: AsyncClient
) -> None:
    """Found by schemathesis (--checks all): an empty If-Match answered 412 "not current"; the
    OpenAPI document says what the header may hold, so anything else is invalid input."""
    admin = await create_key(app, "admin")
    body = {"name": "Vaya", "kind": "lme_mco"}
    await client.put("/v1/payers/VAYA", json=body, headers=admin)
    for wanted in ("", "1", 'W/"1"', '"1", nonsense'):
        changed = {**body, "name": "Changed"}
        answer = await client.put(
            "/v1/payers/VAYA", json=changed, headers={**admin, "If-Match": wanted}
        )
        assert answer.status_code == 422, (wanted, answer.text)
        assert answer.json()["errors"][0]["loc"] == ["header", "If-Match"]
    now = (await client.get("/v1/payers/VAYA", headers=admin)).json()
    assert (now["name"], now["version"]) == ("Vaya", 1)
    both = await client.put("/v1/payers/VAYA", json=body, headers={**admin, "If-Match": '"9", "1"'})
    assert both.status_code == 200  # a list of ETags, one of them current


async def test_if_match_on_every_kind_of_reference_record(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    stale = {**admin, "If-Match": '"7"'}
    await client.put("/v1/authorizations/A-1", json=_authorization(), headers=admin)
    await client.put("/v1/eipd-authorizations/EA-1", json=_eipd(), headers=admin)
    for path, body in (
        ("/v1/fee-schedules/VAYA", {"rates": {"YP630": "7.00"}, "effective_from": "2025-01-01"}),
        ("/v1/providers/P-01/staff/S-07", {"name": "Sam Doe", "role": "TL"}),
        ("/v1/authorizations/A-1", {**_authorization(), "units": 99}),
        ("/v1/eipd-authorizations/EA-1", {**_eipd(), "end_date": "2026-12-31"}),
    ):
        refused = await client.put(path, json=body, headers=stale)
        assert refused.status_code == 412, (path, refused.text)
        done = await client.put(path, json=body, headers={**admin, "If-Match": '"1"'})
        assert done.status_code == 200 and done.headers["etag"] == '"2"', (path, done.text)
    for path in ("/v1/providers/P-01", "/v1/members/M-1001"):
        assert (await client.get(path, headers=admin)).headers["etag"] == '"1"'


def _authorization() -> dict[str, object]:
    return {"member_id": "M-1001", "provider_id": "P-01", "payer_id": "VAYA",
            "procedure": "YP630", "start_date": "2026-01-01", "end_date": "2026-12-31",
            "units": 100}  # fmt: skip


def _eipd() -> dict[str, object]:
    return {"member_id": "M-1001", "provider_id": "P-01", "milestone": "3-A",
            "start_date": "2026-01-01", "end_date": None}  # fmt: skip


async def test_a_405_lists_every_method_of_the_path(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")  # the key gate answers 401 before any routing
    answer = await client.request("OPTIONS", "/v1/service-events/E-1", headers=admin)
    assert answer.status_code == 405 and answer.json()["code"] == "method-not-allowed"
    assert answer.headers["allow"] == "GET, PUT, DELETE"


async def test_if_match_never_hides_a_422(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    stale = {**admin, "If-Match": '"9"'}
    bad_id = await client.put(
        "/v1/payers/a b", json={"name": "X", "kind": "lme_mco"}, headers=stale
    )
    no_body = await client.put("/v1/payers/VAYA", headers=stale)
    assert bad_id.status_code == no_body.status_code == 422

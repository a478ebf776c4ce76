"""Keys over HTTP: revocation is effective on the very next request; scopes answer 404."""

from __future__ import annotations

from fastapi import FastAPI
from httpx import AsyncClient

from service.auth import keys
from tests.service.factories import create_key, create_payer


async def test_revoked_key_answers_401_on_the_next_request(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await create_payer(client, admin)
    assert (await client.get("/v1/payers/VAYA", headers=admin)).status_code == 200
    async with app.state.sessionmaker() as session, session.begin():
        await keys.revoke_key(session, admin["X-Key-Id"])
    assert (await client.get("/v1/payers/VAYA", headers=admin)).status_code == 401


async def test_audit_trail_names_who_read_a_member(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    await create_payer(client, admin)
    reader = await create_key(app, "finance")
    body = {
        "payer_id": "VAYA",
        "first_name": "A",
        "last_name": "B",
        "birth_date": "1990-01-01",
        "sex": "U",
    }
    assert (await client.put("/v1/members/M-7", json=body, headers=admin)).status_code == 201
    assert (await client.get("/v1/members/M-7", headers=reader)).status_code == 200
    trail = (await client.get("/v1/audit?member_id=M-7", headers=admin)).json()["items"]
    reads = [e for e in trail if e["method"] == "GET" and e["key_id"] == reader["X-Key-Id"]]
    assert len(reads) == 1 and reads[0]["outcome"] == "ok"
    assert reads[0]["route"] == "/v1/members/{member_id}"
    assert (await client.get("/v1/audit", headers=reader)).status_code == 403

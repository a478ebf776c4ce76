"""Reference data over HTTP on a migrated database: idempotent upserts, versions, 422s."""

from __future__ import annotations

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select

from service.models import Member, RecordVersion
from tests.service.factories import (
    create_key,
    create_member,
    create_payer,
    create_provider,
    create_world,
)


async def test_same_body_twice_changes_nothing_and_answers_the_same(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await create_payer(client, admin)
    first = await create_member(client, admin)
    second = await create_member(client, admin)
    assert first == second
    assert second["version"] == 1
    async with app.state.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(RecordVersion).where(RecordVersion.entity == "member")
        )
    assert count == 1


async def test_changed_body_is_a_correction_with_version_plus_one(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await create_payer(client, admin)
    await create_member(client, admin)
    corrected = await create_member(client, admin, diagnoses=["F20.9"])
    assert corrected["version"] == 2
    assert corrected["diagnoses"] == ["F20.9"]


async def test_provider_npi_check_digit_and_tax_id_are_checked(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    body = {
        "name": "X",
        "npi": "1234567890",
        "tax_id": "12345",
        "address": {"line1": "1 A St", "city": "Cary", "state": "NC", "zip": "27511"},
    }
    response = await client.put("/v1/providers/P-9", json=body, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    locs = {tuple(err["loc"]) for err in response.json()["errors"]}
    assert ("npi",) in locs and ("tax_id",) in locs  # every field problem, not the first


async def test_unknown_payer_of_member_is_a_422_naming_it_and_stores_nothing(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    response = await create_member_raw(client, admin, payer_id="NOPE")
    assert response.status_code == 422
    assert "NOPE" in response.json()["detail"]
    async with app.state.sessionmaker() as session:
        assert await session.get(Member, "M-1001") is None


async def create_member_raw(client: AsyncClient, headers: dict[str, str], **overrides: str):  # type: ignore[no-untyped-def]
    body = {
        "payer_id": "VAYA",
        "first_name": "A",
        "last_name": "B",
        "birth_date": "1990-01-01",
        "sex": "U",
        **overrides,
    }
    return await client.put("/v1/members/M-1001", json=body, headers=headers)


async def test_error_bodies_never_echo_member_content(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    await create_payer(client, admin)
    response = await create_member_raw(
        client, admin, first_name="Zebulon" * 10, birth_date="1990-13-45"
    )
    assert response.status_code == 422
    assert "Zebulon" not in response.text and "1990-13-45" not in response.text


async def test_integration_key_cannot_touch_another_payers_member(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await create_payer(client, admin, "VAYA")
    await create_payer(client, admin, "TRILLIUM", name="Trillium")
    await create_member(client, admin, "M-1", payer_id="VAYA")
    other = await create_key(app, "integration", payer_id="TRILLIUM")
    assert (await client.get("/v1/members/M-1", headers=other)).status_code == 404
    response = await client.put(
        "/v1/members/M-1",
        headers=other,
        json={
            "payer_id": "TRILLIUM",
            "first_name": "A",
            "last_name": "B",
            "birth_date": "1990-01-01",
            "sex": "U",
        },
    )
    assert response.status_code == 404
    mine = await create_key(app, "integration", payer_id="VAYA")
    assert (await client.get("/v1/members/M-1", headers=mine)).status_code == 200


async def test_no_key_is_401_and_a_wrong_key_is_401(client: AsyncClient) -> None:
    assert (await client.get("/v1/payers")).status_code == 401
    bad = {"Authorization": "Bearer ipsb_not-a-key"}
    response = await client.get("/v1/payers", headers=bad)
    assert response.status_code == 401
    assert response.json()["status"] == 401


async def test_world_builds(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    provider = (await client.get("/v1/providers/P-01", headers=admin)).json()
    assert provider["npi"] == "1234567893"
    await create_provider(client, admin, "P-02", npi="1987654328")
    listed = (await client.get("/v1/providers?limit=1", headers=admin)).json()
    assert len(listed["items"]) == 1 and listed["next_cursor"]
    rest = (
        await client.get(f"/v1/providers?limit=1&cursor={listed['next_cursor']}", headers=admin)
    ).json()
    assert [p["provider_id"] for p in rest["items"]] == ["P-02"] and rest["next_cursor"] is None

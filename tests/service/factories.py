"""Plain ``create_*`` helpers over the real API: each sends what an integration would send."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import text

from claims.milestones.catalog import load_catalog
from service.auth import keys
from service.auth.principal import Role
from service.db import make_engine
from service.migrate import upgrade

# A Luhn-valid NPI (80840 prefix) and a second one, for two providers.
NPI_1 = "1234567893"
NPI_2 = "1987654328"


# Milestone 1's career-profile sections, from the catalog (claims/data/milestones.toml).
PROFILE_SECTIONS: tuple[str, ...] = load_catalog().get("1").thresholds.sections or ()
# Tests loop over these to complete a career profile: none would make those loops vacuous.
assert PROFILE_SECTIONS, "milestone 1 in the catalog lists no career-profile sections"


async def create_key(
    app: FastAPI, role: str, payer_id: str | None = None, provider_id: str | None = None
) -> dict[str, str]:
    async with app.state.sessionmaker() as session, session.begin():
        new = await keys.create_key(session, Role(role), payer_id, provider_id, name="test")
    return {"Authorization": f"Bearer {new.clear_key}", "X-Key-Id": new.key_id}


async def put_ok(
    client: AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.put(path, json=body, headers=headers)
    assert response.status_code in (200, 201), (path, response.status_code, response.text)
    result: dict[str, Any] = response.json()
    return result


async def create_payer(
    client: AsyncClient, headers: dict[str, str], payer_id: str = "VAYA", **overrides: Any
) -> dict[str, Any]:
    body = {
        "name": "Vaya Health",
        "kind": "lme_mco",
        "edi_profile": "default",
        "timely_filing_days": 90,
        **overrides,
    }
    return await put_ok(client, f"/v1/payers/{payer_id}", body, headers)


async def create_fee_schedule(
    client: AsyncClient,
    headers: dict[str, str],
    payer_id: str = "VAYA",
    rate: str = "6.50",
    effective_from: str = "2025-01-01",
) -> dict[str, Any]:
    body = {"rates": {"YP630": rate, "YP630:BC": rate}, "effective_from": effective_from}
    return await put_ok(client, f"/v1/fee-schedules/{payer_id}", body, headers)


async def create_provider(
    client: AsyncClient,
    headers: dict[str, str],
    provider_id: str = "P-01",
    npi: str = NPI_1,
    **overrides: Any,
) -> dict[str, Any]:
    body = {
        "name": "Blue Ridge IPS",
        "npi": npi,
        "tax_id": "561234567",
        "taxonomy": "251S00000X",
        "address": {"line1": "100 Main St", "city": "Asheville", "state": "NC", "zip": "288011234"},
        "program_start_date": "2024-01-01",
        **overrides,
    }
    return await put_ok(client, f"/v1/providers/{provider_id}", body, headers)


async def create_staff(
    client: AsyncClient,
    headers: dict[str, str],
    provider_id: str = "P-01",
    staff_id: str = "S-07",
    role: str = "ESP",
) -> dict[str, Any]:
    body = {"name": "Jordan Lee", "role": role}
    return await put_ok(client, f"/v1/providers/{provider_id}/staff/{staff_id}", body, headers)


async def create_member(
    client: AsyncClient,
    headers: dict[str, str],
    member_id: str = "M-1001",
    payer_id: str = "VAYA",
    **overrides: Any,
) -> dict[str, Any]:
    body = member_body(payer_id, **overrides)
    return await put_ok(client, f"/v1/members/{member_id}", body, headers)


def member_body(payer_id: str = "VAYA", **overrides: Any) -> dict[str, Any]:
    return {
        "payer_id": payer_id,
        "subscriber_id": "900123456",
        "first_name": "Alexandra",
        "last_name": "Quintanilla",
        "birth_date": "1988-04-12",
        "sex": "F",
        "address": {"line1": "12 Oak St", "city": "Boone", "state": "NC", "zip": "28607"},
        "diagnoses": ["F33.1", "F41.1"],
        "dvr_shared_case": False,
        "act_periods": [],
        **overrides,
    }


def event_body(**overrides: Any) -> dict[str, Any]:
    return {
        "member_id": "M-1001",
        "provider_id": "P-01",
        "staff_id": "S-07",
        "service_date": "2026-03-02",
        "start_time": "09:00",
        "end_time": "09:50",
        "activity": "job_search",
        "contact": "in_person",
        "setting": "individual",
        "place_of_service": "99",
        "note_id": "N-5521",
        **overrides,
    }


async def create_event(
    client: AsyncClient, headers: dict[str, str], event_id: str = "E-1", **overrides: Any
) -> dict[str, Any]:
    return await put_ok(client, f"/v1/service-events/{event_id}", event_body(**overrides), headers)


async def create_world(client: AsyncClient, headers: dict[str, str]) -> None:
    """One payer with rates, one provider with one ESP, one member: enough to bill."""
    await create_payer(client, headers)
    await create_fee_schedule(client, headers)
    await create_provider(client, headers)
    await create_staff(client, headers)
    await create_member(client, headers)


async def fileable_world(app: Any, client: AsyncClient) -> dict[str, str]:
    """An admin key and ``create_world`` with a payer whose timely filing keeps the tests'
    fixed 2026 dates billable; answers the key's headers."""
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    await create_payer(client, admin, timely_filing_days=3650)
    return admin


async def billed_claim(app: Any, client: AsyncClient) -> tuple[dict[str, str], dict[str, Any], str]:
    """``fileable_world``, one event of 12 units and the batch billing it: the admin headers,
    the one claim as the API lists it, and the batch's 837P text (for a simulated answer)."""
    admin = await fileable_world(app, client)
    await create_event(client, admin, "E-1", start_time="09:00", end_time="12:00")
    batch = (
        await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    ).json()
    text = (await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)).text
    (claim,) = (await client.get("/v1/claims", headers=admin)).json()["items"]
    return admin, claim, text


async def scratch_database(url: str, name: str) -> str:
    """A fresh, migrated PostgreSQL database of its own, for tests that need committed rows and
    real concurrent transactions (which must not leak into the rolled-back tests). It is a copy
    of a template migrated once per test process (CREATE DATABASE ... TEMPLATE), not a new run
    of every migration."""
    base, _, owner = url.rpartition("/")
    # Named after the suite's own database too, so two suites on one server never share one.
    name = f"{owner}_{name}"
    template = await _migrated_template(base, owner)
    admin = make_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    await admin.dispose()
    return f"{base}/{name}"


_TEMPLATES: dict[str, str] = {}


async def _migrated_template(base: str, owner: str) -> str:
    """``{owner}_template``, made and migrated on this process's first scratch database: from
    the migrations of this run, never a template left by an earlier one."""
    key = f"{base}/{owner}"
    if key not in _TEMPLATES:
        template = f"{owner}_template"
        admin = make_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)"))
            await conn.execute(text(f"CREATE DATABASE {template}"))
        await admin.dispose()
        await asyncio.to_thread(upgrade, f"{base}/{template}")
        _TEMPLATES[key] = template
    return _TEMPLATES[key]


async def profile_sections(client: AsyncClient, admin: dict[str, str], sections: list[str]) -> None:
    """Career-profile evidence for M-1001 at P-01, one section a day from 2026-02-02, each
    worked on in an in-person service event (milestone 004's rule)."""
    for index, section in enumerate(sections):
        day = f"2026-02-{index + 2:02d}"
        await put_ok(
            client,
            f"/v1/milestone-evidence/CP-{index}",
            {
                "member_id": "M-1001",
                "provider_id": "P-01",
                "kind": "career_profile_section",
                "date": day,
                "section": section,
            },
            admin,
        )
        # 004: "Appointments and interactions with the individual must be in-person": each
        # section is worked on in an in-person session, taken from the service events.
        await put_ok(
            client,
            f"/v1/service-events/E-CP{index}",
            {
                "member_id": "M-1001",
                "provider_id": "P-01",
                "staff_id": "S-07",
                "service_date": day,
                "start_time": "09:00",
                "end_time": "10:00",
                "activity": "career_profile",
                "contact": "in_person",
                "setting": "individual",
                "note_id": f"N-{index}",
            },
            admin,
        )

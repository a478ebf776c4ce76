"""The access matrix (tests/service/test_access_matrix.py): every route's rule per role, the
world of records its requests name, a key of every role, and each route's request.

The matrix is the contract's access rule written out: ``ok`` (the route does its work: 2xx, or
409 when there is nothing to bill or invoice), ``403`` (the role may not use the route), ``404``
(the record is outside the key's scope: answered exactly as a missing one), ``422`` (a write
naming a member the key cannot see: "unknown member"). test_unstorable_everywhere.py sends the
same requests with unstorable text.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from claims.inbound.simulate import simulate_835, simulate_999
from service.models import InboundFile
from tests.service.factories import (
    NPI_2,
    PROFILE_SECTIONS,
    create_event,
    create_key,
    create_payer,
    create_provider,
    create_staff,
    event_body,
    fileable_world,
    member_body,
    profile_sections,
    put_ok,
)

ROLES = ("admin", "integration+", "integration-", "finance+", "finance-", "provider+", "provider-")
OK = "ok"

# The authorization every role's write of /v1/authorizations/A-1 sends, and the world holds.
AUTHORIZATION = {"member_id": "M-1001", "provider_id": "P-01", "payer_id": "VAYA",
                 "start_date": "2026-01-01", "end_date": "2026-12-31", "units": 500}  # fmt: skip


def rule(
    admin: Any = OK,
    i_in: Any = 403,
    i_out: Any = 403,
    f_in: Any = 403,
    f_out: Any = 403,
    p_in: Any = 403,
    p_out: Any = 403,
) -> dict[str, Any]:
    return dict(zip(ROLES, (admin, i_in, i_out, f_in, f_out, p_in, p_out), strict=True))


WRITE_REF = rule(i_in=OK, i_out=404)  # payer-scoped reference writes
WRITE_SHARED = rule()  # providers, staff, fidelity reviews serve every payer: admin only
READ_PAYER = rule(i_in=OK, i_out=404, f_in=OK, f_out=404)
READ_RECORD = rule(i_in=OK, i_out=404, f_in=OK, f_out=404, p_in=OK, p_out=404)
READ_ALL = rule(i_in=OK, i_out=OK, f_in=OK, f_out=OK, p_in=OK, p_out=OK)
READ_PROVIDER = rule(i_in=OK, i_out=OK, f_in=OK, f_out=OK, p_in=OK, p_out=404)
FINANCE_WRITE = rule(f_in=OK, f_out=404)
FINANCE_READ = rule(f_in=OK, f_out=404)
INVOICE_READ = rule(f_in=OK, f_out=404, p_in=OK, p_out=404)
PUBLIC = {role: OK for role in ROLES}

MATRIX: dict[str, dict[str, Any]] = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "PUT /v1/payers/{payer_id}": WRITE_REF,
    "GET /v1/payers/{payer_id}": READ_PAYER,
    "GET /v1/payers": rule(i_in=OK, i_out=OK, f_in=OK, f_out=OK),
    "PUT /v1/fee-schedules/{payer_id}": WRITE_REF,
    "GET /v1/fee-schedules/{payer_id}": READ_PAYER,
    "PUT /v1/providers/{provider_id}": WRITE_SHARED,
    "GET /v1/providers/{provider_id}": READ_PROVIDER,
    "GET /v1/providers": READ_ALL,
    "PUT /v1/providers/{provider_id}/staff/{staff_id}": WRITE_SHARED,
    "GET /v1/providers/{provider_id}/staff": READ_PROVIDER,
    "POST /v1/providers/{provider_id}/fidelity-reviews": WRITE_SHARED,
    "GET /v1/providers/{provider_id}/fidelity-reviews": READ_PROVIDER,
    "PUT /v1/members/{member_id}": WRITE_REF,
    "GET /v1/members/{member_id}": READ_PAYER,
    "PUT /v1/authorizations/{authorization_id}": WRITE_REF,
    "GET /v1/authorizations/{authorization_id}": READ_RECORD,
    "PUT /v1/eipd-authorizations/{authorization_id}": WRITE_REF,
    "GET /v1/eipd-authorizations/{authorization_id}": READ_RECORD,
    "PUT /v1/service-events/{event_id}": WRITE_REF,
    "POST /v1/service-events:batch": rule(i_in=OK, i_out=OK),  # per-event results: rejected
    "GET /v1/service-events/{event_id}": READ_RECORD,
    "GET /v1/service-events": READ_ALL,
    "DELETE /v1/service-events/{event_id}": WRITE_REF,
    "GET /v1/members/{member_id}/units": READ_RECORD,
    "POST /v1/claim-batches": FINANCE_WRITE,
    "GET /v1/claim-batches": rule(f_in=OK, f_out=OK),
    "GET /v1/claim-batches/{batch_id}": FINANCE_READ,
    "GET /v1/claim-batches/{batch_id}/837p": FINANCE_READ,
    "GET /v1/claim-batches/{batch_id}/summary.csv": FINANCE_READ,
    "GET /v1/claims": READ_ALL,
    "GET /v1/claims/{claim_id}": READ_RECORD,
    "POST /v1/edi/inbound": rule(f_in=OK, f_out=OK),  # out of scope: claims left unmatched
    # The world's file was posted by an admin key: only admin and unscoped finance keys see it.
    "GET /v1/edi/inbound/{file_id}": rule(f_in=404, f_out=404),
    "GET /v1/remittance-exceptions": rule(f_in=OK, f_out=OK),  # a list: only the caller's payer
    "POST /v1/remittance-exceptions/{exception_id}/resolution": FINANCE_WRITE,
    "GET /v1/provider-adjustments": rule(f_in=OK, f_out=OK, p_in=OK, p_out=OK),
    "GET /v1/providers/{provider_id}/payment-status": rule(f_in=OK, f_out=OK, p_in=OK, p_out=404),
    "PUT /v1/milestone-evidence/{evidence_id}": WRITE_REF,
    "GET /v1/milestone-evidence/{evidence_id}": READ_RECORD,
    "DELETE /v1/milestone-evidence/{evidence_id}": WRITE_REF,
    "GET /v1/members/{member_id}/milestones": READ_RECORD,
    "POST /v1/invoices": FINANCE_WRITE,
    "GET /v1/invoices": rule(f_in=OK, f_out=OK, p_in=OK, p_out=OK),
    "GET /v1/invoices/{invoice_id}": INVOICE_READ,
    "GET /v1/invoices/{invoice_id}/invoice.pdf": INVOICE_READ,
    "GET /v1/invoices/{invoice_id}/invoice.csv": INVOICE_READ,
    "POST /v1/invoices/{invoice_id}/payments": FINANCE_WRITE,
    "GET /v1/audit": rule(),
    # A claim-batch job: seen as its batch is (integration and provider keys: not theirs).
    "GET /v1/jobs/{job_id}": rule(i_in=404, i_out=404, f_in=OK, f_out=404, p_in=404, p_out=404),
}


def routes(app: FastAPI) -> list[str]:
    found = []
    for path, methods in app.openapi()["paths"].items():
        found.extend(f"{method.upper()} {path}" for method in methods)
    return found


async def build_world(app: FastAPI, client: AsyncClient) -> dict[str, Any]:
    """Records of payer VAYA / provider P-01, and a second payer and provider for 'out'."""
    admin = await fileable_world(app, client)
    await create_payer(client, admin, "OTHER", name="Other LME")
    await create_provider(client, admin, "P-02", npi=NPI_2)
    await create_staff(client, admin, "P-02")
    await create_event(client, admin, "E-1")
    await profile_sections(client, admin, list(PROFILE_SECTIONS))  # evidence CP-0...
    await put_ok(
        client,
        "/v1/authorizations/A-1",
        AUTHORIZATION,
        admin,
    )
    await put_ok(
        client,
        "/v1/eipd-authorizations/EA-1",
        {
            "member_id": "M-1001",
            "provider_id": "P-01",
            "milestone": "3-A",
            "start_date": "2026-06-01",
        },
        admin,
    )
    batch = (
        await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    ).json()
    claim = (await client.get("/v1/claims", headers=admin)).json()["items"][0]
    invoice = (
        await client.post(
            "/v1/invoices",
            headers=admin,
            json={"payer_id": "VAYA", "provider_id": "P-01", "through_date": "2026-12-31"},
        )
    ).json()
    job = await client.post(
        "/v1/claim-batches",
        json={"payer_id": "VAYA"},
        headers={**admin, "Prefer": "respond-async"},
    )
    text = (await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)).text
    from datetime import UTC, datetime

    ack = simulate_999(text, control_number=77, created=datetime(2026, 4, 1, tzinfo=UTC))
    exception_id = await _remittance_exception(client, admin, text)
    async with app.state.sessionmaker() as session:
        file_id = (await session.execute(select(InboundFile.id))).scalars().first()
    return {
        "exception_id": exception_id,
        "file_id": file_id,
        "batch_id": batch["batch_id"],
        "claim_id": claim["claim_id"],
        "invoice_id": invoice["invoice_id"],
        "job_id": job.json()["job_id"],
        "ack": ack,
    }


async def _remittance_exception(client: AsyncClient, admin: dict[str, str], text: str) -> int:
    """An 835 paying VAYA's claim under a charge we never billed: held as an exception."""
    from datetime import UTC, datetime

    remit = simulate_835(text, control_number=78, created=datetime(2026, 4, 1, tzinfo=UTC),
                         trace_number="MATRIX")  # fmt: skip
    element = remit[3]
    clp = next(seg for seg in remit.split(remit[105]) if seg.strip().startswith("CLP" + element))
    parts = clp.split(element)
    altered = remit.replace(clp, element.join([*parts[:3], "9" + parts[3], *parts[4:]]))
    response = await client.post("/v1/edi/inbound", content=altered.encode(), headers={
        **admin, "Content-Type": "application/edi-x12"})  # fmt: skip
    assert response.json()["exceptions"], response.text
    page = (await client.get("/v1/remittance-exceptions", headers=admin)).json()
    return int(page["items"][0]["id"])


async def role_keys(app: FastAPI) -> dict[str, dict[str, str]]:
    return {
        "admin": await create_key(app, "admin"),
        "integration+": await create_key(app, "integration", payer_id="VAYA"),
        "integration-": await create_key(app, "integration", payer_id="OTHER"),
        "finance+": await create_key(app, "finance", payer_id="VAYA"),
        "finance-": await create_key(app, "finance", payer_id="OTHER"),
        "provider+": await create_key(app, "provider", provider_id="P-01"),
        "provider-": await create_key(app, "provider", provider_id="P-02"),
    }


def route_request(route: str, world: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    method, template = route.split(" ", 1)
    ids = {
        "payer_id": "VAYA",
        "provider_id": "P-01",
        "staff_id": "S-07",
        "member_id": "M-1001",
        "event_id": "E-1",
        "evidence_id": "CP-0",
        "authorization_id": "EA-1" if "eipd" in template else "A-1",
        **world,
    }
    path = template.format(**ids)
    return method, path, route_body(route, world)


def route_body(route: str, world: dict[str, Any]) -> dict[str, Any]:
    bodies: dict[str, Any] = {
        "PUT /v1/payers/{payer_id}": {
            "json": {"name": "Vaya Health", "kind": "lme_mco", "timely_filing_days": 3650}
        },
        "PUT /v1/fee-schedules/{payer_id}": {
            "json": {"rates": {"YP630": "6.50", "YP630:BC": "6.50"}, "effective_from": "2025-01-01"}
        },
        "PUT /v1/providers/{provider_id}": {
            "json": {
                "name": "Blue Ridge IPS",
                "npi": "1234567893",
                "tax_id": "561234567",
                "taxonomy": "251S00000X",
                "program_start_date": "2024-01-01",
                "address": {
                    "line1": "100 Main St",
                    "city": "Asheville",
                    "state": "NC",
                    "zip": "288011234",
                },
            }
        },
        "PUT /v1/providers/{provider_id}/staff/{staff_id}": {
            "json": {"name": "Jordan Lee", "role": "ESP"}
        },
        "POST /v1/providers/{provider_id}/fidelity-reviews": {
            "json": {"score": 96, "final_report_date": "2025-01-15"}
        },
        "PUT /v1/members/{member_id}": {"json": member_body()},
        "PUT /v1/authorizations/{authorization_id}": {"json": AUTHORIZATION},
        "PUT /v1/eipd-authorizations/{authorization_id}": {
            "json": {
                "member_id": "M-1001",
                "provider_id": "P-01",
                "milestone": "3-A",
                "start_date": "2026-06-01",
            }
        },
        "PUT /v1/service-events/{event_id}": {"json": event_body()},
        "POST /v1/service-events:batch": {
            "json": {"events": [{"event_id": "E-1", **event_body()}]}
        },
        "POST /v1/claim-batches": {"json": {"payer_id": "VAYA"}},
        "POST /v1/edi/inbound": {
            "content": world["ack"].encode(),
            "headers": {"Content-Type": "application/edi-x12"},
        },
        "PUT /v1/milestone-evidence/{evidence_id}": {
            "json": {
                "member_id": "M-1001",
                "provider_id": "P-01",
                "kind": "career_profile_section",
                "date": "2026-02-02",
                "section": "work_history",
            }
        },
        "POST /v1/remittance-exceptions/{exception_id}/resolution": {
            "json": {"action": "dismiss", "note": "matrix"}
        },
        "POST /v1/invoices": {
            "json": {"payer_id": "VAYA", "provider_id": "P-01", "through_date": "2026-12-31"}
        },
        "POST /v1/invoices/{invoice_id}/payments": {
            "json": {"amount": "1.00", "paid_on": "2026-04-01", "reference": "MATRIX-1"}
        },
    }
    return dict(bodies.get(route, {}))

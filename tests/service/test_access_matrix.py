"""Every route of the OpenAPI document, with a key of every role in and out of scope.

The matrix below is the contract's access rule written out: ``ok`` (the route does its work:
2xx, or 409 when there is nothing to bill or invoice), ``403`` (the role may not use the
route), ``404`` (the record is outside the key's scope: answered exactly as a missing one),
``422`` (a write naming a member the key cannot see: "unknown member"). No key is always 401.
A route added to the app without an entry here fails ``test_every_route_has_a_matrix_entry``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from claims.inbound.simulate import simulate_835, simulate_999
from service.models import InboundFile
from service.models.base import Base
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
    put_ok,
)

ROLES = ("admin", "integration+", "integration-", "finance+", "finance-", "provider+", "provider-")
OK = "ok"


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


def test_every_route_has_a_matrix_entry(app: FastAPI) -> None:
    assert sorted(routes(app)) == sorted(MATRIX)


async def _world(app: FastAPI, client: AsyncClient) -> dict[str, Any]:
    """Records of payer VAYA / provider P-01, and a second payer and provider for 'out'."""
    admin = await fileable_world(app, client)
    await create_payer(client, admin, "OTHER", name="Other LME")
    await create_provider(client, admin, "P-02", npi=NPI_2)
    await create_staff(client, admin, "P-02")
    await create_event(client, admin, "E-1")
    for index, section in enumerate(PROFILE_SECTIONS):
        day = f"2026-02-{index + 2:02d}"
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
        await create_event(
            client, admin, f"E-CP{index}", service_date=day, activity="career_profile"
        )
    await put_ok(
        client,
        "/v1/authorizations/A-1",
        {
            "member_id": "M-1001",
            "provider_id": "P-01",
            "payer_id": "VAYA",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "units": 500,
        },
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


async def _keys(app: FastAPI) -> dict[str, dict[str, str]]:
    return {
        "admin": await create_key(app, "admin"),
        "integration+": await create_key(app, "integration", payer_id="VAYA"),
        "integration-": await create_key(app, "integration", payer_id="OTHER"),
        "finance+": await create_key(app, "finance", payer_id="VAYA"),
        "finance-": await create_key(app, "finance", payer_id="OTHER"),
        "provider+": await create_key(app, "provider", provider_id="P-01"),
        "provider-": await create_key(app, "provider", provider_id="P-02"),
    }


def _request(route: str, world: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    method, template = route.split(" ", 1)
    ids = {
        "payer_id": "VAYA",
        "provider_id": "P-01",
        "staff_id": "S-07",
        "member_id": "M-1001",
        "event_id": "E-1",
        "evidence_id": "EV-0",
        "authorization_id": "EA-1" if "eipd" in template else "A-1",
        **world,
    }
    path = template.format(**ids)
    return method, path, _body(route, world)


def _body(route: str, world: dict[str, Any]) -> dict[str, Any]:
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
        "PUT /v1/members/{member_id}": {
            "json": {
                "payer_id": "VAYA",
                "subscriber_id": "900123456",
                "first_name": "Alexandra",
                "last_name": "Quintanilla",
                "birth_date": "1988-04-12",
                "sex": "F",
                "address": {"line1": "12 Oak St", "city": "Boone", "state": "NC", "zip": "28607"},
                "diagnoses": ["F33.1", "F41.1"],
            }
        },
        "PUT /v1/authorizations/{authorization_id}": {
            "json": {
                "member_id": "M-1001",
                "provider_id": "P-01",
                "payer_id": "VAYA",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
                "units": 500,
            }
        },
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


def _matches(expected: Any, status: int) -> bool:
    if expected == OK:
        return status < 400 or status == 409
    return bool(status == expected)


FOREIGN = ("integration-", "finance-", "provider-")  # another payer's keys, another provider's
# Writes a foreign key may make: the answer lists each event rejected; an inbound file whose
# claims are not the key's leaves them unmatched. Every other write refuses every foreign key.
FOREIGN_WRITES_ANSWERED = {
    ("POST /v1/service-events:batch", "integration-"),
    ("POST /v1/edi/inbound", "finance-"),
}


def _is_write(route: str) -> bool:
    return not route.startswith("GET ")


def test_every_write_route_refuses_keys_of_another_payer_and_provider() -> None:
    for route in filter(_is_write, MATRIX):
        if route.startswith(("GET /healthz", "GET /readyz")):
            continue
        for role in FOREIGN:
            expected = MATRIX[route][role]
            assert expected != OK or (route, role) in FOREIGN_WRITES_ANSWERED, (route, role)


async def snapshot(app: FastAPI) -> dict[str, list[str]]:
    """Every stored row but the audit trail's (which records the refusals themselves)."""
    tables = [t for t in Base.metadata.sorted_tables if t.name != "audit_log"]
    async with app.state.sessionmaker() as session:
        return {
            t.name: sorted(repr(tuple(row)) for row in (await session.execute(select(t))).all())
            for t in tables
        }


async def test_every_route_answers_every_role_as_the_contract_says(
    app: FastAPI, client: AsyncClient
) -> None:
    """Refused writes are sent first for each route, between two snapshots of every table:
    a refused write changes nothing."""
    world = await _world(app, client)
    keys = await _keys(app)
    ordered = sorted(MATRIX, key=lambda r: r.startswith("DELETE"))  # voids last
    failures = []
    for route in ordered:
        method, path, body = _request(route, world)
        headers_extra = body.pop("headers", {})
        refused = [role for role in ROLES if MATRIX[route][role] != OK]
        before = await snapshot(app) if _is_write(route) and refused else None
        for role in sorted(ROLES, key=lambda role: role not in refused):
            if before is not None and role not in refused:
                if await snapshot(app) != before:
                    failures.append((route, "a refused write changed stored rows"))
                before = None
            response = await client.request(
                method, path, headers={**keys[role], **headers_extra}, **body
            )
            if not _matches(MATRIX[route][role], response.status_code):
                failures.append((route, role, MATRIX[route][role], response.status_code))
        if path.startswith("/v1/"):
            anonymous = await client.request(method, path, headers=headers_extra, **body)
            if anonymous.status_code != 401:
                failures.append((route, "no key", 401, anonymous.status_code))
    assert failures == []


# (what a key outside the record's scope tries, key, method, path, body, answer). The first row
# is the defect that started this: payer OTHER's key scoring VAYA's provider 10 re-adjudicated
# every VAYA event of that provider to "excluded" and queued voids of VAYA's claimed lines.
FOREIGN_CASES: list[tuple[str, str, str, str, dict[str, Any], int]] = [
    ("payer OTHER re-scores the provider VAYA bills for", "integration-", "POST",
     "/v1/providers/P-01/fidelity-reviews", {"score": 10, "final_report_date": "2026-01-15"}, 403),
    ("payer OTHER rewrites the provider's tax id and address", "integration-", "PUT",
     "/v1/providers/P-01", {"name": "Taken", "npi": "1234567893", "tax_id": "999999999",
     "address": {"line1": "1 Elsewhere", "city": "Raleigh", "state": "NC", "zip": "27601"}}, 403),
    ("payer OTHER rewrites the provider's staff", "integration-", "PUT",
     "/v1/providers/P-01/staff/S-07", {"name": "X", "role": "PA"}, 403),
    ("a provider key re-scores itself", "provider+", "POST",
     "/v1/providers/P-01/fidelity-reviews", {"score": 125, "final_report_date": "2026-01-15"}, 403),
    ("payer OTHER rewrites VAYA's fee schedule", "integration-", "PUT", "/v1/fee-schedules/VAYA",
     {"rates": {"YP630": "99.00", "YP630:BC": "99.00"}, "effective_from": "2025-01-01"}, 404),
    ("payer OTHER moves VAYA's member to itself", "integration-", "PUT", "/v1/members/M-1001",
     {"payer_id": "OTHER", "first_name": "A", "last_name": "B", "birth_date": "1990-01-01",
      "sex": "U"}, 404),
    ("payer OTHER voids VAYA's event", "integration-", "DELETE", "/v1/service-events/E-1", {}, 404),
    ("another provider's key voids P-01's event", "provider-", "DELETE",
     "/v1/service-events/E-1", {}, 403),
    ("payer OTHER pays VAYA's invoice", "finance-", "POST", "/v1/invoices/{invoice_id}/payments",
     {"amount": "1.00", "paid_on": "2026-04-01", "reference": "X-1"}, 404),
    ("payer OTHER applies VAYA's held remittance", "finance-", "POST",
     "/v1/remittance-exceptions/{exception_id}/resolution", {"action": "apply", "note": "x"}, 404),
]  # fmt: skip


async def test_keys_outside_a_records_scope_change_nothing(
    app: FastAPI, client: AsyncClient
) -> None:
    world = await _world(app, client)
    keys = await _keys(app)
    events_before = (await client.get("/v1/service-events", headers=keys["admin"])).json()
    before = await snapshot(app)
    failures = []
    for what, role, method, template, body, status in FOREIGN_CASES:
        path = template.format(**world)
        response = await client.request(method, path, headers=keys[role], json=body or None)
        if response.status_code != status:
            failures.append((what, status, response.status_code))
    assert failures == []
    assert await snapshot(app) == before
    events_after = (await client.get("/v1/service-events", headers=keys["admin"])).json()
    assert events_after == events_before  # no VAYA event re-adjudicated (none "excluded")
    assert all(e["adjudication"]["status"] != "excluded" for e in events_after["items"])

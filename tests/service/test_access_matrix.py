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

from service.models.base import Base
from tests.service.access_matrix import (
    MATRIX,
    OK,
    ROLES,
    build_world,
    role_keys,
    route_request,
    routes,
)


def test_every_route_has_a_matrix_entry(app: FastAPI) -> None:
    assert sorted(routes(app)) == sorted(MATRIX)


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
    world = await build_world(app, client)
    keys = await role_keys(app)
    ordered = sorted(MATRIX, key=lambda r: r.startswith("DELETE"))  # voids last
    failures = []
    for route in ordered:
        method, path, body = route_request(route, world)
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
    world = await build_world(app, client)
    keys = await role_keys(app)
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

"""Milestone evidence, member milestones and invoices over HTTP, with a real PDF read back."""

from __future__ import annotations

import io

from fastapi import FastAPI
from httpx import AsyncClient
from pypdf import PdfReader

from tests.service.factories import (
    PROFILE_SECTIONS,
    create_key,
    create_world,
    profile_sections,
)

SECTIONS = list(PROFILE_SECTIONS)


async def _world(app: FastAPI, client: AsyncClient) -> dict[str, str]:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    return admin


async def test_evidence_is_idempotent_versioned_and_checked_per_kind(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    body = {
        "member_id": "M-1001",
        "provider_id": "P-01",
        "kind": "employer_contact",
        "date": "2026-03-04",
        "employer": "Mountain Grocers",
        "contact_name": "Dana Cole",
        "face_to_face": True,
    }
    first = await client.put("/v1/milestone-evidence/EV-1", json=body, headers=admin)
    again = await client.put("/v1/milestone-evidence/EV-1", json=body, headers=admin)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["version"] == 1
    changed = await client.put(
        "/v1/milestone-evidence/EV-1", headers=admin, json={**body, "face_to_face": False}
    )
    assert changed.json()["version"] == 2
    bad = await client.put(
        "/v1/milestone-evidence/EV-2",
        headers=admin,
        json={**body, "face_to_face": "often", "contact_name": None},
    )
    assert bad.status_code == 422
    assert {tuple(e["loc"])[-1] for e in bad.json()["errors"]} >= {"face_to_face"}
    unknown = await client.put(
        "/v1/milestone-evidence/EV-3", headers=admin, json={**body, "member_id": "M-NOPE"}
    )
    assert unknown.status_code == 422 and "M-NOPE" in unknown.json()["detail"]


async def test_milestone_1_earned_and_2_progress_says_what_is_missing(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await profile_sections(client, admin, SECTIONS)
    status = (await client.get("/v1/members/M-1001/milestones", headers=admin)).json()
    earned = {(e["milestone"], e["occurrence"]): e for e in status["earned"]}
    assert earned[("1", 1)]["amount"] == "2120.00"
    assert earned[("1", 1)]["status"] == "earned" and earned[("1", 1)]["invoice_id"] is None
    progress = {p["milestone"]: p for p in status["progress"]}
    assert progress["2"]["met"] is False and progress["2"]["missing"]


async def test_invoice_then_void_yields_a_credit_on_the_next_invoice(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await profile_sections(client, admin, SECTIONS)
    body = {"payer_id": "VAYA", "provider_id": "P-01", "through_date": "2026-12-31"}
    created = await client.post("/v1/invoices", json=body, headers=admin)
    assert created.status_code == 201, created.text
    invoice = created.json()
    assert invoice["total"] == "2120.00" and invoice["status"] == "sent"
    assert [(item["milestone"], item["amount"]) for item in invoice["lines"]] == [("1", "2120.00")]
    assert (await client.post("/v1/invoices", json=body, headers=admin)).status_code == 409
    await client.delete("/v1/milestone-evidence/CP-0", headers=admin)
    sent = (await client.get(f"/v1/invoices/{invoice['invoice_id']}", headers=admin)).json()
    assert sent == invoice  # a sent invoice never changes
    credit = (await client.post("/v1/invoices", json=body, headers=admin)).json()
    assert [(item["milestone"], item["amount"], item["kind"]) for item in credit["lines"]] == [
        ("1", "-2120.00", "credit")
    ]


async def test_payments_are_recorded_once_per_reference(app: FastAPI, client: AsyncClient) -> None:
    admin = await _world(app, client)
    await profile_sections(client, admin, SECTIONS)
    invoice = (
        await client.post(
            "/v1/invoices",
            headers=admin,
            json={"payer_id": "VAYA", "provider_id": "P-01", "through_date": "2026-12-31"},
        )
    ).json()
    path = f"/v1/invoices/{invoice['invoice_id']}/payments"
    payment = {"amount": "1000.00", "paid_on": "2026-04-01", "reference": "EFT-1"}
    first = await client.post(path, json=payment, headers=admin)
    retry = await client.post(path, json=payment, headers=admin)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["paid_amount"] == "1000.00"
    assert retry.json()["status"] == "partially_paid"
    too_much = await client.post(
        path, headers=admin, json={**payment, "reference": "EFT-2", "amount": "5000.00"}
    )
    assert too_much.status_code == 422
    rest = await client.post(
        path, headers=admin, json={**payment, "reference": "EFT-3", "amount": "1120.00"}
    )
    assert rest.json()["status"] == "paid"
    as_float = await client.post(path, headers=admin, json={**payment, "amount": 1.5})
    assert as_float.status_code == 422  # money is a string, never a float


async def test_invoice_pdf_is_a_real_invoice_without_member_names(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await profile_sections(client, admin, SECTIONS)
    invoice = (
        await client.post(
            "/v1/invoices",
            headers=admin,
            json={"payer_id": "VAYA", "provider_id": "P-01", "through_date": "2026-12-31"},
        )
    ).json()
    response = await client.get(f"/v1/invoices/{invoice['invoice_id']}/invoice.pdf", headers=admin)
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert invoice["invoice_number"] in text and "Blue Ridge IPS" in text
    assert "2,120.00" in text or "2120.00" in text
    assert "900123456" in text  # the member's record number
    assert "Quintanilla" not in text and "Alexandra" not in text and "F33" not in text
    csv_text = (
        await client.get(f"/v1/invoices/{invoice['invoice_id']}/invoice.csv", headers=admin)
    ).text
    assert "2120.00" in csv_text and "Quintanilla" not in csv_text

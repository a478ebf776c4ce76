"""Round trip: a batch, then the payer's 999, 277CA and 835 (built by the simulator, valid for
pyx12), posted to the API; every claim's status, amounts and history, and the provider's view."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from claims.inbound.simulate import (
    LineAdjustment,
    RemitAction,
    RemitPlan,
    simulate_277ca,
    simulate_835,
    simulate_999,
)
from tests.service.factories import create_event, create_key, create_member, create_payer
from tests.service.factories import create_world as base_world

EDI = {"Content-Type": "application/edi-x12"}
WHEN = datetime(2026, 4, 10, 9, 30, tzinfo=UTC)


async def _batch_of_three(
    app: FastAPI, client: AsyncClient
) -> tuple[dict[str, str], str, list[dict[str, Any]]]:
    admin = await create_key(app, "admin")
    await base_world(client, admin)
    await create_payer(client, admin, timely_filing_days=3650)
    for index in (1, 2, 3):
        member = f"M-{index}"
        await create_member(client, admin, member, subscriber_id=f"90000000{index}")
        await create_event(client, admin, f"E-{index}", member_id=member)
        await create_event(
            client, admin, f"E-{index}b", member_id=member, service_date="2026-03-03"
        )
    batch = (
        await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    ).json()
    text = (await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)).text
    claims = (await client.get("/v1/claims", headers=admin)).json()["items"]
    return admin, text, sorted(claims, key=lambda c: c["member_id"])


async def _post(client: AsyncClient, headers: dict[str, str], text: str) -> dict[str, Any]:
    response = await client.post(
        "/v1/edi/inbound", content=text.encode(), headers={**headers, **EDI}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_999_277ca_and_835_drive_every_claim_and_the_providers_totals(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, text, claims = await _batch_of_three(app, client)
    paid, partial, denied = (c["claim_id"] for c in claims)
    finance = await create_key(app, "finance", payer_id="VAYA")

    ack = await _post(client, finance, simulate_999(text, control_number=501, created=WHEN))
    assert ack["kind"] == "999" and ack["unmatched"] == []
    acks = await _post(client, finance, simulate_277ca(text, control_number=502, created=WHEN))
    assert acks["kind"] == "277CA" and acks["claims_updated"] == 3

    cut = claims[1]["lines"][0]
    plans = {
        partial: RemitPlan(RemitAction.PARTIAL, (LineAdjustment(cut["line_id"], Decimal("5.00")),)),
        denied: RemitPlan(RemitAction.DENY),
    }
    remit_text = simulate_835(
        text, control_number=503, created=WHEN, trace_number="EFT123", plans=plans
    )
    remit = await _post(client, finance, remit_text)
    assert remit["kind"] == "835" and remit["unmatched"] == []

    after = {
        c["claim_id"]: c for c in (await client.get("/v1/claims", headers=admin)).json()["items"]
    }
    assert after[paid]["status"] == "paid"
    assert after[paid]["paid_amount"] == after[paid]["total_charge"]
    assert after[partial]["status"] == "partially_paid"
    expected = Decimal(after[partial]["total_charge"]) - Decimal("5.00")
    assert Decimal(after[partial]["paid_amount"]) == expected
    line = [item for item in after[partial]["lines"] if item["line_id"] == cut["line_id"]][0]
    assert [(a["group_code"], a["reason_code"], a["amount"]) for a in line["adjustments"]] == [
        ("CO", "45", "5.00")
    ]
    assert after[denied]["status"] == "denied" and after[denied]["paid_amount"] == "0.00"
    for claim in after.values():
        assert claim["payer_claim_number"]
        assert claim["payment_reference"] == "EFT123"
        statuses = [h["status"] for h in claim["history"]]
        assert statuses[0] == "generated" and "accepted" in statuses
        assert all(h["source"] for h in claim["history"])

    status = (await client.get("/v1/providers/P-01/payment-status", headers=admin)).json()
    total = sum(Decimal(c["total_charge"]) for c in after.values())
    assert status["claims"]["billed"]["count"] == 3
    assert Decimal(status["claims"]["billed"]["amount"]) == total
    assert status["claims"]["paid"]["count"] == 2
    assert Decimal(status["claims"]["paid"]["amount"]) == (
        Decimal(after[paid]["paid_amount"]) + expected
    )
    assert status["claims"]["denied"]["claim_ids"] == [denied]
    assert status["claims"]["outstanding"]["count"] == 0

    again = await _post(client, finance, remit_text)
    assert again["duplicate"] is True and again["claims_updated"] == 0
    unchanged = {
        c["claim_id"]: c for c in (await client.get("/v1/claims", headers=admin)).json()["items"]
    }
    assert unchanged == after


async def test_a_rejecting_999_rejects_the_batchs_claims(app: FastAPI, client: AsyncClient) -> None:
    admin, text, claims = await _batch_of_three(app, client)
    st02 = text.split("ST*837*")[1].split("*")[0]
    result = await _post(
        client,
        admin,
        simulate_999(text, control_number=9, created=WHEN, rejected_sets=frozenset({st02})),
    )
    assert result["claims_updated"] == 3
    after = (await client.get("/v1/claims", headers=admin)).json()["items"]
    assert {c["status"] for c in after} == {"rejected"}


async def test_277ca_rejection_and_unknown_claims_are_reported(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, text, claims = await _batch_of_three(app, client)
    rejected = claims[0]["claim_id"]
    result = await _post(
        client,
        admin,
        simulate_277ca(text, control_number=7, created=WHEN, rejections={rejected: "562"}),
    )
    after = {
        c["claim_id"]: c for c in (await client.get("/v1/claims", headers=admin)).json()["items"]
    }
    assert after[rejected]["status"] == "rejected"
    assert any("562" in code for code in after[rejected]["status_codes"])
    other_payer = await create_key(app, "finance", payer_id="SOMEONE-ELSE")
    foreign = await _post(client, other_payer, simulate_277ca(text, control_number=8, created=WHEN))
    assert foreign["claims_updated"] == 0 and len(foreign["unmatched"]) == 3
    assert result["unmatched"] == []


async def test_a_replacement_runs_end_to_end_from_a_real_277ca(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, text, claims = await _batch_of_three(app, client)
    await create_event(client, admin, "E-1", member_id="M-1", end_time="10:30")
    units = (await client.get("/v1/members/M-1/units", headers=admin)).json()["items"]
    assert units[0]["hold_reason"] == "awaiting_payer_claim_number"
    await _post(client, admin, simulate_277ca(text, control_number=11, created=WHEN))
    units = (await client.get("/v1/members/M-1/units", headers=admin)).json()["items"]
    assert units[0]["hold_reason"] is None
    batch = (
        await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    ).json()
    assert batch["replacement_count"] == 1
    new_text = (await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)).text
    number = [
        c
        for c in (await client.get("/v1/claims", headers=admin)).json()["items"]
        if c["claim_id"] == claims[0]["claim_id"]
    ][0]["payer_claim_number"]
    assert f"REF*F8*{number}" in new_text


async def test_inbound_refuses_garbage_with_a_problem(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    for body in (b"", b"hello", b"ISA*00*", "ISA*é".encode()):
        response = await client.post("/v1/edi/inbound", content=body, headers={**admin, **EDI})
        assert response.status_code in (400, 422), (body, response.status_code)
        assert response.headers["content-type"].startswith("application/problem+json")
    wrong_type = await client.post(
        "/v1/edi/inbound", content=b"x", headers={**admin, "Content-Type": "application/json"}
    )
    assert wrong_type.status_code == 415

"""A remittance exception is resolved by finance (docs/edi.md, "Resolving an exception"):
``dismiss`` closes it and changes no claim, ``apply`` applies the stored claim payment as if it
had passed, once, and only to a claim that can still take it; both keep who, when and why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from claims.inbound.simulate import simulate_835
from tests.service.edi_files import join, reseal, segments
from tests.service.factories import create_key
from tests.service.remittances import OTHER_NPI, claim_of_78, denial, post_edi

WHEN = datetime(2026, 4, 10, 9, 30, tzinfo=UTC)


async def _resolve(
    client: AsyncClient, headers: dict[str, str], exception_id: int, action: str, note: str
) -> Any:
    return await client.post(
        f"/v1/remittance-exceptions/{exception_id}/resolution",
        json={"action": action, "note": note},
        headers=headers,
    )


def _altered(text: str, **by_segment: Any) -> str:
    """``CLP=(3, "80.00")`` sets CLP03, ``N1_PE=(4, NPI)`` the payee's id; ``REF_6R=None``
    drops every REF*6R."""
    element, terminator, segs = segments(text)
    out = []
    for seg in segs:
        parts = seg.split(element)
        key = f"{parts[0]}_{parts[1]}" if parts[0] in ("REF", "N1") else parts[0]
        if key in by_segment and by_segment[key] is None:
            continue
        if key in by_segment:
            position, value = by_segment[key]
            parts[position] = value
        out.append(element.join(parts))
    return join(element, terminator, reseal(out, element))


async def _open_ones(client: AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    page = await client.get("/v1/remittance-exceptions?status=open", headers=headers)
    items: list[dict[str, Any]] = page.json()["items"]
    return items


async def test_the_issues_835_dismissed_changes_no_claim(app: FastAPI, client: AsyncClient) -> None:
    admin, claim, _ = await claim_of_78(app, client)
    finance = await create_key(app, "finance", payer_id="VAYA")
    # CLP03 999.00 against a 78.00 claim, other claims' line id, another provider's NPI
    await post_edi(client, finance, denial(claim["claim_id"], "999.00", "999.00", status="1"))
    (held,) = await _open_ones(client, finance)
    assert held["status"] == "open" and held["resolution"] is None

    response = await _resolve(client, finance, held["id"], "dismiss", "not our payment")
    assert response.status_code == 200, response.text
    done = response.json()
    assert (done["status"], done["resolution"], done["resolution_note"]) == (
        "resolved",
        "dismiss",
        "not our payment",
    )
    assert done["resolved_by"].startswith("key_") and done["resolved_at"] is not None
    after = (await client.get(f"/v1/claims/{claim['claim_id']}", headers=admin)).json()
    assert (after["status"], after["paid_amount"]) == ("generated", "0.00")
    assert [h["status"] for h in after["history"]] == ["generated"]
    assert await _open_ones(client, finance) == []
    resolved = await client.get("/v1/remittance-exceptions?status=resolved", headers=finance)
    assert [item["id"] for item in resolved.json()["items"]] == [held["id"]]

    again = await _resolve(client, finance, held["id"], "dismiss", "retried")
    assert again.status_code == 200 and again.json() == done  # a retry: the first decision
    other = await _resolve(client, finance, held["id"], "apply", "changed my mind")
    assert other.status_code == 409 and "already resolved (dismiss" in other.json()["detail"]


async def test_apply_marks_the_claim_paid_once(app: FastAPI, client: AsyncClient) -> None:
    admin, claim, text = await claim_of_78(app, client)
    remit = simulate_835(text, control_number=701, created=WHEN, trace_number="EFT77")
    result = await post_edi(client, admin, _altered(remit, N1_PE=(4, OTHER_NPI)))  # not our NPI
    assert result["exceptions"] == [{"claim_id": claim["claim_id"], "failed_checks": ["payee"]}]
    (held,) = await _open_ones(client, admin)

    response = await _resolve(client, admin, held["id"], "apply", "charge typo at the payer")
    assert response.status_code == 200, response.text
    assert response.json()["resolution"] == "apply"
    after = (await client.get(f"/v1/claims/{claim['claim_id']}", headers=admin)).json()
    assert (after["status"], after["paid_amount"]) == ("paid", "78.00")
    assert after["payment_reference"] == "EFT77"
    assert [line["paid_amount"] for line in after["lines"]] == [
        line["charge"] for line in claim["lines"]
    ]
    assert [h["status"] for h in after["history"]] == ["generated", "paid"]
    assert f"remittance exception {held['id']}" in after["history"][-1]["source"]

    again = await _resolve(client, admin, held["id"], "apply", "retried")
    assert again.status_code == 200 and again.json() == response.json()
    twice = (await client.get(f"/v1/claims/{claim['claim_id']}", headers=admin)).json()
    assert twice["history"] == after["history"]


async def test_apply_refuses_a_claim_paid_since(app: FastAPI, client: AsyncClient) -> None:
    admin, claim, text = await claim_of_78(app, client)
    remit = simulate_835(text, control_number=702, created=WHEN, trace_number="EFT78")
    await post_edi(client, admin, _altered(remit, CLP=(3, "80.00")))
    (held,) = await _open_ones(client, admin)
    clean = simulate_835(text, control_number=703, created=WHEN, trace_number="EFT79")
    assert (await post_edi(client, admin, clean))["claim_ids"] == [claim["claim_id"]]

    response = await _resolve(client, admin, held["id"], "apply", "late")
    assert response.status_code == 409
    assert "is paid now (payment EFT79)" in response.json()["detail"]
    assert (await _open_ones(client, admin))[0]["id"] == held["id"]  # still open: dismiss it
    assert (
        await _resolve(client, admin, held["id"], "dismiss", "paid by EFT79")
    ).status_code == 200


async def test_only_finance_of_that_payer_resolves(app: FastAPI, client: AsyncClient) -> None:
    admin, claim, _ = await claim_of_78(app, client)
    await post_edi(client, admin, denial(claim["claim_id"], "999.00"))
    (held,) = await _open_ones(client, admin)
    other = await create_key(app, "finance", payer_id="OTHER")
    assert (await _resolve(client, other, held["id"], "dismiss", "x")).status_code == 404
    provider = await create_key(app, "provider", provider_id="P-01")
    assert (await _resolve(client, provider, held["id"], "dismiss", "x")).status_code == 403
    assert (await _resolve(client, admin, 999999, "dismiss", "x")).status_code == 404
    bad = await _resolve(client, admin, held["id"], "pay", "x")
    assert bad.status_code == 422
    assert (await _resolve(client, admin, held["id"], "dismiss", "")).status_code == 422
    assert (await _open_ones(client, admin))[0]["status"] == "open"


async def test_a_line_without_ref_6r_is_held_as_a_line_ids_exception(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim, text = await claim_of_78(app, client)
    remit = simulate_835(text, control_number=704, created=WHEN, trace_number="EFT80")
    result = await post_edi(client, admin, _altered(remit, REF_6R=None))
    assert result["exceptions"] == [{"claim_id": claim["claim_id"], "failed_checks": ["line_ids"]}]
    assert result["unmatched"] == [] and result["claims_updated"] == 0
    (held,) = await _open_ones(client, admin)
    (check,) = held["failed_checks"]
    assert check["detail"] == f"{len(claim['lines'])} service line(s) without REF*6R"

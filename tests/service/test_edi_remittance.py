"""835 remittances are checked before anything is applied (docs/edi.md, "Remittance checks"):
a failing one is held as an exception naming the check; PLB amounts are recorded and shown;
``claims_updated`` counts claims whose state really changed."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from httpx import AsyncClient

from claims.inbound.simulate import simulate_835
from tests.service.edi_files import answering, join, outside, reseal, segments, sent
from tests.service.factories import (
    NPI_1,
    NPI_2,
    create_event,
    create_key,
    create_provider,
    create_staff,
    fileable_world,
)
from tests.service.remittances import OTHER_NPI, claim_of_78, denial, post_edi

WHEN = datetime(2026, 4, 10, 9, 30, tzinfo=UTC)


async def test_the_issues_835_is_held_as_an_exception_naming_every_failed_check(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim, _ = await claim_of_78(app, client)
    finance = await create_key(app, "finance", payer_id="VAYA")
    # CLP03 999.00 against a 78.00 claim, a line id of other claims, another provider's NPI
    result = await post_edi(
        client, finance, denial(claim["claim_id"], "999.00", "999.00", status="1")
    )
    assert result["claims_updated"] == 0
    assert result["exceptions"] == [
        {"claim_id": claim["claim_id"], "failed_checks": ["payer", "payee", "charge", "line_ids"]}
    ]
    after = (await client.get(f"/v1/claims/{claim['claim_id']}", headers=admin)).json()
    assert after["status"] == "generated" and after["paid_amount"] == "0.00"
    assert [h["status"] for h in after["history"]] == ["generated"]

    listed = (await client.get("/v1/remittance-exceptions", headers=finance)).json()["items"]
    (held,) = listed
    assert (held["claim_id"], held["charge"], held["paid"]) == (
        claim["claim_id"],
        "999.00",
        "999.00",
    )
    checks = {item["check"]: item for item in held["failed_checks"]}
    assert checks["charge"]["detail"] == "CLP03 999.00 against a billed charge of 78.00"
    assert "1234" in checks["line_ids"]["detail"]
    assert OTHER_NPI in checks["payee"]["detail"] and NPI_1 in checks["payee"]["detail"]
    assert checks["payer"]["message"].startswith("the 835's payer")


async def test_exceptions_are_seen_only_within_the_payer_scope(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim, _ = await claim_of_78(app, client)
    await post_edi(client, admin, denial(claim["claim_id"], "999.00"))
    other = await create_key(app, "finance", payer_id="OTHER")
    assert (await client.get("/v1/remittance-exceptions", headers=other)).json()["items"] == []
    provider = await create_key(app, "provider", provider_id="P-01")
    assert (await client.get("/v1/remittance-exceptions", headers=provider)).status_code == 403
    mine = (await client.get("/v1/remittance-exceptions", headers=admin)).json()["items"]
    assert len(mine) == 1


async def test_each_check_alone_holds_the_payment(app: FastAPI, client: AsyncClient) -> None:
    admin, claim, _ = await claim_of_78(app, client)
    line_id = claim["lines"][0]["line_id"]
    right = {"payer_id": "NCLMEMCO", "npi": NPI_1, "tax_id": "561234567", "line_id": line_id}
    cases = {
        "charge": denial(claim["claim_id"], "999.00", **right),
        "payer": denial(claim["claim_id"], "78.00", **{**right, "payer_id": "ANYPLAN"}),
        "payee": denial(claim["claim_id"], "78.00", **{**right, "npi": OTHER_NPI}),
        "payee ": denial(claim["claim_id"], "78.00", **{**right, "tax_id": "123456789"}),
        "line_ids": denial(claim["claim_id"], "78.00", **{**right, "line_id": "L999"}),
        "overpaid": denial(claim["claim_id"], "78.00", "100.00", status="1", **right),
    }
    for check, text in cases.items():
        result = await post_edi(client, admin, text)
        assert result["exceptions"][0]["failed_checks"] == [check.strip()], check
    after = (await client.get(f"/v1/claims/{claim['claim_id']}", headers=admin)).json()
    assert after["status"] == "generated"
    # every element right: the denial is applied
    result = await post_edi(client, admin, denial(claim["claim_id"], "78.00", **right))
    assert result["exceptions"] == [] and result["claim_ids"] == [claim["claim_id"]]
    after = (await client.get(f"/v1/claims/{claim['claim_id']}", headers=admin)).json()
    assert after["status"] == "denied"


async def test_plb_adjustments_are_recorded_against_the_provider_and_shown(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim, text = await claim_of_78(app, client)
    element, terminator, segs = segments(outside("835_hdi_provider_level_adjustment.835"))
    segs = answering(segs, element, sent(text))
    altered = [
        s.replace(
            f"REF{element}2U{element}ADDNL_PAYER_ID", f"REF{element}2U{element}NCLMEMCO"
        ).replace(f"PLB{element}PAYEE_ID1{element}", f"PLB{element}{NPI_1}{element}")
        for s in segs
    ]
    result = await post_edi(client, admin, join(element, terminator, altered))
    assert result["provider_adjustments"] == 6  # set 1: two PLB of two amounts; sets 2, 3: one
    unmatched = {item.get("provider_identifier") for item in result["unmatched"]}
    assert {"PAYEE_ID99", "PAYEE_ID2", "PAYEE_ID3"} <= unmatched
    page = (await client.get("/v1/provider-adjustments?provider_id=P-01", headers=admin)).json()
    got = [
        (i["reason_code"], i["reference"], i["amount"], i["payment_trace"]) for i in page["items"]
    ]
    assert got == [("WO", "3243079284", "298.18", "TRN1"), ("72", "3243079284", "-298.18", "TRN1")]
    assert all(i["payer_id"] == "VAYA" for i in page["items"])
    status = (await client.get("/v1/providers/P-01/payment-status", headers=admin)).json()
    shown = status["provider_adjustments"]
    assert shown["count"] == 2 and shown["amount"] == "0.00"
    assert [i["amount"] for i in shown["items"]] == ["298.18", "-298.18"]
    provider = await create_key(app, "provider", provider_id="P-01")
    own = (await client.get("/v1/provider-adjustments", headers=provider)).json()["items"]
    assert len(own) == 2


async def test_a_file_that_reverses_and_repays_a_paid_claim_updates_nothing(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim, text = await claim_of_78(app, client)
    remit = simulate_835(text, control_number=601, created=WHEN, trace_number="EFT9")
    first = await post_edi(client, admin, remit)
    assert first["claim_ids"] == [claim["claim_id"]] and first["exceptions"] == []
    before = (await client.get(f"/v1/claims/{claim['claim_id']}", headers=admin)).json()
    assert before["status"] == "paid"
    element, terminator, segs = segments(remit)
    again: list[str] = []
    for seg in segs:
        parts = seg.split(element)
        if parts[0] == "ISA":
            parts[13] = "000000602"
        if parts[0] == "IEA":
            parts[2] = "000000602"
        if parts[0] == "CLP":  # first a take-back of the same payment, then the payment again
            again.append(
                element.join([*parts[:2], "22", "-" + parts[3], "-" + parts[4], *parts[5:]])
            )
        again.append(element.join(parts))
    result = await post_edi(client, admin, join(element, terminator, reseal(again, element)))
    assert result["duplicate"] is False and result["exceptions"] == []
    assert result["claims_updated"] == 0 and result["claim_ids"] == []
    after = (await client.get(f"/v1/claims/{claim['claim_id']}", headers=admin)).json()
    assert (after["status"], after["paid_amount"]) == (before["status"], before["paid_amount"])


async def test_a_batch_of_two_providers_is_paid_in_one_835_per_payee(
    app: FastAPI, client: AsyncClient
) -> None:
    """The simulated payer sends one 835 transaction per payee (N1*PE), as payers do: a batch
    billing two providers is paid whole, and neither provider's claims become exceptions."""
    admin = await fileable_world(app, client)
    await create_provider(client, admin, "P-02", npi=NPI_2, tax_id="569876543")
    await create_staff(client, admin, "P-02", "S-08")
    await create_event(client, admin, "E-1", start_time="09:00", end_time="10:00")
    await create_event(
        client, admin, "E-2", provider_id="P-02", staff_id="S-08", service_date="2026-03-03"
    )
    batch = (
        await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    ).json()
    text = (await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)).text
    remittance = simulate_835(text, control_number=9, created=WHEN, trace_number="EFT-2")
    assert remittance.count("ST*835*") == 2 and remittance.count("N1*PE*") == 2
    answer = await post_edi(client, admin, remittance)
    assert answer["claims_updated"] == 2 and not answer.get("exceptions"), answer
    claims = (await client.get("/v1/claims", headers=admin)).json()["items"]
    assert sorted(c["provider_id"] for c in claims if c["status"] == "paid") == ["P-01", "P-02"]


async def test_a_second_payment_of_a_paid_claim_is_held_for_a_person(
    app: FastAPI, client: AsyncClient
) -> None:
    """claims.lifecycle: a payment lands only on a claim not yet paid or denied; the same
    payment in another interchange (no take-back first) is a claim_status exception."""
    admin, claim, text = await claim_of_78(app, client)
    remit = simulate_835(text, control_number=601, created=WHEN, trace_number="EFT9")
    assert (await post_edi(client, admin, remit))["exceptions"] == []
    before = (await client.get(f"/v1/claims/{claim['claim_id']}", headers=admin)).json()
    element, terminator, segs = segments(remit)
    renumbered = [
        element.join([*p[:13], "000000602", *p[14:]] if p[0] == "ISA" else
                     [p[0], p[1], "000000602"] if p[0] == "IEA" else p)
        for p in (seg.split(element) for seg in segs)
    ]  # fmt: skip
    result = await post_edi(client, admin, join(element, terminator, reseal(renumbered, element)))
    assert result["exceptions"] == [
        {"claim_id": claim["claim_id"], "failed_checks": ["claim_status"]}
    ]
    assert result["claims_updated"] == 0
    after = (await client.get(f"/v1/claims/{claim['claim_id']}", headers=admin)).json()
    assert (after["status"], after["paid_amount"]) == ("paid", before["paid_amount"])

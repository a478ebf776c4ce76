"""The exchange a clearinghouse can trust (docs/edi.md): numbering across payer profiles, TA1 and
999 matched by sender, receiver and control number, 277CA level rejections, a byte-order mark,
each built from a file written by someone else (tests/fixtures/inbound/SOURCES.md)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.service.edi_files import (
    answering,
    join,
    outside,
    replace_elements,
    segments,
    sent,
)
from tests.service.factories import (
    NPI_1,
    NPI_2,
    create_event,
    create_fee_schedule,
    create_key,
    create_member,
    create_payer,
    create_provider,
    create_staff,
    create_world,
)

EDI = {"Content-Type": "application/edi-x12"}


async def _post(client: AsyncClient, headers: dict[str, str], body: str | bytes) -> dict[str, Any]:
    content = body.encode() if isinstance(body, str) else body
    response = await client.post("/v1/edi/inbound", content=content, headers={**headers, **EDI})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _bill(client: AsyncClient, admin: dict[str, str], payer_id: str) -> tuple[dict, str]:
    response = await client.post("/v1/claim-batches", json={"payer_id": payer_id}, headers=admin)
    assert response.status_code == 201, response.text
    batch = response.json()
    text = (await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)).text
    return batch, text


async def _world(client: AsyncClient, admin: dict[str, str]) -> None:
    await create_world(client, admin)
    await create_payer(client, admin, timely_filing_days=3650)  # events of March stay billable


async def _one_batch(app: FastAPI, client: AsyncClient) -> tuple[dict[str, str], dict, str]:
    admin = await create_key(app, "admin")
    await _world(client, admin)
    await create_event(client, admin, "E-1")
    batch, text = await _bill(client, admin, "VAYA")
    return admin, batch, text


async def _claims(client: AsyncClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    items = (await client.get("/v1/claims", headers=headers)).json()["items"]
    return {c["claim_id"]: c for c in items}


# ---------------------------------------------------------------------------------------------
# 1. Identifiers across profiles


async def test_two_payers_on_two_profiles_billed_alternately_never_share_an_id(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await _world(client, admin)  # VAYA on the default profile
    await create_payer(
        client,
        admin,
        "TRIL",
        name="Trillium Health Resources",
        edi_profile="mco_medicaid_prod",
        timely_filing_days=3650,
    )
    await create_fee_schedule(client, admin, "TRIL")
    await create_member(client, admin, "M-2001", payer_id="TRIL", subscriber_id="900765432")
    batches, senders = [], set()
    for round_, day in enumerate(("2026-03-02", "2026-03-03", "2026-03-04")):
        for payer, member in (("VAYA", "M-1001"), ("TRIL", "M-2001")):
            await create_event(
                client, admin, f"E-{payer}-{round_}", member_id=member, service_date=day
            )
            batch, text = await _bill(client, admin, payer)
            batches.append(batch["batch_id"])
            senders.add(sent(text).sender)
    assert senders == {"IPSBILL", "561234567"}  # two ISA senders, each counting from 1
    assert len(set(batches)) == 6
    claims = await _claims(client, admin)
    assert len(claims) == 6
    assert all(len(claim_id) <= 20 for claim_id in claims)
    assert {c["payer_id"] for c in claims.values()} == {"VAYA", "TRIL"}


# ---------------------------------------------------------------------------------------------
# 3. TA1 and 999 matched by sender, receiver and control number


def _ta1_999(text: str, ack_code: str = "A", from_us: bool = True) -> str:
    """imsweb's TA1-bearing 999 answering our interchange (TA101), group (AK102) and set (AK202)."""
    ours = sent(text)
    element, terminator, segs = segments(outside("999_imsweb_with_ta1.999"))
    if from_us:
        segs = answering(segs, element, ours)
    altered = []
    for seg in segs:
        if seg.startswith("TA1"):
            seg = replace_elements(seg, element, e1=ours.isa13, e4=ack_code)
        elif seg.startswith("AK1"):
            seg = replace_elements(seg, element, e2=ours.gs06)
        elif seg.startswith("AK2"):
            seg = replace_elements(seg, element, e2=ours.st02)
        altered.append(seg)
    return join(element, terminator, altered)


async def test_a_999_with_a_ta1_after_the_isa_is_accepted_recorded_and_applied(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, batch, text = await _one_batch(app, client)
    result = await _post(client, admin, _ta1_999(text))
    assert result["kind"] == "999" and result["unmatched"] == []
    assert result["batch_ids"] == [batch["batch_id"]]
    assert result["claims_updated"] == 1  # the 999 rejects the set (IK5*R)
    claim = next(iter((await _claims(client, admin)).values()))
    assert claim["status"] == "rejected"
    stored = (await client.get(f"/v1/claim-batches/{batch['batch_id']}", headers=admin)).json()
    assert stored["status"] == "rejected"


async def test_a_999_from_another_sender_with_our_gs06_changes_nothing(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, batch, text = await _one_batch(app, client)
    result = await _post(client, admin, _ta1_999(text, from_us=False))
    assert result["claims_updated"] == 0 and result["batch_ids"] == []
    reasons = {item["reason"] for item in result["unmatched"]}
    assert reasons == {
        "no batch sent to this sender with this GS06",
        "no batch sent to this sender with this ISA13",
    }
    assert {c["status"] for c in (await _claims(client, admin)).values()} == {"generated"}


async def test_an_interchange_rejected_by_ta1_rejects_its_batch(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, batch, text = await _one_batch(app, client)
    element, terminator, segs = segments(_ta1_999(text, ack_code="R"))
    only_ta1 = [s for s in segs if s.startswith(("ISA", "TA1"))]
    only_ta1.append(replace_elements(segs[-1], element, e1="0"))  # IEA01: no group
    result = await _post(client, admin, join(element, terminator, only_ta1))
    assert result["kind"] == "TA1" and result["batch_ids"] == [batch["batch_id"]]
    assert result["claims_updated"] == 1
    stored = (await client.get(f"/v1/claim-batches/{batch['batch_id']}", headers=admin)).json()
    assert stored["status"] == "rejected"
    claim = next(iter((await _claims(client, admin)).values()))
    assert claim["status"] == "rejected"
    assert "TA1" in claim["history"][-1]["detail"]


# ---------------------------------------------------------------------------------------------
# 4. A byte-order mark


async def test_a_999_starting_with_a_byte_order_mark_is_accepted(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, batch, text = await _one_batch(app, client)
    ours = sent(text)
    raw = outside("999_stupidedi_x231a1_three_837s.999")
    assert raw.startswith("\ufeff")
    element, terminator, segs = segments(raw)
    segs = answering(segs, element, ours)
    segs = [replace_elements(s, element, e2=ours.gs06) if s.startswith("AK1") else s for s in segs]
    # stupidedi's second set (0002) is the rejected one: it now names our set
    segs = [
        s.replace(f"AK2{element}837{element}0002", f"AK2{element}837{element}{ours.st02}")
        for s in segs
    ]
    body = join(element, terminator, segs, bom=True).encode("utf-8")
    assert body.startswith(b"\xef\xbb\xbf")
    result = await _post(client, admin, body)
    assert result["kind"] == "999" and result["batch_ids"] == [batch["batch_id"]]
    claim = next(iter((await _claims(client, admin)).values()))
    assert claim["status"] == "rejected"


# ---------------------------------------------------------------------------------------------
# 3. 277CA rejections above the claim level


async def test_a_277ca_rejecting_at_receiver_level_rejects_every_claim_of_the_batch(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await _world(client, admin)
    await create_member(client, admin, "M-1002", subscriber_id="900123457")
    await create_event(client, admin, "E-1")
    await create_event(client, admin, "E-2", member_id="M-1002")
    batch, text = await _bill(client, admin, "VAYA")
    ours = sent(text)
    element, terminator, segs = segments(outside("277ca_hdi_receiver_rejected.277"))
    segs = answering(segs, element, ours)
    # 2200B TRN02 echoes the BHT03 of the 837P it answers
    segs = [
        replace_elements(s, element, e2=ours.bht03) if s.startswith(f"TRN{element}2") else s
        for s in segs
    ]
    result = await _post(client, admin, join(element, terminator, segs))
    assert result["kind"] == "277CA" and result["batch_ids"] == [batch["batch_id"]]
    assert result["claims_updated"] == 2 and result["unmatched"] == []
    claims = await _claims(client, admin)
    assert {c["status"] for c in claims.values()} == {"rejected"}
    assert all("receiver-level" in c["history"][-1]["detail"] for c in claims.values())


async def test_a_receiver_level_rejection_naming_no_batch_of_ours_is_reported(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, batch, text = await _one_batch(app, client)
    element, terminator, segs = segments(outside("277ca_hdi_receiver_rejected.277"))
    segs = answering(segs, element, sent(text))
    result = await _post(client, admin, join(element, terminator, segs))
    assert result["claims_updated"] == 0
    assert result["unmatched"][0]["reason"] == "receiver-level rejection names no batch of ours"


# ---------------------------------------------------------------------------------------------
# 5. NM1*PR and NM1*40 from the payer record


def _nm1(text: str, entity: str) -> list[str]:
    element, terminator = text[3], text[105]
    found = [
        s.strip()
        for s in text.split(terminator)
        if s.strip().startswith(f"NM1{element}{entity}{element}")
    ]
    return found[0].split(element)


async def test_the_payer_record_names_the_837p_payer_and_receiver(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await _world(client, admin)
    await create_payer(
        client,
        admin,
        timely_filing_days=3650,
        edi_payer_id="VAYA01",
        edi_receiver_id="VAYAEDI",
        edi_receiver_name="Vaya EDI Gateway",
    )
    await create_event(client, admin, "E-1")
    _, text = await _bill(client, admin, "VAYA")
    payer, receiver = _nm1(text, "PR"), _nm1(text, "40")
    assert (payer[3], payer[9]) == ("VAYA HEALTH", "VAYA01")
    assert (receiver[3], receiver[9]) == ("VAYA EDI GATEWAY", "VAYAEDI")
    stored = (await client.get("/v1/payers/VAYA", headers=admin)).json()
    assert stored["edi_payer_id"] == "VAYA01"


async def test_without_edi_fields_the_profile_names_them_but_the_payer_name_is_its_own(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, _, text = await _one_batch(app, client)
    payer, receiver = _nm1(text, "PR"), _nm1(text, "40")
    assert (payer[3], payer[9]) == ("VAYA HEALTH", "NCLMEMCO")
    assert (receiver[3], receiver[9]) == ("NC LME-MCO", "NCLMEMCO")


async def test_an_edi_id_holding_a_separator_is_refused(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    body = {"name": "Vaya Health", "kind": "lme_mco", "edi_payer_id": "VAYA*01"}
    response = await client.put("/v1/payers/VAYA", json=body, headers=admin)
    assert response.status_code == 422


async def test_a_provider_level_rejection_rejects_only_that_providers_claims(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    await _world(client, admin)
    await create_provider(client, admin, "P-02", npi=NPI_2)
    await create_staff(client, admin, "P-02")
    await create_event(client, admin, "E-1")
    await create_event(client, admin, "E-2", provider_id="P-02", service_date="2026-03-05")
    batch, text = await _bill(client, admin, "VAYA")
    ours = sent(text)
    element, terminator, segs = segments(outside("277ca_hdi_all_fields.277"))
    segs = answering(segs, element, ours)
    altered = []
    for seg in segs:
        if seg.startswith(f"TRN{element}2{element}200203207890"):  # 2200B: our BHT03
            seg = replace_elements(seg, element, e2=ours.bht03)
        # HDI's rejected billing provider (2000C, no claim below it) becomes P-01
        altered.append(seg.replace("1222334499", NPI_1))
    result = await _post(client, admin, join(element, terminator, altered))
    assert result["batch_ids"] == [batch["batch_id"]]
    claims = {c["provider_id"]: c for c in (await _claims(client, admin)).values()}
    assert claims["P-01"]["status"] == "rejected"
    assert "provider-level" in claims["P-01"]["history"][-1]["detail"]
    assert claims["P-02"]["status"] == "generated"
    assert result["claim_ids"] == [claims["P-01"]["claim_id"]]
    assert {u["claim_id"] for u in result["unmatched"] if "claim_id" in u} >= {"JONES44444"}


# ---------------------------------------------------------------------------------------------
# Reading off the event loop (docs/edi.md, "Reading time")


def _spy(monkeypatch: Any, module: Any, name: str) -> list[int]:
    """Records the thread each call of ``module.name`` runs in; the real function does the work."""
    real, threads = getattr(module, name), []

    def recorded(*args: Any) -> Any:
        threads.append(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(module, name, recorded)
    return threads


async def test_an_inbound_file_is_read_beside_the_event_loop_not_on_it(
    app: FastAPI, client: AsyncClient, monkeypatch: Any
) -> None:
    """Reading is pure CPU (pyx12's advice on a small file reloads its maps): on the loop it
    held every other request of the worker (python -m bench.inbound: a 4 KB 835, 148 ms; now
    16 ms; docs/edi.md, "Reading time")."""
    from service.edi import service as edi_service

    admin, batch, text = await _one_batch(app, client)
    threads = _spy(monkeypatch, edi_service, "parse_inbound")
    result = await _post(client, admin, _ta1_999(text))
    assert result["batch_ids"] == [batch["batch_id"]]  # read, and applied as before
    assert threads and threading.get_ident() not in threads


async def test_a_file_left_to_a_job_has_its_envelope_checked_beside_the_loop(
    app: FastAPI, client: AsyncClient, monkeypatch: Any
) -> None:
    from service.jobs import inbound as jobs_inbound

    admin, _, text = await _one_batch(app, client)
    threads = _spy(monkeypatch, jobs_inbound, "check_envelope")
    headers = {**admin, **EDI, "Prefer": "respond-async"}
    answer = await client.post("/v1/edi/inbound", content=_ta1_999(text).encode(), headers=headers)
    assert answer.status_code == 202, answer.text
    assert threads and threading.get_ident() not in threads

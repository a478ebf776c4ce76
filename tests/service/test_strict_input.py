"""Input the service refuses alike on SQLite and PostgreSQL, each with its own clear problem:
unstorable text (NUL, lone surrogates), dates that are not YYYY-MM-DD strings, services dated
after the payer's today, an event_id twice in one batch, unknown query parameters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from claims.inbound.simulate import simulate_999
from tests.service.factories import (
    create_event,
    create_key,
    create_payer,
    create_world,
    event_body,
    put_ok,
)

JSON = {"Content-Type": "application/json"}


def _locs(response: Any) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["errors"]]


async def _admin_world(app: FastAPI, client: AsyncClient) -> dict[str, str]:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    return admin


async def test_nul_in_a_body_field_is_422_naming_it_and_stores_nothing(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    body = {"name": "Vaya\x00Health", "kind": "lme_mco", "edi_profile": "default"}
    response = await client.put("/v1/payers/VAYA", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert ["name"] in _locs(response)
    assert (await client.get("/v1/payers/VAYA", headers=admin)).status_code == 404


async def test_a_lone_surrogate_in_a_body_is_422_naming_the_field(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _admin_world(app, client)
    raw = json.dumps(
        {"payer_id": "VAYA", "first_name": "A", "last_name": "B", "birth_date": "1990-01-01",
         "sex": "U", "address": {"line1": "x", "city": "Boone", "state": "NC", "zip": "28607"}}
    ).replace('"B"', '"B\\ud800"')  # fmt: skip
    response = await client.put("/v1/members/M-2", content=raw, headers={**admin, **JSON})
    assert response.status_code == 422, response.text
    assert ["last_name"] in _locs(response)
    nested = raw.replace('"B\\ud800"', '"B"').replace('"Boone"', '"Bo\\udfffne"')
    response = await client.put("/v1/members/M-2", content=nested, headers={**admin, **JSON})
    assert response.status_code == 422 and ["address"] in _locs(response)


async def test_nul_in_query_values_and_path_ids_is_422(app: FastAPI, client: AsyncClient) -> None:
    admin = await _admin_world(app, client)
    response = await client.get("/v1/service-events?member_id=a%00b", headers=admin)
    assert response.status_code == 422, response.text
    assert ["query", "member_id"] in _locs(response)
    response = await client.get("/v1/claims?provider_id=%00", headers=admin)
    assert response.status_code == 422
    for path in ("/v1/service-events/a%00b", "/v1/members/M%00", "/v1/claims/C%00"):
        response = await client.get(path, headers=admin)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["loc"][0] == "path"


async def test_nul_in_a_payment_reference_and_an_edi_body_is_422(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _admin_world(app, client)
    payment = {"amount": "1.00", "paid_on": "2026-04-01", "reference": "EFT\x0088"}
    response = await client.post("/v1/invoices/INV-1/payments", json=payment, headers=admin)
    assert response.status_code == 422 and ["reference"] in _locs(response)
    await create_payer(client, admin, timely_filing_days=3650)
    await create_event(client, admin, "E-1")
    batch = await client.post(
        "/v1/claim-batches", json={"payer_id": "VAYA", "through_date": "2026-03-31"}, headers=admin
    )
    assert batch.status_code == 201, batch.text
    text = await client.get(f"/v1/claim-batches/{batch.json()['batch_id']}/837p", headers=admin)
    ack = simulate_999(text.text, control_number=5, created=datetime(2026, 4, 1, tzinfo=UTC))
    poisoned = ack.replace("AK1*", "AK1*\x00", 1).encode()
    response = await client.post(
        "/v1/edi/inbound",
        content=poisoned,
        headers={**admin, "Content-Type": "application/edi-x12"},
    )
    assert response.status_code == 422, response.text
    assert ["body"] in _locs(response)


async def test_a_bad_event_in_a_batch_is_rejected_alone(app: FastAPI, client: AsyncClient) -> None:
    admin = await _admin_world(app, client)
    events = [
        {"event_id": "E-1", **event_body()},
        {"event_id": "E-2", **event_body(note_id="N\x0055", start_time="10:00", end_time="10:30")},
        {"event_id": "E-3", **event_body(staff_id="S\ud800", start_time="11:00", end_time="11:30")},
        {"event_id": "E-4", **event_body(start_time="12:00", end_time="12:30")},
    ]
    raw = json.dumps({"events": events})  # ensure_ascii: the surrogate travels as \ud800
    response = await client.post("/v1/service-events:batch", content=raw, headers={**admin, **JSON})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["created", "rejected", "rejected", "created"]
    assert ["note_id"] in [e["loc"] for e in results[1]["problem"]["errors"]]
    assert ["staff_id"] in [e["loc"] for e in results[2]["problem"]["errors"]]
    assert (await client.get("/v1/service-events/E-4", headers=admin)).status_code == 200
    assert (await client.get("/v1/service-events/E-2", headers=admin)).status_code == 404


async def test_dates_are_only_yyyy_mm_dd_strings(app: FastAPI, client: AsyncClient) -> None:
    admin = await _admin_world(app, client)
    for value in (1792800000, 0, "1792800000", "2026-3-2", "2026-03-02T00:00:00", 20260302.0):
        response = await client.put(
            "/v1/service-events/E-9", json=event_body(service_date=value), headers=admin
        )
        assert response.status_code == 422, (value, response.text)
        assert ["service_date"] in _locs(response)
    member = {"payer_id": "VAYA", "first_name": "A", "last_name": "B", "birth_date": 0, "sex": "U"}
    response = await client.put("/v1/members/M-3", json=member, headers=admin)
    assert response.status_code == 422 and ["birth_date"] in _locs(response)
    periods = {**member, "birth_date": "1990-01-01", "act_periods": [{"start_date": 19000}]}
    response = await client.put("/v1/members/M-3", json=periods, headers=admin)
    assert response.status_code == 422
    assert ["act_periods", 0, "start_date"] in _locs(response)
    review = {"score": 100, "final_report_date": 1700000000}
    response = await client.post("/v1/providers/P-01/fidelity-reviews", json=review, headers=admin)
    assert response.status_code == 422 and ["final_report_date"] in _locs(response)
    response = await client.get("/v1/service-events?from=1792800000", headers=admin)
    assert response.status_code == 422 and ["query", "from"] in _locs(response)
    assert (await client.get("/v1/service-events/E-9", headers=admin)).status_code == 404


async def test_a_service_after_the_payers_today_is_refused(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _admin_world(app, client)
    # 02:00 UTC on March 3 is still March 2 in New York (the default profile's time zone).
    app.state.clock = lambda: datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    response = await client.put(
        "/v1/service-events/E-F", json=event_body(service_date="2026-03-03"), headers=admin
    )
    assert response.status_code == 422, response.text
    assert "future" in response.json()["detail"]
    assert ["service_date"] in _locs(response)
    events = [
        {"event_id": "E-T", **event_body(service_date="2026-03-02")},
        {
            "event_id": "E-F",
            **event_body(service_date="2026-03-03", start_time="10:00", end_time="10:30"),
        },
    ]
    response = await client.post("/v1/service-events:batch", json={"events": events}, headers=admin)
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["created", "rejected"]
    assert "after today (2026-03-02" in results[1]["problem"]["detail"]
    assert (await client.get("/v1/service-events/E-F", headers=admin)).status_code == 404


async def test_a_repeated_event_id_in_one_batch_rejects_the_later_copy(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _admin_world(app, client)
    events = [
        {"event_id": "E-1", **event_body()},
        {"event_id": "E-2", **event_body(start_time="11:00", end_time="11:30")},
        {"event_id": "E-1", **event_body(start_time="10:00", end_time="10:45")},
    ]
    response = await client.post("/v1/service-events:batch", json={"events": events}, headers=admin)
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["created", "created", "rejected"]
    assert results[2]["status"] == 422
    assert "repeats item 0" in results[2]["problem"]["detail"]
    stored = (await client.get("/v1/service-events/E-1", headers=admin)).json()
    assert stored["end_time"] == "09:50" and stored["version"] == 1


async def test_unknown_query_parameters_are_400_naming_them(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _admin_world(app, client)
    for path in (
        "/v1/claims?batch_id=B1",
        "/v1/service-events?member=M-1001&limit=5",
        "/v1/payers/VAYA?verbose=1",
        "/healthz?x=1",
    ):
        response = await client.get(path, headers=admin)
        assert response.status_code == 400, (path, response.text)
        name = path.split("?")[1].split("=")[0]
        assert name in response.json()["detail"]
    response = await client.put(
        "/v1/payers/VAYA?dry_run=1",
        json={"name": "Changed", "kind": "lme_mco", "edi_profile": "default"},
        headers=admin,
    )
    assert response.status_code == 400
    assert (await client.get("/v1/payers/VAYA", headers=admin)).json()["name"] == "Vaya Health"
    ok = await client.get(
        "/v1/service-events?member_id=M-1001&limit=5&from=2026-01-01", headers=admin
    )
    assert ok.status_code == 200


async def test_payer_writes_still_work_with_a_payer_key(app: FastAPI, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    await create_payer(client, admin)
    mine = await create_key(app, "integration", payer_id="VAYA")
    body = {"name": "Vaya", "kind": "lme_mco", "edi_profile": "default"}
    await put_ok(client, "/v1/payers/VAYA", body, mine)


async def test_a_row_id_past_the_databases_integer_range_is_422_not_a_server_error(
    app: FastAPI, client: AsyncClient
) -> None:
    """Found by schemathesis on PostgreSQL: GET /v1/edi/inbound/304250263527210 failed in the
    database (integer out of range) and answered 500; SQLite answered 404."""
    from tests.service.console_session import add_user, session_csrf, sign_in

    admin = await create_key(app, "admin")
    too_big, biggest = 2**31, 2**31 - 1
    assert (await client.get(f"/v1/edi/inbound/{too_big}", headers=admin)).status_code == 422
    assert (await client.get(f"/v1/edi/inbound/{biggest}", headers=admin)).status_code == 404
    resolution = {"action": "dismiss", "note": "not ours"}
    path = f"/v1/remittance-exceptions/{too_big}/resolution"
    assert (await client.post(path, json=resolution, headers=admin)).status_code == 422
    await add_user(app, "fin", "finance")
    await sign_in(client, "fin")
    form = {"csrf_token": await session_csrf(client), **resolution}
    decided = await client.post(f"/console/queues/remittances/{too_big}", data=form)
    assert decided.status_code == 422, decided.text

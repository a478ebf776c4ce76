"""Issue 13 through the API, on SQLite and PostgreSQL: who bills, where, real minutes, overlapping
authorizations, the re-evaluation field, milestones that wait, and an invoice a payer can pay."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from pypdf import PdfReader

from tests.service.factories import (
    create_event,
    create_key,
    create_payer,
    create_staff,
    create_world,
    put_ok,
)
from tests.service.jobs_run import run_jobs


async def _world(app: FastAPI, client: AsyncClient) -> dict[str, str]:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    return admin


def _codes(event: dict[str, Any]) -> dict[str, int]:
    return {r["code"]: r["minutes"] for r in event["adjudication"]["reasons"]}


async def test_pa_and_facility_events_are_excluded_and_minutes_are_real(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_staff(client, admin, staff_id="S-PA", role="PA")
    pa = await create_event(client, admin, "E-PA", staff_id="S-PA")
    assert _codes(pa) == {"staff_role_not_billable": 50}
    hospital = await create_event(client, admin, "E-H", place_of_service="21",
                                  service_date="2026-03-03")  # fmt: skip
    assert _codes(hospital) == {"facility_setting": 50}
    spring = await create_event(client, admin, "E-DST", service_date="2026-03-08",
                                start_time="01:30", end_time="03:30")  # fmt: skip
    assert spring["adjudication"]["minutes"] == 60


async def test_a_line_goes_on_drawing_from_the_next_authorization(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    for aid, end, units in (("A-LATE", "2026-06-30", 3), ("A-SOON", "2026-03-31", 2)):
        await put_ok(client, f"/v1/authorizations/{aid}", {
            "member_id": "M-1001", "provider_id": "P-01", "payer_id": "VAYA",
            "start_date": "2026-03-01", "end_date": end, "units": units}, admin)  # fmt: skip
    await create_event(client, admin, "E-1", start_time="09:00", end_time="10:00")
    await create_event(client, admin, "E-2", service_date="2026-03-03", start_time="09:00",
                       end_time="10:00")  # fmt: skip
    items = (await client.get("/v1/members/M-1001/units", headers=admin)).json()["items"]
    by_day = {u["service_date"]: u for u in items}
    first, second = by_day["2026-03-02"], by_day["2026-03-03"]
    assert (first["units"], first["held_units"], first["status"]) == (4, 0, "billable")
    # A-SOON gave 2 and A-LATE 2 on the first day: A-LATE has 1 left for the second.
    assert (second["units"], second["held_units"], second["hold_reason"]) == (
        1, 3, "authorization_exhausted",
    )  # fmt: skip


async def test_a_requested_reevaluation_defers_a_low_score(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_event(client, admin, "E-1", service_date="2026-03-10")
    path = "/v1/providers/P-01/fidelity-reviews"
    late = {
        "score": 70,
        "final_report_date": "2026-03-01",
        "reevaluation_requested_on": "2026-09-01",
    }
    refused = await client.post(path, json=late, headers=admin)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    low = {"score": 70, "final_report_date": "2026-03-01"}
    assert (await client.post(path, json=low, headers=admin)).status_code == 201
    assert await run_jobs(app) == 1
    event = (await client.get("/v1/service-events/E-1", headers=admin)).json()
    assert _codes(event) == {"fidelity_below_minimum": 50}
    asked = {**low, "reevaluation_requested_on": "2026-03-20"}
    stored = await client.post(path, json=asked, headers=admin)
    assert stored.json()["reevaluation_requested_on"] == "2026-03-20"
    assert await run_jobs(app) == 1
    event = (await client.get("/v1/service-events/E-1", headers=admin)).json()
    assert event["adjudication"]["status"] != "excluded"


async def _recovered_job(client: AsyncClient, admin: dict[str, str]) -> None:
    start, vr = date(2026, 3, 4), date(2026, 3, 18)
    evidence = [("J-1", "job_start", start, {"employer": "Acme", "position": "Clerk",
                                             "hours_per_week": "20", "hourly_wage": "15.00"}),
                ("VR-1", "vocational_recovery_approved", vr, {})]  # fmt: skip
    for eid, kind, day, fields in evidence:
        await put_ok(client, f"/v1/milestone-evidence/{eid}", {
            "member_id": "M-1001", "provider_id": "P-01", "kind": kind,
            "date": day.isoformat(), **fields}, admin)  # fmt: skip
    for week in range(3):
        await create_event(
            client,
            admin,
            f"E-W{week}",
            activity="job_support",
            service_date=(start + timedelta(days=7 * week)).isoformat(),
        )


async def test_an_eipd_milestone_waits_for_its_authorization_then_invoices(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await create_payer(client, admin, "DVR", name="NC DVR", kind="eipd")
    await _recovered_job(client, admin)
    status = (await client.get("/v1/members/M-1001/milestones", headers=admin)).json()
    four = next(e for e in status["earned"] if e["milestone"] == "4")
    assert four["status"] == "earned"
    assert four["waiting"] == ["no EIPD authorization for milestone 4 covering 2026-03-18"]
    progress = next(p for p in status["progress"] if p["milestone"] == "4")
    assert "no EIPD authorization for milestone 4" in progress["missing"][0]
    body = {"payer_id": "DVR", "provider_id": "P-01", "through_date": "2026-12-31"}
    invoice = (await client.post("/v1/invoices", json=body, headers=admin)).json()
    assert "4" not in [line["milestone"] for line in invoice.get("lines", [])]
    await put_ok(client, "/v1/eipd-authorizations/EA-4", {
        "member_id": "M-1001", "provider_id": "P-01", "milestone": "4",
        "start_date": "2026-03-01"}, admin)  # fmt: skip
    later = (await client.post("/v1/invoices", json=body, headers=admin)).json()
    assert [(x["milestone"], x["eipd_authorization_id"]) for x in later["lines"]
            if x["milestone"] == "4"] == [("4", "EA-4")]  # fmt: skip
    pdf = await client.get(f"/v1/invoices/{later['invoice_id']}/invoice.pdf", headers=admin)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    due = date.fromisoformat(later["invoice_date"]) + timedelta(days=30)
    assert "Due date" in text and due.isoformat() in text
    assert "1 PAYER WAY" in text and "RALEIGH, NC 27699-0001" in text
    assert "$4,240.00" in text
    assert "Status" not in text and "sent" not in text.split()


async def test_a_low_fidelity_review_keeps_milestones_off_the_invoice(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    await _recovered_job(client, admin)
    review = {"score": 60, "final_report_date": "2026-03-01"}
    assert (await client.post("/v1/providers/P-01/fidelity-reviews", json=review,
                              headers=admin)).status_code == 201  # fmt: skip
    status = (await client.get("/v1/members/M-1001/milestones", headers=admin)).json()
    four = next(e for e in status["earned"] if e["milestone"] == "4")
    assert any("fidelity review" in why and "below 74" in why for why in four["waiting"])


async def _evidence(
    client: AsyncClient, admin: dict[str, str], eid: str, kind: str, day: date, **fields: Any
) -> None:
    await put_ok(client, f"/v1/milestone-evidence/{eid}", {
        "member_id": "M-1001", "provider_id": "P-01", "kind": kind, "date": day.isoformat(),
        **fields}, admin)  # fmt: skip


async def test_dates_weeks_and_the_contact_log_through_the_api(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await _world(app, client)
    sunday, vr = date(2026, 3, 1), date(2026, 3, 14)
    await _evidence(client, admin, "J-1", "job_start", sunday, employer="Acme", position="Clerk",
                    hours_per_week="20", hourly_wage="15.00")  # fmt: skip
    await _evidence(client, admin, "VR-1", "vocational_recovery_approved", vr)
    # Weeks from the Sunday start: Mar 1-7 and Mar 8-14, one contact each, none on the Sunday.
    # Then one contact in 5-A's window (VR+1..VR+30) and two in 5-B's (VR+31..VR+60).
    for n, offset in enumerate((3, 10, 20, 50, 60)):
        await create_event(
            client,
            admin,
            f"E-{n}",
            activity="job_support",
            service_date=(sunday + timedelta(days=offset)).isoformat(),
        )
    # The employer contact log: 12 entries, two of them one employer on one day; a service
    # event with an employer does not add to the log.
    for n in range(12):
        day = date(2026, 1, 5) + timedelta(days=min(n, 10))
        await _evidence(client, admin, f"L-{n}", "employer_contact", day, employer="Beta",
                        contact_name="HR", face_to_face=True)  # fmt: skip
    await create_event(client, admin, "E-EMP", activity="employer_contact",
                       service_date="2026-01-30")  # fmt: skip
    status = (await client.get("/v1/members/M-1001/milestones", headers=admin)).json()
    earned = {(e["milestone"], e["earned_on"]) for e in status["earned"]}
    progress = {p["milestone"]: p["missing"] for p in status["progress"]}
    assert ("4", "2026-03-14") in earned
    assert ("5-B", (vr + timedelta(days=60)).isoformat()) in earned  # no 5-A needed
    assert not any(m == "5-A" for m, _ in earned)
    # 11 distinct (employer, day) entries: no 3-B by count on 2026-01-15; the job start's
    # shortcut earns it instead, and the count starts again.
    assert [day for m, day in earned if m == "3-B"] == ["2026-03-01"]
    assert any("employer contact log: 0 of 12" in why for why in progress["3-B"])

"""Timely filing as a claim batch applies it (docs/billing-rules.md 1.2): the core's cut-off,
turned into one query, on both databases. The date exactly ``timely_filing_days`` old is still
billed; the day before it is excluded, and the payer's own days win over its profile's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from tests.service.factories import create_event, create_key, create_payer, create_world


def _units_by_date(items: list[dict[str, Any]]) -> dict[str, tuple[str, str | None]]:
    return {u["service_date"]: (u["status"], u["hold_reason"]) for u in items}


@pytest.mark.parametrize(("payer_days", "days"), [(30, 30), (None, 90)])
async def test_the_cutoff_day_is_billed_and_the_day_before_it_expires(
    app: FastAPI, client: AsyncClient, payer_days: int | None, days: int
) -> None:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    await create_payer(client, admin, timely_filing_days=payer_days)  # None: the profile's 90
    today = datetime.now(UTC).date()
    in_time, late = today - timedelta(days=days), today - timedelta(days=days + 1)
    await create_event(client, admin, "E-1", service_date=in_time.isoformat())
    await create_event(client, admin, "E-2", service_date=late.isoformat())
    batch = await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    assert batch.status_code == 201, batch.text
    assert batch.json()["line_count"] == 1
    units = (await client.get("/v1/members/M-1001/units", headers=admin)).json()["items"]
    assert _units_by_date(units) == {
        in_time.isoformat(): ("claimed", None),
        late.isoformat(): ("excluded", "timely_filing_expired"),
    }
    expired = next(u for u in units if u["service_date"] == late.isoformat())
    assert (expired["units"], expired["charge"]) == (3, "0.00")  # units kept for the record
    event = (await client.get("/v1/service-events/E-2", headers=admin)).json()["adjudication"]
    assert (event["status"], event["billable_minutes"]) == ("excluded", 0)

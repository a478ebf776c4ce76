"""The gate before the body (key first, then a per-route size limit counted as bytes arrive) and
the audit trail that records every answer at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from service.app import create_app
from service.config import Settings
from service.migrate import upgrade
from service.models import AuditEntry
from tests.service.factories import create_event, create_key, create_world, fileable_world, put_ok

CHUNK = 64 * 1024


class Wire:
    """A client at the ASGI level: its body arrives in chunks, as many as the server reads."""

    def __init__(self, chunks: int | None) -> None:
        self.chunks, self.read = chunks, 0

    async def receive(self) -> dict[str, Any]:
        self.read += 1
        more = self.chunks is None or self.read < self.chunks
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": more}


async def _call(
    app: FastAPI, path: str, wire: Wire, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("ipsbill.test", 80),
    }
    await app(scope, wire.receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body)


def _bearer(headers: dict[str, str]) -> dict[str, str]:
    return {"authorization": headers["Authorization"], "content-type": "application/json"}


async def test_no_key_is_401_before_a_byte_of_the_body_is_read(app: FastAPI) -> None:
    for headers in ({}, {"authorization": "Bearer ipsb_unknown"}, {"authorization": "Basic x"}):
        wire = Wire(chunks=None)  # an endless body: reading it would never end
        status, body = await _call(app, "/v1/service-events:batch", wire, headers)
        assert (status, wire.read) == (401, 0)
        assert body["status"] == 401


async def test_a_body_past_the_limit_is_413_however_its_length_is_declared(app: FastAPI) -> None:
    key = _bearer(await create_key(app, "admin"))
    limit = app.state.settings.max_json_bytes
    for declared in ({}, {"content-length": "100"}):  # absent, and a lie
        wire = Wire(chunks=None)
        status, body = await _call(app, "/v1/service-events:batch", wire, {**key, **declared})
        assert status == 413 and body["title"] == "Payload too large"
        assert wire.read == limit // CHUNK + 1  # stopped at the first chunk past the limit
    wire = Wire(chunks=None)
    status, _ = await _call(app, "/v1/payers", wire, {**key, "content-length": str(limit + 1)})
    assert (status, wire.read) == (413, 0)  # declared too large: refused unread


async def test_edi_uploads_take_more_than_json_routes(app: FastAPI) -> None:
    key = {**_bearer(await create_key(app, "admin")), "content-type": "application/edi-x12"}
    json_limit = app.state.settings.max_json_bytes
    wire = Wire(chunks=json_limit // CHUNK + 8)  # past the JSON limit, under the EDI one
    status, body = await _call(app, "/v1/edi/inbound", wire, key)
    assert status not in (413, 500) and body["status"] == status
    declared = {**key, "content-length": str(app.state.settings.max_edi_bytes + 1)}
    status, _ = await _call(app, "/v1/edi/inbound", Wire(chunks=None), declared)
    assert status == 413


async def test_the_largest_legitimate_batch_fits_the_json_limit(
    app: FastAPI, client: AsyncClient
) -> None:
    """1,000 events, every id at its 64-character maximum, indented: the limit is sized from
    this body (docs/access.md), so it must go through whole."""
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    long = {"member": "M" * 64, "provider": "P" * 64, "staff": "S" * 64}
    await put_ok(client, f"/v1/providers/{long['provider']}", _provider(), admin)
    await put_ok(
        client,
        f"/v1/providers/{long['provider']}/staff/{long['staff']}",
        {"name": "Jordan Lee", "role": "ESP"},
        admin,
    )
    member = {"payer_id": "VAYA", "first_name": "A", "last_name": "B", "birth_date": "1990-01-01",
              "sex": "U", "diagnoses": ["F33.1"]}  # fmt: skip
    await put_ok(client, f"/v1/members/{long['member']}", member, admin)
    events = [_long_event(index, long) for index in range(1000)]
    raw = json.dumps({"events": events}, indent=2).encode()
    limit = app.state.settings.max_json_bytes
    assert len(raw) * 2 < limit  # headroom: twice the largest batch still fits
    headers = {**admin, "Content-Type": "application/json"}
    response = await client.post("/v1/service-events:batch", content=raw, headers=headers)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["created"] == 1000


def _provider() -> dict[str, Any]:
    address = {"line1": "1 Main", "city": "Boone", "state": "NC", "zip": "28607"}
    return {"name": "Long IPS", "npi": "1234567893", "tax_id": "561234567", "address": address}


def _long_event(index: int, long: dict[str, str]) -> dict[str, Any]:
    day, slot = divmod(index, 8)
    return {
        "event_id": f"{index:04d}".rjust(64, "E"),
        "member_id": long["member"],
        "provider_id": long["provider"],
        "staff_id": long["staff"],
        "service_date": f"2025-{day // 28 + 1:02d}-{day % 28 + 1:02d}",
        "start_time": f"{8 + slot:02d}:00",
        "end_time": f"{8 + slot:02d}:45",
        "activity": "career_advancement",
        "contact": "in_person",
        "setting": "individual",
        "place_of_service": "99",
        "note_id": f"{index:04d}".rjust(64, "N"),
    }


async def _audit(app: FastAPI) -> list[AuditEntry]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(select(AuditEntry).order_by(AuditEntry.id))
        return list(rows.scalars())


async def test_an_id_too_long_or_unstorable_is_audited_cut_with_its_length(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await create_key(app, "admin")
    response = await client.get(f"/v1/members/{'M' * 100}", headers=admin)
    assert response.status_code == 422
    response = await client.get("/v1/members/M%00X", headers=admin)
    assert response.status_code == 422
    response = await client.post("/v1/payers", content=b"x" * 10)  # no key: 401 (or 405)
    entries = [e for e in await _audit(app) if e.route.startswith("/v1/members")]
    cut, nul = entries[-2], entries[-1]
    assert cut.member_id == "M" * 64 and cut.record_ids["member_id_length"] == 100
    assert cut.status_code == 422
    assert nul.member_id == "M\ufffdX" and nul.status_code == 422


async def test_refusals_of_the_gate_are_audited(app: FastAPI) -> None:
    await _call(app, "/v1/service-events:batch", Wire(chunks=None), {})
    key = _bearer(await create_key(app, "admin"))
    await _call(app, "/v1/service-events:batch", Wire(chunks=None), key)
    last = (await _audit(app))[-2:]
    assert [(e.status_code, e.outcome) for e in last] == [
        (401, "unauthenticated"),
        (413, "refused"),
    ]
    assert last[1].key_id is not None


async def _sqlite_app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    await asyncio.to_thread(upgrade, url)
    app = create_app(Settings(database_url=url), migrate_embedded=False)
    async with app.router.lifespan_context(app):
        yield app


async def test_an_837p_download_on_sqlite_answers_at_once_and_is_audited(
    tmp_path: Path, database_url: str
) -> None:
    """A file database with its own engine, as ``ipsbill serve`` runs it (the shared-connection
    fixtures cannot show a lock): the download took 30 s and lost its audit entry."""
    if not database_url.startswith("sqlite"):
        return  # SQLite's single writer is the case; PostgreSQL never waited
    async for app in _sqlite_app(tmp_path):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://ipsbill.test") as client:
            admin = await fileable_world(app, client)
            await create_event(client, admin)
            body = {"payer_id": "VAYA", "through_date": "2026-03-31"}
            batch = (await client.post("/v1/claim-batches", json=body, headers=admin)).json()
            started = time.perf_counter()
            path = f"/v1/claim-batches/{batch['batch_id']}/837p"
            response = await client.get(path, headers=admin)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200 and response.text.startswith("ISA")
        assert elapsed < 1.0, elapsed
        entries = await _audit(app)
        assert entries[-1].route == "/v1/claim-batches/{batch_id}/837p"
        assert entries[-1].status_code == 200


async def test_pages_outside_the_api_are_bounded_too(app: FastAPI) -> None:
    """The console's forms sign in their own way (no key), but their bodies are bounded alike."""
    wire = Wire(chunks=None)
    status, body = await _call(app, "/console/login", wire, {"content-type": "text/plain"})
    assert status == 413 and body["status"] == 413
    assert wire.read == app.state.settings.max_json_bytes // CHUNK + 1

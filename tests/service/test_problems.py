"""Problems a program can act on: a stable type and code per kind, field errors in plain words."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from httpx import AsyncClient

from service.problems import PROBLEM_BASE, vocabulary
from tests.service.factories import create_key, create_world, event_body

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "application/problem+json"


def _assert_problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"] == PROBLEM_BASE + code
    assert body["code"] == code
    assert body["status"] == status
    for error in body["errors"]:
        assert set(error) == {"loc", "code", "msg"}
        assert "Value error" not in error["msg"] and "^" not in error["msg"], error
    return body


def test_every_code_is_in_the_docs_and_every_documented_code_exists() -> None:
    data = tomllib.loads((ROOT / "service/data/problems.toml").read_text())
    docs = (ROOT / "docs/errors.md").read_text()
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", docs, re.MULTILINE))
    kinds = set(data["kinds"])
    fields = {entry["code"] for entry in data["fields"].values()} | {"end-before-start"}
    assert kinds | fields == documented
    assert all(kind.type == PROBLEM_BASE + code for code, kind in vocabulary().kinds.items())


async def test_field_errors_name_the_field_a_code_and_plain_words(app, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    bad = event_body(start_time="9:00", end_time="08:00", activity="dancing", extra="x")
    response = await client.put("/v1/service-events/E-1", json=bad, headers=admin)
    body = _assert_problem(response, 422, "invalid-input")
    by_loc = {tuple(e["loc"]): e for e in body["errors"]}
    assert by_loc[("start_time",)]["code"] == "invalid-format"
    assert by_loc[("start_time",)]["msg"].startswith("must be a clock time written HH:MM")
    assert by_loc[("activity",)]["code"] == "not-allowed"
    assert by_loc[("extra",)]["code"] == "unknown-field"


async def test_end_before_start_names_end_time(app, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    bad = event_body(start_time="10:00", end_time="09:00")
    body = _assert_problem(
        await client.put("/v1/service-events/E-1", json=bad, headers=admin), 422, "invalid-input"
    )
    assert body["errors"] == [
        {
            "loc": ["end_time"],
            "code": "end-before-start",
            "msg": "must be after start_time on the same day",
        }  # fmt: skip
    ]


async def test_kinds_of_problem_have_their_own_type(app, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    unknown = await client.put(
        "/v1/service-events/E-1", json=event_body(member_id="M-9"), headers=admin
    )
    body = _assert_problem(unknown, 422, "unknown-reference")
    assert body["errors"] == [
        {"loc": ["member_id"], "code": "unknown-reference", "msg": "unknown member M-9"}
    ]
    nothing = await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    _assert_problem(nothing, 409, "nothing-to-bill")
    _assert_problem(await client.get("/v1/claims/NOPE", headers=admin), 404, "not-found")
    _assert_problem(await client.get("/v1/claims/NOPE"), 401, "unauthorized")
    broken = await client.put(
        "/v1/payers/X", content=b"{not json", headers={**admin, "Content-Type": "application/json"}
    )
    _assert_problem(broken, 400, "malformed-json")


async def test_batch_items_are_full_problems(app, client: AsyncClient) -> None:
    admin = await create_key(app, "admin")
    await create_world(client, admin)
    events = [
        {"event_id": "E-1", **event_body()},
        {"event_id": "E-2", **event_body(end_time="08:00")},
        {"event_id": "E-3", **event_body(staff_id="S-99", start_time="11:00", end_time="11:30")},
    ]
    response = await client.post("/v1/service-events:batch", json={"events": events}, headers=admin)
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["problem"] is None
    second, third = results[1]["problem"], results[2]["problem"]
    assert second["type"] == PROBLEM_BASE + "invalid-input" and second["status"] == 422
    assert second["errors"][0]["loc"] == ["end_time"]
    assert third["code"] == "unknown-reference" and third["title"] == "Unknown reference"
    assert third["errors"] == [
        {"loc": ["staff_id"], "code": "unknown-reference", "msg": "unknown staff S-99 of P-01"}
    ]


def test_the_openapi_document_describes_the_problems_sent(app) -> None:  # type: ignore[no-untyped-def]
    document = app.openapi()
    names = set(document["components"]["schemas"])
    assert not [name for name in names if "__" in name or name.startswith("Page_")]
    assert {"Problem", "FieldError"} <= names and "HTTPValidationError" not in names
    problem_ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                assert "X-Request-ID" in response["headers"], (method, path, status)
                if status >= "400":
                    assert response["content"] == {PROBLEM: problem_ref}, (method, path, status)
            if path.startswith("/v1/"):
                assert "401" in operation["responses"], (method, path)
            if method == "post":
                params = {p["name"] for p in operation["parameters"]}
                assert "Idempotency-Key" in params, path

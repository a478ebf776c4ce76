"""Every route, driven with text no database should be asked to store (NUL, lone surrogates) in
each path id, each query parameter and each body field: 422 naming the field, never a 500, on
SQLite and PostgreSQL alike (SQLite would have stored it; PostgreSQL answered 500).

Hypothesis draws the strings; every (route, place) target of the OpenAPI document gets several.
Hypothesis cannot drive an async test itself, so it draws them first, then they are sent.
"""

from __future__ import annotations

import json
import string
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.service.access_matrix import MATRIX, build_world, route_body, route_request
from tests.service.factories import create_key

BAD_CHARS = ["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]
PER_TARGET = 3


def _bad_text() -> st.SearchStrategy[str]:
    plain = st.text(string.ascii_letters + string.digits + "-. é", max_size=6)
    return st.builds(lambda a, bad, b: a + bad + b, plain, st.sampled_from(BAD_CHARS), plain)


def draw_strings(count: int) -> list[str]:
    drawn: list[str] = []

    @settings(max_examples=count, database=None, derandomize=True)
    @given(_bad_text())
    def collect(text: str) -> None:
        drawn.append(text)

    collect()
    return drawn


def _targets(app: FastAPI) -> list[tuple[str, str, str]]:
    """(route, place, name): every path and query parameter and every top-level body field."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            route = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("path", "query"):
                    found.append((route, parameter["in"], parameter["name"]))
            found.extend((route, "body", name) for name in _json_fields(route))
    found.append(("POST /v1/edi/inbound", "x12", "body"))
    return found


def _json_fields(route: str) -> list[str]:
    body = route_body(route, {"ack": ""}).get("json")
    if route == "POST /v1/service-events:batch":
        return [f"events.0.{name}" for name in body["events"][0]]
    return list(body) if isinstance(body, dict) else []


def _inject(body: dict[str, Any], dotted: str, bad: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    node, *parts = [copy, *dotted.split(".")]
    for part in parts[:-1]:
        node = node[int(part) if part.isdigit() else part]
    node[parts[-1]] = bad
    return copy


async def _send(
    client: AsyncClient, world: dict[str, Any], admin: dict[str, str], target: tuple[str, ...],
    bad: str,
) -> tuple[int, Any]:  # fmt: skip
    route, place, name = target
    method, path, body = route_request(route, world)
    headers = {**admin, **body.pop("headers", {})}
    if place == "path":  # a URL carries bytes: only NUL can reach a path or a query
        template = route.split(" ", 1)[1]
        path = route_request(route.replace("{" + name + "}", quote(bad, safe="")), world)[1]
        assert path != template
    if place == "query":
        path = f"{path}?{name}={quote(bad, safe='')}"
    if place == "x12":  # a NUL between segments; a surrogate arrives as bytes that are not ASCII
        cut = len(bad) * 7 % len(world["ack"])
        text = world["ack"][:cut] + bad + world["ack"][cut:]
        body["content"] = text.encode("utf-8", "surrogatepass")
    if place == "body":
        raw = json.dumps(_inject(body.pop("json"), name, bad))  # ensure_ascii: \ud800 escapes
        body = {"content": raw.encode()}
        headers["Content-Type"] = "application/json"
    response = await client.request(method, path, headers=headers, **body)
    return response.status_code, response.json()


def _names_field(status: int, answer: Any, target: tuple[str, ...], bad: str) -> bool:
    route, place, name = target
    if place == "x12":  # NUL: 422 naming the body; other bytes: 400, "not ASCII"
        return status == 400 if not bad.isascii() else status == 422 and _mentions(answer, name)
    if place == "body" and name.startswith("events."):
        item = answer["results"][0]
        return status == 200 and item["result"] == "rejected" and _mentions(item["problem"], name)
    return status == 422 and _mentions(answer, name)


def _mentions(problem: dict[str, Any], name: str) -> bool:
    field = name.rsplit(".", 1)[-1]
    locs = [[str(part) for part in error["loc"]] for error in problem.get("errors", [])]
    messages = " ".join(str(error.get("msg", "")) for error in problem.get("errors", []))
    return any(field in loc for loc in locs) or field in messages or field in problem["detail"]


async def test_every_route_refuses_unstorable_text_naming_the_field(
    app: FastAPI, client: AsyncClient
) -> None:
    world = await build_world(app, client)
    admin = await create_key(app, "admin")
    targets = _targets(app)
    assert {t[0] for t in targets} >= {
        r for r in MATRIX if "{" in r or r.startswith(("PUT", "POST"))
    }
    strings = draw_strings(200)
    nul_strings = [s for s in strings if "\x00" in s]
    failures = []
    for index, target in enumerate(targets):
        pool = strings if target[1] == "body" else nul_strings
        for turn in range(PER_TARGET):
            bad = pool[(index * PER_TARGET + turn) % len(pool)]
            status, answer = await _send(client, world, admin, target, bad)
            if not _names_field(status, answer, target, bad):
                failures.append((target, repr(bad), status, answer.get("detail", answer)))
    assert failures == []

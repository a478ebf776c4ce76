"""POST /v1/edi/inbound fuzzed: real 999, 277CA and 835 files of a real batch, cut, spliced,
with bytes flipped, inserted or dropped, segments repeated or removed. Whatever arrives, the
answer is a problem (400/409/415/422) or a receipt (200), never a 500, on both databases; and a
refused file changes nothing (the claims read the same after every refusal).

Schemathesis cannot generate application/edi-x12 bodies; this is that operation's fuzzer.
Hypothesis draws the mutations first, then they are sent (it cannot drive an async test)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.inbound.simulate import simulate_277ca, simulate_835, simulate_999
from tests.service.factories import create_event, fileable_world

WHEN = datetime(2026, 4, 1, tzinfo=UTC)
EDI = {"Content-Type": "application/edi-x12"}

Mutation = tuple[str, int, int, bytes]


def _mutation() -> st.SearchStrategy[Mutation]:
    kinds = st.sampled_from(["flip", "insert", "drop", "cut", "repeat_segment", "drop_segment"])
    junk = st.binary(min_size=1, max_size=4) | st.sampled_from(
        [b"*", b"~", b":", b"^", b"\x00", b"ISA", b"SE*", b"CLP*", b"-1", b"99999999999"]
    )
    return st.tuples(kinds, st.integers(0, 10**6), st.integers(1, 40), junk)


def draw_mutations(count: int) -> list[list[Mutation]]:
    drawn: list[list[Mutation]] = []

    @settings(max_examples=count, database=None, derandomize=True)
    @given(st.lists(_mutation(), min_size=1, max_size=3))
    def collect(mutations: list[Mutation]) -> None:
        drawn.append(mutations)

    collect()
    return drawn


def mutate(data: bytes, mutations: list[Mutation]) -> bytes:
    for kind, where, length, junk in mutations:
        at = where % (len(data) + 1)
        segments = data.split(b"~")
        pick = where % len(segments)
        if kind == "flip":
            data = data[:at] + junk + data[at + len(junk):]  # fmt: skip
        elif kind == "insert":
            data = data[:at] + junk + data[at:]
        elif kind == "drop":
            data = data[:at] + data[at + length:]  # fmt: skip
        elif kind == "cut":
            data = data[:at]
        elif kind == "repeat_segment":
            data = b"~".join(segments[: pick + 1] + segments[pick:])
        else:
            data = b"~".join(segments[:pick] + segments[pick + 1 :])
    return data


async def _files(app: FastAPI, client: AsyncClient) -> tuple[dict[str, str], list[bytes]]:
    admin = await fileable_world(app, client)
    for index, hour in enumerate((9, 11, 13)):
        await create_event(
            client, admin, f"E-{index}", start_time=f"{hour:02d}:00", end_time=f"{hour:02d}:50"
        )
    body = {"payer_id": "VAYA", "through_date": "2026-03-31"}
    batch = (await client.post("/v1/claim-batches", json=body, headers=admin)).json()
    text = (await client.get(f"/v1/claim-batches/{batch['batch_id']}/837p", headers=admin)).text
    files = [
        simulate_999(text, control_number=11, created=WHEN),
        simulate_277ca(text, control_number=12, created=WHEN),
        simulate_835(text, control_number=13, created=WHEN, trace_number="TRN-FUZZ"),
    ]
    return admin, [f.encode() for f in files]


async def test_mutated_inbound_files_never_answer_500_and_refusals_change_nothing(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, files = await _files(app, client)
    claims_before = (await client.get("/v1/claims", headers=admin)).json()
    failures = []
    for index, mutations in enumerate(draw_mutations(120)):
        data = mutate(files[index % len(files)], mutations)
        response = await client.post("/v1/edi/inbound", content=data, headers={**admin, **EDI})
        status = response.status_code
        if status >= 500 or status not in (200, 400, 409, 415, 422):
            failures.append((index, mutations, status, response.text[:300]))
        elif status >= 400:
            assert response.headers["content-type"] == "application/problem+json"
            if (await client.get("/v1/claims", headers=admin)).json() != claims_before:
                failures.append((index, mutations, status, "a refused file changed claims"))
        else:
            claims_before = (await client.get("/v1/claims", headers=admin)).json()
    assert failures == []
    for data in files:  # and the intact files still go through after all that
        response = await client.post("/v1/edi/inbound", content=data, headers={**admin, **EDI})
        assert response.status_code == 200, response.text

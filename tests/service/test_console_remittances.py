"""The console's queue of remittances held back (service/console/remittances.py): a finance
person sees each with the checks it failed in words and decides it with a note, through the
same resolution the API has; a payer-scoped user sees only its payer's."""

from __future__ import annotations

from fastapi import FastAPI
from httpx import AsyncClient

from tests.service.console_session import add_user, session_csrf, sign_in
from tests.service.factories import create_key
from tests.service.remittances import claim_of_78, denial, post_edi

QUEUE = "/console/queues/remittances"


async def _held(app: FastAPI, client: AsyncClient) -> tuple[dict[str, str], str]:
    """The issue's 835: CLP03 999.00 against a 78.00 claim, another provider's NPI."""
    admin, claim, _ = await claim_of_78(app, client)
    await post_edi(client, admin, denial(claim["claim_id"], "999.00", "999.00", status="1"))
    return admin, claim["claim_id"]


async def test_a_held_remittance_is_listed_in_words_and_dismissed_with_a_note(
    app: FastAPI, client: AsyncClient
) -> None:
    admin, claim_id = await _held(app, client)
    await add_user(app, "fin", "finance")
    await sign_in(client, "fin")
    listed = await client.get(QUEUE)
    assert listed.status_code == 200 and claim_id in listed.text
    assert "$999.00" in listed.text and "payee" in listed.text.lower()
    (held,) = (await client.get("/v1/remittance-exceptions", headers=admin)).json()["items"]

    no_note = {"csrf_token": await session_csrf(client), "action": "dismiss", "note": ""}
    refused = await client.post(f"{QUEUE}/{held['id']}", data=no_note)
    assert refused.status_code == 422
    decided = await client.post(
        f"{QUEUE}/{held['id']}",
        data={"csrf_token": await session_csrf(client), "action": "dismiss", "note": "not ours"},
    )
    assert decided.status_code == 303 and decided.headers["location"] == QUEUE
    assert claim_id not in (await client.get(QUEUE)).text
    resolved = (await client.get(f"{QUEUE}?status=resolved")).text
    assert claim_id in resolved and "not ours" in resolved
    claim = (await client.get(f"/v1/claims/{claim_id}", headers=admin)).json()
    assert (claim["status"], claim["paid_amount"]) == ("generated", "0.00")


async def test_a_decision_needs_the_forms_csrf_token(app: FastAPI, client: AsyncClient) -> None:
    admin, _ = await _held(app, client)
    await add_user(app, "fin", "finance")
    await sign_in(client, "fin")
    (held,) = (await client.get("/v1/remittance-exceptions", headers=admin)).json()["items"]
    forged = await client.post(f"{QUEUE}/{held['id']}", data={"action": "apply", "note": "x"})
    assert forged.status_code == 403
    still = (await client.get("/v1/remittance-exceptions", headers=admin)).json()["items"]
    assert [item["status"] for item in still] == ["open"]


async def test_another_payers_finance_user_sees_none(app: FastAPI, client: AsyncClient) -> None:
    await _held(app, client)
    await create_key(app, "admin")
    await add_user(app, "other", "finance", payer_id="OTHER")
    await sign_in(client, "other")
    assert "No open remittances." in (await client.get(QUEUE)).text

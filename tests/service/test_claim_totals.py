"""``claim_totals`` (migration 0011) stays exactly the claims' own sums, on SQLite and
PostgreSQL, whoever writes the claims: the batch service (ORM inserts), plain SQL updates of
status, money, replacement and frequency, and deletes. The console's overview reads it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import case, delete, func, select, update

from service.auth.principal import Principal, Role
from service.console import queries
from service.models import Claim, ClaimTotal
from tests.service.factories import create_event, fileable_world

KEY = (ClaimTotal.payer_id, ClaimTotal.service_month, ClaimTotal.status, ClaimTotal.batch_id)


async def _both(app: FastAPI) -> tuple[set[Any], set[Any]]:
    """(sums from claims, sums from claim_totals), as sets of rows, empty groups left out."""
    claim = Claim
    in_force = case(
        ((claim.frequency != "8") & claim.replaced_by_claim_id.is_(None), True), else_=False
    )
    keys = (claim.payer_id, claim.service_month, claim.status, claim.batch_id, in_force)
    direct = select(*keys, func.count(), func.sum(claim.total_charge), func.sum(claim.paid_amount))
    kept = select(*KEY, ClaimTotal.in_force, ClaimTotal.claims, ClaimTotal.charge_cents,
                  ClaimTotal.paid_cents).where(ClaimTotal.claims != 0)  # fmt: skip
    async with app.state.sessionmaker() as session:
        from_claims = {
            (*row[:4], bool(row[4]), row[5], queries.money(row[6]), queries.money(row[7]))
            for row in (await session.execute(direct.group_by(*keys))).all()
        }
        from_totals = {
            (*row[:4], bool(row[4]), row[5], queries.cents(row[6]), queries.cents(row[7]))
            for row in (await session.execute(kept)).all()
        }
    return from_claims, from_totals


async def _write(app: FastAPI, *statements: Any) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        for statement in statements:
            await session.execute(statement)


async def test_claim_totals_follow_every_kind_of_claim_write(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await fileable_world(app, client)
    for n, day in enumerate(("2026-02-03", "2026-03-03", "2026-03-04")):
        await create_event(client, admin, f"E-{n}", service_date=day)
    made = await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    assert made.status_code == 201, made.text
    from_claims, from_totals = await _both(app)
    assert from_totals == from_claims and len(from_claims) == 2  # two months, one batch

    async with app.state.sessionmaker() as session:
        ids = sorted((await session.execute(select(Claim.claim_id))).scalars())
    first, second = ids[0], ids[1]
    await _write(
        app,
        update(Claim).where(Claim.claim_id == first)
        .values(status="paid", paid_amount=Decimal("12.34")),
        update(Claim).where(Claim.claim_id == second).values(status="denied"),
    )  # fmt: skip
    from_claims, from_totals = await _both(app)
    assert from_totals == from_claims
    assert any(row[2] == "paid" and row[7] == Decimal("12.34") for row in from_totals)

    await _write(
        app,
        update(Claim).where(Claim.claim_id == second).values(replaced_by_claim_id=first),
        update(Claim).where(Claim.claim_id == first).values(total_charge=Decimal("0.10")),
    )
    from_claims, from_totals = await _both(app)
    assert from_totals == from_claims and any(not row[4] for row in from_totals)

    await _write(app, update(Claim).where(Claim.claim_id == first).values(frequency="8"))
    from_claims, from_totals = await _both(app)
    assert from_totals == from_claims
    await _write(app, delete(Claim).where(Claim.claim_id == second))
    from_claims, from_totals = await _both(app)
    assert from_totals == from_claims and len(from_claims) == 1


async def test_the_overview_reads_the_same_sums_as_the_claims_give(
    app: FastAPI, client: AsyncClient
) -> None:
    admin = await fileable_world(app, client)
    await create_event(client, admin, "E-1")
    await create_event(client, admin, "E-2", service_date="2026-03-05")
    made = await client.post("/v1/claim-batches", json={"payer_id": "VAYA"}, headers=admin)
    assert made.status_code == 201, made.text
    await _write(app, update(Claim).values(status="paid", paid_amount=Decimal("1.05")))
    finance = Principal("k", Role.FINANCE, "VAYA", None)
    async with app.state.sessionmaker() as session:
        kept = sorted(await queries.ledger(session, finance))
        direct = sorted(await queries._ledger_of_claims(session, finance))
        figures = await queries.batch_figures(session, [made.json()["batch_id"]])
    assert [(*r[:5], queries.money(r[5]), queries.money(r[6])) for r in direct] == kept
    assert kept and kept[0][6] == Decimal("1.05") * kept[0][4]
    assert figures[made.json()["batch_id"]].paid == sum(row[6] for row in kept)
    other = Principal("k2", Role.FINANCE, "OTHER", None)
    async with app.state.sessionmaker() as session:
        assert await queries.ledger(session, other) == []

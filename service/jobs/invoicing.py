"""Invoices for every provider of a payer, made by a job (docs/jobs.md, "Invoices").

``POST /v1/invoices`` without ``provider_id`` queues one; the job invoices the payer's providers
one after the other (progress: providers done of all) exactly as the single-provider request
does, all in the job's one transaction: a runner killed midway leaves no invoice of it, and the
next runner makes them all. A provider with nothing to invoice is passed over; when none has
anything the job fails with the same 409 the single request answers.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from claims.errors import Conflict, NotFound
from service import models as orm
from service.auth.principal import Principal
from service.jobs import repository
from service.jobs.principals import principal_of, principal_params
from service.milestones import service as milestones
from service.milestones.schemas import InvoiceIn

if TYPE_CHECKING:
    from service.jobs.service import JobContext
    from service.progress import JobProgress

NOTHING = "nothing-to-invoice"


async def enqueue_invoices(
    session: AsyncSession, principal: Principal, body: InvoiceIn, today: date
) -> orm.Job:
    """The queued job; a payer out of scope is refused now, as the single request does."""
    payer = await session.get(orm.Payer, body.payer_id)
    if payer is None or not principal.sees_payer(body.payer_id):
        raise NotFound(f"no payer {body.payer_id}")
    params = {
        "body": body.model_dump(mode="json"),
        "today": today.isoformat(),  # the invoice date is the request's, however late it runs
        "principal": principal_params(principal),
    }
    job = await repository.enqueue(
        session, "invoices", params, principal.key_id, payer_id=body.payer_id
    )
    job.params = {**params, "job_id": job.job_id}  # the handler records its links on its job
    await session.flush()
    return job


async def _providers(session: AsyncSession) -> list[str]:
    """Every provider: which of them earned something for the payer is what invoicing finds."""
    stmt = select(orm.Provider.provider_id).order_by(orm.Provider.provider_id)
    return list((await session.execute(stmt)).scalars())


async def run_invoices(
    context: JobContext,
    session: AsyncSession,
    params: dict[str, Any],
    progress: JobProgress,
) -> str:
    body = params["body"]
    principal, today = principal_of(params), date.fromisoformat(params["today"])
    providers = [body["provider_id"]] if body.get("provider_id") else await _providers(session)
    made: list[str] = []
    for done, provider_id in enumerate(providers):
        await progress(done, len(providers))
        one = InvoiceIn.model_validate({**body, "provider_id": provider_id})
        try:
            invoice = await milestones.create_invoice(session, principal, one, today)
        except Conflict as exc:
            if exc.code != NOTHING:
                raise
            continue  # nothing written before this refusal (service.milestones.create_invoice)
        made.append(f"/v1/invoices/{invoice.invoice_id}")
    await progress(len(providers), len(providers))
    return await _result(session, params, made)


async def _result(session: AsyncSession, params: dict[str, Any], made: list[str]) -> str:
    body = params["body"]
    if not made:
        raise Conflict(
            f"nothing to invoice to {body['payer_id']} through {body['through_date']} for any "
            "provider: no earned, uninvoiced milestone and no credit due",
            code=NOTHING,
        )
    job = await session.get(orm.Job, params["job_id"])
    assert job is not None
    job.made = made
    await session.flush()
    return f"/v1/invoices?payer_id={body['payer_id']}"

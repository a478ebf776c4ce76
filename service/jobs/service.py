"""What each kind of job does, and starting one from a request.

A job's work runs in one transaction with the job's own "succeeded" (repository.finish): the
batch and the job's result are committed together or not at all, so a crash at any point
leaves either the finished work or nothing, and the job is simply run again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import BackgroundTasks, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.background import BackgroundTask

from claims.errors import NotFound
from service import models as orm
from service.auth.principal import Principal, Role
from service.claims import service as batches
from service.claims.schemas import BatchIn
from service.config import Settings
from service.jobs import inbound, invoicing, repository
from service.jobs.principals import principal_of as _principal_of
from service.jobs.principals import principal_params as _principal_params
from service.jobs.schemas import JobOut, Progress
from service.profiles import ProfileRegistry
from service.progress import JobProgress
from service.reference import readjudication
from service.units import pricing
from service.units.touched import Touched
from service.versioning import Upserted


@dataclass(frozen=True, slots=True)
class JobContext:
    settings: Settings
    profiles: ProfileRegistry


Handler = Callable[[JobContext, AsyncSession, dict[str, Any], JobProgress], Awaitable[str]]

# Who may watch a job of each kind (besides admin): those who may see what it makes.
WATCHERS: dict[str, frozenset[Role]] = {
    "claim_batch": frozenset({Role.FINANCE}),
    "reprice": frozenset({Role.INTEGRATION, Role.FINANCE}),
    "readjudicate": frozenset({Role.INTEGRATION, Role.FINANCE}),
    "inbound": frozenset({Role.FINANCE}),
    "invoices": frozenset({Role.FINANCE}),
}


def wants_async(prefer: str | None) -> bool:
    """RFC 7240: ``Prefer: respond-async`` among comma-separated preferences, any case."""
    if not prefer:
        return False
    return any(
        part.split(";", 1)[0].strip().lower() == "respond-async" for part in prefer.split(",")
    )


def job_out(job: orm.Job, live: tuple[int, int | None] | None = None) -> JobOut:
    done, total = (
        live
        if live is not None and job.state == "running"
        else (
            job.progress_done,
            job.progress_total,
        )
    )
    return JobOut(
        job_id=job.job_id,
        kind=job.kind,
        state=job.state,
        progress=Progress(done=done, total=total),
        result=job.result,
        made=job.made,
        error=job.error,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


async def start_claim_batch(
    request: Request, session: AsyncSession, principal: Principal, body: BatchIn
) -> JSONResponse:
    """202 at once; the batch is made by a runner. A payer out of scope is refused now."""
    return accepted(request, await enqueue_claim_batch(session, principal, body))


async def enqueue_claim_batch(
    session: AsyncSession, principal: Principal, body: BatchIn
) -> orm.Job:
    """The queued job making ``body``'s batch (the API's async path and the console's)."""
    payer = await session.get(orm.Payer, body.payer_id)
    if payer is None or not principal.sees_payer(body.payer_id):
        raise NotFound(f"no payer {body.payer_id}")
    return await repository.enqueue(
        session,
        "claim_batch",
        {"body": body.model_dump(mode="json"), "principal": _principal_params(principal)},
        principal.key_id,
        payer_id=body.payer_id,
        provider_id=body.provider_id,
    )


def sees_job(principal: Principal, job: orm.Job) -> bool:
    """Admin, or a watcher of the job's kind within the job's payer."""
    if principal.role is Role.ADMIN:
        return True
    if principal.role not in WATCHERS.get(job.kind, frozenset()):
        return False
    return job.payer_id is None or principal.sees_payer(job.payer_id)


def accepted(request: Request, job: orm.Job) -> JSONResponse:
    """The 202 answer; the runner is woken once the request's transaction has committed
    (a background task runs after the answer, which is sent after the commit)."""
    runner = getattr(request.app.state, "jobs", None)
    return JSONResponse(
        job_out(job).model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/v1/jobs/{job.job_id}", "Preference-Applied": "respond-async"},
        background=BackgroundTask(runner.wake) if runner is not None else None,
    )


async def run_claim_batch(
    context: JobContext,
    session: AsyncSession,
    params: dict[str, Any],
    progress: JobProgress,
) -> str:
    batch = await batches.create_batch(
        session,
        _principal_of(params),
        context.profiles,
        context.settings,
        BatchIn.model_validate(params["body"]),
        progress=progress,
    )
    return f"/v1/claim-batches/{batch.batch_id}"


async def start_repricing(
    request: Request,
    background: BackgroundTasks,
    session: AsyncSession,
    principal: Principal,
    payer_id: str,
    stored: Upserted[orm.FeeSchedule],
) -> str | None:
    """The job re-pricing a changed schedule's days; None when no stored line falls on them."""
    effective_from = stored.row.effective_from
    if not stored.changed or not await pricing.anything_priced(session, payer_id, effective_from):
        return None
    params = {"payer_id": payer_id, "effective_from": effective_from.isoformat()}
    job = await repository.enqueue(session, "reprice", params, principal.key_id, payer_id=payer_id)
    _wake_after(request, background)
    return job.job_id


def _wake_after(request: Request, background: BackgroundTasks) -> None:
    runner = getattr(request.app.state, "jobs", None)
    if runner is not None:  # background tasks run after the answer, so after the commit
        background.add_task(runner.wake)


async def start_readjudication(
    request: Request,
    background: BackgroundTasks,
    session: AsyncSession,
    principal: Principal,
    touched: Touched,
    link: str,
) -> str | None:
    """The one start of re-adjudication after a reference write: the job re-doing what the
    stored record touched (docs/jobs.md, "Re-adjudication"), its id for the answer's
    ``job_id``; None when nothing changed or no stored event falls on those days."""
    if not touched or not await readjudication.any_event_since(session, touched):
        return None
    providers = sorted(touched.providers)
    job = await repository.enqueue(
        session,
        "readjudicate",
        {**readjudication.params_of(touched), "link": link},
        principal.key_id,
        payer_id=await readjudication.payer_of(session, touched),
        provider_id=providers[0] if len(providers) == 1 else None,
    )
    _wake_after(request, background)
    return job.job_id


async def run_reprice(
    context: JobContext,
    session: AsyncSession,
    params: dict[str, Any],
    progress: JobProgress,
) -> str:
    payer_id = params["payer_id"]
    effective_from = date.fromisoformat(params["effective_from"])
    await pricing.reprice(session, context.profiles, payer_id, effective_from, progress)
    return f"/v1/fee-schedules/{payer_id}"


async def run_readjudicate(
    context: JobContext,
    session: AsyncSession,
    params: dict[str, Any],
    progress: JobProgress,
) -> str:
    await readjudication.run(session, context.profiles, params, progress)
    link: str = params["link"]
    return link


HANDLERS: dict[str, Handler] = {
    "claim_batch": run_claim_batch,
    "reprice": run_reprice,
    "readjudicate": run_readjudicate,
    "inbound": inbound.run_inbound,
    "invoices": invoicing.run_invoices,
}

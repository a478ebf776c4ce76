"""A job's progress page: where "Create the batch" lands while a runner makes it, and a large
inbound upload while a runner applies it (docs/console.md).

The page polls its own fragment with htmx every second; the fragment stops polling once the job
has finished, then links to what the job made (an inbound file's outcome is shown on the page,
as the synchronous upload shows it) or says in words why it failed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from service import models as orm
from service.auth.principal import Principal
from service.console.accounts import Signed
from service.console.web import Refused, SignedDep, page
from service.deps import SessionDep
from service.edi.router import sees_file
from service.edi.service import received_before
from service.jobs.schemas import JobOut
from service.jobs.service import job_out, sees_job

router = APIRouter(prefix="/console", include_in_schema=False)
FINISHED = ("succeeded", "failed")
# What a finished job's result (an API path) is in the console.
CONSOLE_PATHS = {"/v1/claim-batches/": "/console/batches/"}
INBOUND_FILES = "/v1/edi/inbound/"
TITLES = {"claim_batch": ("Making a batch", "batches"), "inbound": ("Applying a file", "inbound")}


def console_path(result: str | None) -> str | None:
    for api, console in CONSOLE_PATHS.items():
        if result and result.startswith(api):
            return console + result.removeprefix(api)
    return None


async def _job(
    request: Request, session: SessionDep, signed: Signed, job_id: str
) -> dict[str, object]:
    job = await session.get(orm.Job, job_id)
    if job is None or not sees_job(signed.principal, job):  # out of scope reads as absent
        raise Refused(404, f"No job {job_id}.")
    runner = getattr(request.app.state, "jobs", None)
    out = job_out(job, runner.progress_of(job_id) if runner is not None else None)
    detail = (out.error or {}).get("detail")
    title, nav = TITLES.get(out.kind, ("A job", ""))
    return {
        "job": out,
        "finished": out.state in FINISHED,
        "target": console_path(out.result),
        "failure": str(detail) if detail else "The job could not complete.",
        "title": title,
        "nav": nav,
        "inbound": await _applied(session, signed.principal, out),
    }


async def _applied(
    session: AsyncSession, principal: Principal, job: JobOut
) -> dict[str, object] | None:
    """What an inbound job's file did, as the upload page shows it: seen in the file's own
    scope (a file posted before under another payer's key is not shown, as the API's 404).
    A file stored before the job was queued was found by its digest: nothing changed, as the
    synchronous answer to a file sent again says (service.edi.service.received_before)."""
    link = job.result or ""
    if job.kind != "inbound" or not link.startswith(INBOUND_FILES):
        return None
    row = await session.get(orm.InboundFile, int(link.removeprefix(INBOUND_FILES)))
    if row is None or not sees_file(principal, row):
        return None
    if row.received_at < job.created_at:
        return received_before(row.result)
    return dict(row.result)


@router.get("/jobs/{job_id}")
async def job_page(
    request: Request, session: SessionDep, signed: SignedDep, job_id: str
) -> Response:
    return page(request, "job.html", **await _job(request, session, signed, job_id))


@router.get("/jobs/{job_id}/progress")
async def job_progress(
    request: Request, session: SessionDep, signed: SignedDep, job_id: str
) -> Response:
    """The fragment htmx swaps in: the same markup the page starts with."""
    return page(request, "job_progress.html", **await _job(request, session, signed, job_id))

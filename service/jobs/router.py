"""``GET /v1/jobs/{job_id}`` (contract, "Jobs (long work)")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from claims.errors import NotFound
from service import models as orm
from service.deps import PrincipalDep, SessionDep
from service.jobs.schemas import JobOut
from service.jobs.service import job_out, sees_job
from service.schemas_common import IdPath

router = APIRouter(prefix="/v1", tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=JobOut)
async def get_job(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    job_id: Annotated[str, IdPath("the job id")],
) -> JobOut:
    job = await session.get(orm.Job, job_id)
    if job is None or not sees_job(principal, job):  # out of scope reads as absent
        raise NotFound(f"no job {job_id}")
    runner = getattr(request.app.state, "jobs", None)
    return job_out(job, runner.progress_of(job_id) if runner is not None else None)

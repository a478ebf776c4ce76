"""``GET /v1/jobs/{job_id}`` (contract, "Jobs (long work)")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from claims.errors import NotFound
from service import models as orm
from service.auth.principal import Principal, Role
from service.deps import PrincipalDep, SessionDep
from service.jobs.schemas import JobOut
from service.jobs.service import WATCHERS, job_out
from service.schemas_common import IdPath

router = APIRouter(prefix="/v1", tags=["jobs"])


def _sees(principal: Principal, job: orm.Job) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role not in WATCHERS.get(job.kind, frozenset()):
        return False
    return job.payer_id is None or principal.sees_payer(job.payer_id)


@router.get("/jobs/{job_id}", response_model=JobOut)
async def get_job(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    job_id: Annotated[str, IdPath("the job id")],
) -> JobOut:
    job = await session.get(orm.Job, job_id)
    if job is None or not _sees(principal, job):  # out of scope reads as absent
        raise NotFound(f"no job {job_id}")
    runner = getattr(request.app.state, "jobs", None)
    return job_out(job, runner.progress_of(job_id) if runner is not None else None)

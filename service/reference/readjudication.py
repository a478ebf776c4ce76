"""Re-adjudication after a reference change, as a job (docs/jobs.md, "Re-adjudication").

An authorization can move what its member's days bill from its start; a fidelity review what
its provider's days bill from its final-report date (billing-rules 1.2: a change re-adjudicates
the days it touches, and only those). The write stores the record and queues a job with what
it touched; the job finds the member-days when it runs (a review's members are those with an
event of the provider from its date, read then, not in the request) and re-adjudicates them a
chunk of members at a time, all in the job's one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import ServiceEvent
from service.profiles import ProfileRegistry
from service.progress import JobProgress
from service.units.service import readjudicate
from service.units.touched import Touched

CHUNK = 100  # members per pass: bounds what is loaded at once, and moves the progress


def member_params(touched: Touched) -> dict[str, Any]:
    """A job's params for the members (and their first dates) a write touched."""
    return {"members": {m: since.isoformat() for m, since in sorted(touched.members.items())}}


def provider_params(provider_id: str, since: date) -> dict[str, Any]:
    return {"provider_id": provider_id, "since": since.isoformat()}


async def any_event_since(session: AsyncSession, params: dict[str, Any]) -> bool:
    """Whether a stored event falls on the touched days (else there is nothing to re-do)."""
    for member_id, since in params.get("members", {}).items():
        stmt = select(ServiceEvent.event_id).where(
            ServiceEvent.member_id == member_id,
            ServiceEvent.service_date >= date.fromisoformat(since),
        )
        if (await session.execute(stmt.limit(1))).first() is not None:
            return True
    if "provider_id" in params:
        stmt = select(ServiceEvent.event_id).where(*_provider_days(params))
        return (await session.execute(stmt.limit(1))).first() is not None
    return False


def _provider_days(params: dict[str, Any]) -> list[Any]:
    since = date.fromisoformat(params["since"])
    return [ServiceEvent.provider_id == params["provider_id"], ServiceEvent.service_date >= since]


async def plan(session: AsyncSession, params: dict[str, Any]) -> dict[str, date]:
    """Each member to re-adjudicate and the first date of it."""
    members = {m: date.fromisoformat(since) for m, since in params.get("members", {}).items()}
    if "provider_id" in params:
        since = date.fromisoformat(params["since"])
        stmt = select(ServiceEvent.member_id).distinct().where(*_provider_days(params))
        for (member_id,) in (await session.execute(stmt)).all():
            members[member_id] = min(since, members.get(member_id, since))
    return members


async def run(
    session: AsyncSession,
    profiles: ProfileRegistry,
    params: dict[str, Any],
    progress: JobProgress,
) -> int:
    """Re-adjudicate the planned member-days; returns the members done. Members in id order,
    as every re-adjudication locks them (service.dbkit.lock_members): no ring."""
    members = await plan(session, params)
    ordered = sorted(members)
    await progress(0, len(ordered))
    for start in range(0, len(ordered), CHUNK):
        touched = Touched()
        for member_id in ordered[start : start + CHUNK]:
            touched.add(member_id, members[member_id])
        await readjudicate(session, touched, profiles)
        await progress(min(start + CHUNK, len(ordered)), len(ordered))
    return len(ordered)

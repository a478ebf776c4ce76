"""Re-adjudication after a reference change, as a job (docs/jobs.md, "Re-adjudication").

Every reference write names what it touched in a ``Touched`` (service/reference/service.py):
an authorization its member's days from its start, a member itself, a payer its members, a
staff member's role the members of its events, a fidelity review its provider's days from its
final-report date (billing-rules 1.2: a change re-adjudicates the days it touches, and only
those). The write stores the record, and service.jobs.service.start_readjudication - the one
place a reference change starts re-adjudication - queues a job with what it touched. The job
finds the member-days when it runs (service.units.repository.members_touched: a payer's or a
provider's members are read then, not in the request) and re-adjudicates them a chunk of
members at a time, all in the job's one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Member, ServiceEvent
from service.profiles import ProfileRegistry
from service.progress import JobProgress
from service.units import repository as repo
from service.units.service import readjudicate
from service.units.touched import Touched

CHUNK = 100  # members per pass: bounds what is loaded at once, and moves the progress


def params_of(touched: Touched) -> dict[str, Any]:
    """A job's params for what a write touched (each id with its first date)."""
    return {
        name: {key: since.isoformat() for key, since in sorted(found.items())}
        for name, found in (
            ("members", touched.members),
            ("payers", touched.payers),
            ("providers", touched.providers),
        )
        if found
    }


def touched_of(params: dict[str, Any]) -> Touched:
    touched = Touched()
    for member_id, since in params.get("members", {}).items():
        touched.add(member_id, date.fromisoformat(since))
    for payer_id, since in params.get("payers", {}).items():
        touched.add_payer(payer_id, date.fromisoformat(since))
    for provider_id, since in params.get("providers", {}).items():
        touched.add_provider(provider_id, date.fromisoformat(since))
    if "provider_id" in params:  # a fidelity review's job queued before an upgrade: resumed
        touched.add_provider(params["provider_id"], date.fromisoformat(params["since"]))
    return touched


async def any_event_since(session: AsyncSession, touched: Touched) -> bool:
    """Whether a stored event falls on the touched days (else there is nothing to re-do)."""
    for stmt in _event_queries(touched):
        if (await session.execute(stmt.limit(1))).first() is not None:
            return True
    return False


def _event_queries(touched: Touched) -> list[Select[Any]]:
    event = select(ServiceEvent.event_id)
    on = ServiceEvent.service_date
    queries = [
        event.where(ServiceEvent.member_id == member_id, on >= since)
        for member_id, since in touched.members.items()
    ]
    queries += [  # the payer's members now, as members_touched reads them
        event.join(Member, Member.member_id == ServiceEvent.member_id).where(
            Member.payer_id == payer_id, on >= since
        )
        for payer_id, since in touched.payers.items()
    ]
    queries += [
        event.where(*repo.provider_days(provider_id, since))
        for provider_id, since in touched.providers.items()
    ]
    return queries


async def payer_of(session: AsyncSession, touched: Touched) -> str | None:
    """The one payer whose members the job re-does: who may watch it (docs/jobs.md, "Seeing").
    None when its members are found only when it runs (a provider's) or span payers."""
    if touched.providers:
        return None
    payers = set(touched.payers)
    if touched.members:
        named = Member.member_id.in_(sorted(touched.members))
        stmt = select(Member.payer_id).distinct().where(named)
        payers.update(payer_id for (payer_id,) in (await session.execute(stmt)).all())
    return next(iter(payers)) if len(payers) == 1 else None


async def run(
    session: AsyncSession,
    profiles: ProfileRegistry,
    params: dict[str, Any],
    progress: JobProgress,
) -> int:
    """Re-adjudicate the touched member-days; returns the members done. Members in id order,
    as every re-adjudication locks them (service.dbkit.lock_members): no ring."""
    members = await repo.members_touched(session, touched_of(params))
    ordered = sorted(members)
    await progress(0, len(ordered))
    for start in range(0, len(ordered), CHUNK):
        touched = Touched()
        for member_id in ordered[start : start + CHUNK]:
            touched.add(member_id, members[member_id])
        await readjudicate(session, touched, profiles)
        await progress(min(start + CHUNK, len(ordered)), len(ordered))
    return len(ordered)

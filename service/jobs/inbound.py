"""Inbound X12 files applied by a job (docs/jobs.md, "Inbound files").

The request stores the decoded text with the job (``jobs.payload``, in its own transaction) and
answers 202; the job applies it exactly as the synchronous path does (``service.edi.service.
receive``) in one transaction with its "succeeded". The file's digest keeps it applied once: a
second posting, by either path, finds the stored file and changes nothing.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from claims.inbound import reader
from service import models as orm
from service.auth.principal import Principal
from service.edi.service import apply_read, read_aside
from service.jobs import repository
from service.jobs.principals import principal_of, principal_params

if TYPE_CHECKING:
    from service.jobs.service import JobContext
    from service.progress import JobProgress


def check_envelope(text: str) -> None:
    """What the request checks before answering 202: the envelope and the kind (a split, no
    segment objects); reading the transactions is the job's. ``InvalidInput`` (422) as the
    synchronous path answers for a file that is no 999, 277CA, 835 or TA1."""
    body = reader.strip_text(text)
    sets = reader.check_envelope(reader.split_segments(body, reader.delimiters(body)))[1]
    if sets:
        reader.detect_kind(sets)


async def enqueue_inbound(session: AsyncSession, principal: Principal, text: str) -> orm.Job:
    await asyncio.to_thread(check_envelope, text)  # a split of the whole file: off the loop
    job = await repository.enqueue(
        session,
        "inbound",
        {"principal": principal_params(principal), "bytes": len(text)},
        principal.key_id,
        payer_id=principal.payer_filter,  # whose scope the file is applied in: who may watch
    )
    job.params = {**job.params, "job_id": job.job_id}  # the handler reads its own payload
    job.payload = text
    await session.flush()
    return job


def inbound_link(file_id: int) -> str:
    return f"/v1/edi/inbound/{file_id}"


async def run_inbound(
    context: JobContext,
    session: AsyncSession,
    params: dict[str, Any],
    progress: JobProgress,
) -> str:
    job_id = params["job_id"]
    stmt = select(orm.Job.payload).where(orm.Job.job_id == job_id)  # deferred on the row
    text = (await session.execute(stmt)).scalar_one()
    if text is None:  # dropped only in the transaction that applied it and ended the job
        raise LookupError(f"job {job_id} has no file to apply")
    # Three steps: read, applied, linked (the pause after "applied" holds every write of the
    # file uncommitted: what a runner killed there must leave behind is nothing).
    await progress(0, 3)
    inbound = await read_aside(text)
    await progress(1, 3)
    await apply_read(session, principal_of(params), context.profiles, inbound, text)
    await progress(2, 3)
    # Applied: the text lives on in inbound_files.content; the job's copy is dropped with it.
    await session.execute(update(orm.Job).where(orm.Job.job_id == job_id).values(payload=None))
    stmt_file = select(orm.InboundFile.id).where(orm.InboundFile.digest == inbound.digest)
    link = inbound_link((await session.execute(stmt_file)).scalar_one())
    await progress(3, 3)
    return link

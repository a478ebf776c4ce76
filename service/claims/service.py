"""Claim batches: gather what is billable, build claims, write and check the 837P, record it.

The file is released only when pyx12 and the section-2 checks pass; otherwise the transaction
rolls back and nothing (claims, control numbers, line states) is kept.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, String, and_, any_, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from claims.claimed import EXPIRED_LINE
from claims.errors import Conflict, NotFound, ValidationFailed
from claims.lifecycle import BatchStatus, Frequency
from claims.model import LineStatus, ReasonCode
from claims.money import to_money
from claims.profile import ClaimLimits, PayerProfile
from claims.units.timely import filing_cutoff
from claims.x12 import model as x12
from claims.x12.build import (
    ProviderBlock,
    SubscriberBlock,
    claim_slices,
    hl_layout,
    transactions_needed,
)
from claims.x12.writer import Envelope, StreamWriter
from service import models as orm
from service.auth.principal import Principal
from service.claims import control, x12_adapter
from service.claims.content import PartWriter
from service.claims.planned import PlannedClaim
from service.claims.record import record_claims
from service.claims.schemas import BatchIn
from service.config import Settings
from service.dbkit import among, bulk_update_by_id, chunks, lock_members, plain_rows, rows_in
from service.models.base import utcnow
from service.profiles import ProfileRegistry
from service.progress import JobProgress, unheard
from service.races import retrying
from service.units.service import readjudicate
from service.units.touched import Touched
from service.validation import StreamValidator


async def create_batch(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    settings: Settings,
    body: BatchIn,
    progress: JobProgress = unheard,
) -> orm.ClaimBatch:
    """``progress(done, total)``, if given, hears the claims written so far (a job's progress);
    a lost race is retried inside the service (service.races) before it becomes a 409."""
    return await retrying(
        session, lambda: _create_batch(session, principal, profiles, settings, body, progress)
    )


async def _create_batch(
    session: AsyncSession,
    principal: Principal,
    profiles: ProfileRegistry,
    settings: Settings,
    body: BatchIn,
    progress: JobProgress,
) -> orm.ClaimBatch:
    payer = await _lock_payer(session, principal, body.payer_id)
    profile = x12_adapter.payer_profile(payer, profiles.get(payer.edi_profile))
    today = datetime.now(UTC).date()
    scope = await _lock_scope(session, body)
    await _expire_untimely(session, payer, profiles, scope, today)
    corrections, left_out = await _plan_corrections(session, scope)
    planned = await _plan_new(session, scope, profile) + corrections
    planned, skipped = await _complete_only(session, planned)
    if not planned:
        raise Conflict(
            f"nothing to bill for payer {body.payer_id}: no billable unclaimed line "
            "and no claimed line whose units changed",
            keep_changes=True,
            code="nothing-to-bill",
        )
    batch = await _issue(session, principal, payer, profile, settings, scope, planned, progress)
    batch.acknowledgment = {
        "summary": {
            **batch.acknowledgment["summary"],
            "skipped": skipped,
            "left_out": [*left_out, *skipped],
        }
    }
    await session.flush()
    return batch


@dataclass(frozen=True, slots=True)
class Scope:
    """What a batch bills: the request's filters and, on PostgreSQL, the members it locked.

    The lines a batch claims are read only after their members are locked (the same locks, in
    the same sorted order, that event writes take), so no event write can change a line
    between the batch's read and its claimed-state write (issue: a claimed line with new units,
    no payer claim number and no hold stopped every later batch). A member that became
    billable after the lock is left for the next batch.
    """

    payer_id: str
    provider_id: str | None
    through_date: date | None
    members: tuple[str, ...] | None  # None: SQLite, one writer at a time, nothing to lock


async def _lock_scope(session: AsyncSession, body: BatchIn) -> Scope:
    if (await session.connection()).dialect.name != "postgresql":
        return Scope(body.payer_id, body.provider_id, body.through_date, None)
    line = orm.UnitLine
    unfiltered = Scope(body.payer_id, body.provider_id, body.through_date, None)
    stmt = (
        select(line.member_id)
        .distinct()
        .where(*_line_filter(unfiltered), or_(and_(*_unclaimed()), *_changed()))
    )
    members = tuple(sorted(m for (m,) in (await session.execute(stmt)).all()))
    await lock_members(session, members)
    return Scope(body.payer_id, body.provider_id, body.through_date, members)


async def _complete_only(
    session: AsyncSession, planned: list[PlannedClaim]
) -> tuple[list[PlannedClaim], list[dict[str, str]]]:
    """Claims whose member lacks what loop 2010BA needs wait, and the answer says which."""
    missing: dict[str, str] = {}
    for part in chunks(sorted({c.member_id for c in planned})):  # a page of members at a time
        found = {
            m.member_id: m for m in await rows_in(session, orm.Member.member_id, part, plain=True)
        }
        for member_id in part:
            lacks = x12_adapter.missing_for_claim(found.get(member_id))
            if lacks is not None:
                missing[member_id] = lacks
    ready, skipped = [], []
    for claim in planned:
        if claim.member_id not in missing:
            ready.append(claim)
        else:
            skipped.append(
                {
                    "member_id": claim.member_id,
                    "month": claim.month,
                    "reason": ReasonCode.MISSING_MEMBER_DATA.value,
                    "detail": f"member lacks {missing[claim.member_id]}",
                }
            )
    return ready, skipped


async def _lock_payer(session: AsyncSession, principal: Principal, payer_id: str) -> orm.Payer:
    # One batch run per payer at a time: the second waits here, then sees the first's claims.
    stmt = select(orm.Payer).where(orm.Payer.payer_id == payer_id).with_for_update()
    payer = (await session.execute(stmt)).scalar_one_or_none()
    if payer is None or not principal.sees_payer(payer_id):
        raise NotFound(f"no payer {payer_id}")
    return payer


def _line_filter(body: Scope) -> list[ColumnElement[bool]]:
    line = orm.UnitLine
    where: list[ColumnElement[bool]] = [line.payer_id == body.payer_id]
    if body.provider_id:
        where.append(line.provider_id == body.provider_id)
    if body.through_date:
        where.append(line.service_date <= body.through_date)
    if body.members is not None:
        where.append(line.member_id == any_(literal(list(body.members), ARRAY(String))))
    return where


def _unclaimed() -> list[ColumnElement[bool]]:
    line = orm.UnitLine
    return [line.claim_id.is_(None), line.status == LineStatus.BILLABLE.value]


def _changed() -> list[ColumnElement[bool]]:
    """A claimed line whose units or charge changed and that is not waiting for the payer's
    claim number. Its status is never ``claimed`` (claims.claimed.line_state): said first, so
    the partial index of such lines (migration 0007) finds them without reading every claim."""
    line = orm.UnitLine
    return [
        and_(
            line.claim_id.is_not(None),
            line.status != LineStatus.CLAIMED.value,
            or_(line.units != line.claimed_units, line.charge != line.claimed_charge),
            or_(
                line.hold_reason.is_(None),
                line.hold_reason != ReasonCode.AWAITING_PAYER_CLAIM_NUMBER,
            ),
        )
    ]


async def _expire_untimely(
    session: AsyncSession, payer: orm.Payer, profiles: ProfileRegistry, body: Scope, today: date
) -> None:
    """The lines this batch would first claim whose date of service is before the payer's
    timely-filing cut-off become ``EXPIRED_LINE``: the core decides both (claims.units.timely,
    docs/billing-rules.md 1.2); this is only the query."""
    cutoff = filing_cutoff(today, profiles.rules_for(payer))
    line = orm.UnitLine
    stmt = select(line).where(*_line_filter(body), *_unclaimed(), line.service_date < cutoff)
    stale = list((await session.execute(stmt)).scalars())
    touched = Touched()
    for row in stale:  # their events, re-adjudicated, say why they will never be billed
        touched.add(row.member_id, row.service_date)
    expired = {
        "status": EXPIRED_LINE.status.value,
        "hold_reason": EXPIRED_LINE.hold_reason.value if EXPIRED_LINE.hold_reason else None,
        "charge": EXPIRED_LINE.charge,
    }
    await bulk_update_by_id(session, orm.UnitLine, [{"id": row.id, **expired} for row in stale])
    if stale:
        await readjudicate(session, touched, profiles)
        # Re-adjudication expires every loaded row; the batch still reads its payer (a batch
        # with both expired and billable lines failed here on the lazy load, a 500).
        await session.refresh(payer)


def _billable_new(body: Scope) -> list[ColumnElement[bool]]:
    return [*_line_filter(body), *_unclaimed(), orm.UnitLine.units > 0]


async def _plan_new(
    session: AsyncSession, body: Scope, profile: PayerProfile
) -> list[PlannedClaim]:
    """Claims from line counts per member, provider and month: no line is loaded yet, so the
    plan of a 50,000-claim batch is 50,000 small records, not 500,000 rows."""
    line = orm.UnitLine
    month = await _month_of(session, line.service_date)
    stmt = (
        select(line.member_id, line.provider_id, month, func.count())
        .where(*_billable_new(body))
        .group_by(line.member_id, line.provider_id, month)
        .order_by(line.member_id, line.provider_id, month)
    )
    per_claim = profile.limits.lines_per_claim
    same: dict[str, str] = {}  # one string per provider and month, not one per claim
    # billing-rules 2: one claim per member, provider and month; at most 50 lines each.
    return [
        PlannedClaim(
            member,
            same.setdefault(provider, provider),
            same.setdefault(month, month),
            Frequency.ORIGINAL.value,
            (),
            offset=start,
            size=size,
        )
        for member, provider, month, count in (await session.execute(stmt)).all()
        for start, size in claim_slices(count, per_claim)
    ]


async def _month_of(session: AsyncSession, column: Any) -> ColumnElement[str]:
    """The "YYYY-MM" of a date column, in the database's own dialect."""
    if (await session.connection()).dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


async def _load_new_lines(session: AsyncSession, body: Scope, claims: list[PlannedClaim]) -> None:
    """The lines of a page's new claims, in the order ``_plan_new`` counted them."""
    wanted = [c for c in claims if c.is_new]
    if not wanted:
        return
    line = orm.UnitLine
    groups: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for match in await among(session, line.member_id, {c.member_id for c in wanted}):
        stmt = (
            select(*line.__table__.columns)  # read-only rows: no ORM bookkeeping
            .where(*_billable_new(body), match)
            .order_by(line.member_id, line.provider_id, line.service_date, line.procedure_key)
        )
        for row in await plain_rows(session, stmt):
            groups[(row.member_id, row.provider_id, row.service_date.isoformat()[:7])].append(row)
    for claim in wanted:
        rows = groups[(claim.member_id, claim.provider_id, claim.month)]
        claim.lines = rows[claim.offset : claim.offset + claim.size]
        if len(claim.lines) != claim.size:  # another request billed or changed them meanwhile
            raise Conflict(
                f"the billable lines of member {claim.member_id} changed; try again",
                code="concurrent-change",
            )


async def _plan_corrections(
    session: AsyncSession, body: Scope
) -> tuple[list[PlannedClaim], list[dict[str, str]]]:
    """A claimed line whose units or charge changed: replace (7) its claim, or void it (8).

    A correction that cannot be written yet (its claim has no payer claim number, REF*F8) is
    left out and named in the answer; the rest of the batch goes on without it."""
    line = orm.UnitLine
    stmt = select(line.claim_id).distinct().where(*_line_filter(body), *_changed())
    changed = sorted(c for (c,) in (await session.execute(stmt)).all() if c is not None)
    planned: list[PlannedClaim] = []
    left_out: list[dict[str, str]] = []
    for original in await rows_in(session, orm.Claim.claim_id, changed):
        if not original.payer_claim_number:
            left_out.append(_left_out(original, ReasonCode.AWAITING_PAYER_CLAIM_NUMBER.value,
                                      "a replacement or void needs the payer claim number "
                                      "(REF*F8), not received yet"))  # fmt: skip
            continue
        current = list(
            (
                await session.execute(
                    select(line)
                    .where(line.claim_id == original.claim_id)
                    .order_by(line.service_date, line.procedure_key)
                )
            ).scalars()
        )
        if any(row.status == LineStatus.HELD.value for row in current):
            continue  # something is missing again: correct once it is whole
        planned.append(await _correction(session, original, current))
    return planned, left_out


def _left_out(original: orm.Claim, reason: str, detail: str) -> dict[str, str]:
    return {
        "claim_id": original.claim_id,
        "member_id": original.member_id,
        "provider_id": original.provider_id,
        "month": original.service_month,
        "reason": reason,
        "detail": detail,
    }


async def _correction(
    session: AsyncSession, original: orm.Claim, current: list[orm.UnitLine]
) -> PlannedClaim:
    billable = [row for row in current if row.units > 0]
    old_lines = list(
        (
            await session.execute(
                select(orm.ClaimLine)
                .where(orm.ClaimLine.claim_id == original.claim_id)
                .order_by(orm.ClaimLine.line_number)
            )
        ).scalars()
    )
    frequency = (Frequency.REPLACEMENT if billable else Frequency.VOID).value
    return PlannedClaim(
        original.member_id,
        original.provider_id,
        original.service_month,
        frequency,
        billable if billable else current,
        replaces=original,
        original_lines=old_lines,
        dropped=[row for row in current if row.units == 0] if billable else [],
    )


async def _issue(
    session: AsyncSession,
    principal: Principal,
    payer: orm.Payer,
    profile: PayerProfile,
    settings: Settings,
    body: Scope,
    planned: list[PlannedClaim],
    progress: JobProgress,
) -> orm.ClaimBatch:
    sender = profile.interchange.isa_sender_id
    per_st = profile.limits.claims_per_transaction
    st_count = transactions_needed(len(planned), profile.limits)
    isa = (await control.draw(session, f"isa:{sender}"))[0]
    gs = (await control.draw(session, f"gs:{sender}"))[0]
    st_numbers = await control.draw(session, f"st:{sender}", st_count)
    claim_ids = await control.claim_ids(session, len(planned))
    for index, (claim, claim_id) in enumerate(zip(planned, claim_ids, strict=True)):
        claim.claim_id = claim_id  # CLM01: unique in the database, 12 characters
        claim.st_number = st_numbers[index // per_st]
    batch = orm.ClaimBatch(
        batch_id=await control.batch_id(session),
        receiver_id=profile.interchange.isa_receiver_id,
        payer_id=payer.payer_id,
        provider_id=body.provider_id,
        through_date=body.through_date,
        sender_id=sender,
        interchange_control_number=isa,
        group_control_number=gs,
        transaction_control_numbers=st_numbers,
        status=BatchStatus.RELEASED.value,
        claim_count=len(planned),
        line_count=0,
        total_charge=Decimal("0.00"),
        created_at=utcnow(),
        created_by=principal.key_id,
        acknowledgment={
            "summary": {
                "replacements": sum(c.frequency == Frequency.REPLACEMENT for c in planned),
                "voids": sum(c.frequency == Frequency.VOID for c in planned),
            }
        },
    )
    batch.content_sha256 = await _write_record_and_check(
        session, profile, settings, body, batch, planned, progress
    )
    session.add(batch)  # last: no claim row refers to it by a foreign key
    await session.flush()
    return batch


# Claims loaded, written, checked (one pyx12 chunk), recorded and stored together: small
# enough that a job's progress moves about every second under load, and that the wait for the
# chunks still in pyx12 after the last page (up to 2 per worker) stays short (docs/jobs.md,
# "Progress"); large enough that a page's statements stay few.
PAGE_CLAIMS = 100


async def _write_record_and_check(
    session: AsyncSession,
    profile: PayerProfile,
    settings: Settings,
    body: Scope,
    batch: orm.ClaimBatch,
    planned: list[PlannedClaim],
    progress: JobProgress,
) -> str:
    """The 837P in pages: each page's lines are loaded, written, fed to the release validation
    (pyx12 starts on a chunk while the next pages are loaded), recorded and stored, then let
    go; the file is released only when every check passed (else the transaction rolls back,
    stored parts included). Returns the file's SHA-256."""
    validator = StreamValidator(settings.validation_processes, chunk_claims=PAGE_CLAIMS)
    writer = StreamWriter(profile)
    stored = PartWriter(session, batch.batch_id)
    envelope = Envelope(
        batch.interchange_control_number, batch.group_control_number, batch.created_at
    )
    done = 0
    await progress(done, len(planned))
    try:
        await _emit(validator, stored, writer.open(envelope))
        providers = await _providers(session, planned)
        per_st = profile.limits.claims_per_transaction
        for index, number in enumerate(batch.transaction_control_numbers):
            await _emit(validator, stored, writer.begin_transaction(number))
            claims = planned[index * per_st : (index + 1) * per_st]
            for page in _pages(claims, profile.limits):
                piece = await _page(session, body, writer, providers, page)
                feeding = asyncio.create_task(asyncio.to_thread(validator.feed, piece))
                await record_claims(session, batch, [c for blocks in page for c in _flat(blocks)])
                await stored.add(piece)
                await feeding
                done += sum(len(_flat(blocks)) for blocks in page)
                await progress(done, len(planned))
            await _emit(validator, stored, writer.end_transaction())
        await _emit(validator, stored, writer.close())
        report = await asyncio.to_thread(validator.finish)
    except BaseException:
        validator.abort()
        raise
    if not report.ok:
        raise ValidationFailed(
            "the generated 837P failed its release checks and was not released",
            [
                (("claim", problem.claim_id or "-", problem.segment_id or "-"), problem.message)
                for problem in report.problems[:50]
            ],
        )
    batch.total_charge = to_money(batch.total_charge)
    return await stored.close()


async def _emit(validator: StreamValidator, stored: PartWriter, text: str) -> None:
    """An envelope piece (a few segments): checked and stored in turn."""
    validator.feed(text)
    await stored.add(text)


Page = list[tuple[str, list[list[PlannedClaim]]]]  # per provider id: its subscriber blocks


def _pages(claims: list[PlannedClaim], limits: ClaimLimits) -> Iterator[Page]:
    """One ST's claims in the file's order (``hl_layout``), about PAGE_CLAIMS at a time; a
    subscriber block is never split."""
    page: Page = []
    count = 0
    for blocks in hl_layout([(c.provider_id, c.member_id) for c in claims], limits):
        provider = claims[blocks[0][0]].provider_id
        for block in blocks:
            if not page or page[-1][0] != provider:
                page.append((provider, []))
            page[-1][1].append([claims[i] for i in block])
            count += len(block)
            if count >= PAGE_CLAIMS:
                yield page
                page, count = [], 0
    if page:
        yield page


def _flat(blocks: tuple[str, list[list[PlannedClaim]]]) -> list[PlannedClaim]:
    return [claim for block in blocks[1] for claim in block]


async def _providers(
    session: AsyncSession, planned: list[PlannedClaim]
) -> dict[str, x12.BillingProvider]:
    rows = await rows_in(session, orm.Provider.provider_id, {c.provider_id for c in planned})
    return {row.provider_id: x12_adapter.provider(row) for row in rows}


async def _page(
    session: AsyncSession,
    body: Scope,
    writer: StreamWriter,
    providers: dict[str, x12.BillingProvider],
    page: Page,
) -> str:
    """Load a page's lines and members, and write its part of the HL tree."""
    claims = [c for blocks in page for c in _flat(blocks)]
    await _load_new_lines(session, body, claims)
    members = {
        m.member_id: x12_adapter.subscriber(m)
        for m in await rows_in(
            session, orm.Member.member_id, {c.member_id for c in claims}, plain=True
        )
    }
    return "".join(
        writer.provider_block(
            ProviderBlock(
                providers[provider_id],
                tuple(
                    SubscriberBlock(
                        members[block[0].member_id],
                        tuple(x12_adapter.claim(c, members[c.member_id], providers[provider_id])
                              for c in block),
                    )
                    for block in blocks
                ),
            )
        )
        for provider_id, blocks in page
    )  # fmt: skip

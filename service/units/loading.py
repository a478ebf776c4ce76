"""What re-adjudication reads and how it runs the engine: each member's days, the kept totals
around them and the reference data, grouped once (``Loaded``), then ``adjudicate_all``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from claims import model as core
from claims.units import adjudicate_member, expire_adjudication
from claims.units.reach import totals
from service import models as orm
from service.models.base import utcnow
from service.profiles import ProfileRegistry
from service.units import convert, counts
from service.units import repository as repo

EXPIRED = core.ReasonCode.TIMELY_FILING_EXPIRED.value


@dataclass
class Loaded:
    """Everything re-adjudication reads, grouped once by the key each member looks it up by
    (a member's lookups are dictionary hits, never scans of the whole batch's rows)."""

    members: dict[str, orm.Member]
    payers: dict[str, orm.Payer]
    events: dict[str, list[orm.ServiceEvent]]
    staff: dict[str, list[orm.Staff]]  # by provider
    reviews: dict[str, list[orm.FidelityReview]]  # by provider
    auths: dict[str, list[orm.Authorization]]  # by member
    eipd: dict[str, list[orm.EipdAuthorization]]  # by member
    fees: dict[str, list[orm.FeeSchedule]]  # by payer
    counters: dict[str, list[tuple[str, str | None, int]]]
    lines: dict[str, list[orm.UnitLine]]
    converted: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    settings: dict[str, core.RuleSettings] = field(default_factory=dict)  # by payer
    kept: dict[str, dict[str, int]] = field(default_factory=dict)  # member: provider: units

    def once(self, kind: str, key: str, build: Callable[[], tuple[Any, ...]]) -> tuple[Any, ...]:
        """Reference rows shared by many members are converted once per re-adjudication."""
        found = self.converted.get((kind, key))
        if found is None:
            found = self.converted[(kind, key)] = build()
        return found


T = TypeVar("T")


def _group(rows: Iterable[T], key: Callable[[T], str]) -> dict[str, list[T]]:
    grouped: dict[str, list[T]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


def adjudicate_all(
    loaded: Loaded, members: Mapping[str, date], profiles: ProfileRegistry
) -> dict[str, core.MemberResult]:
    return {
        member_id: _expire_events(loaded, member_id, _adjudicate(loaded, member_id, profiles))
        for member_id in members
        if member_id in loaded.members
    }


async def load(
    session: AsyncSession,
    members: dict[str, date],
    new_events: Mapping[str, dict[str, Any]],
    known: repo.Known,
    until: Mapping[str, date] | None = None,
    changed: Mapping[str, dict[str, Any]] | None = None,
) -> Loaded:
    """What the members' days from their date on need (through their ``until`` date when
    given, with the units counted after it summed by the database). ``changed`` events are
    read as their new values say (where they are now), not as stored."""
    changed = changed or {}
    member_rows = await repo.members_for(session, members, known)
    payer_ids = {row.payer_id for row in member_rows}
    unstored = [*new_events.values(), *_within(changed.values(), members, until or {})]
    got, whole = await repo.readjudication_reads(session, members, unstored, payer_ids, until)
    stored = [row for row in got["events"] if row.event_id not in changed]
    events = [*stored, *(SimpleNamespace(**values) for values in unstored)]
    if not whole:
        got.update(await repo.provider_reads(session, events, known))
    lines = _group(got["lines"], lambda row: row.member_id)
    later = counts.counted_after(got["later"]) if until else None
    kept: dict[str, dict[str, int]] = {}
    counters = counts.counters_before(got["counters"], lines, later, kept)
    return Loaded(
        members={row.member_id: row for row in member_rows},
        payers={row.payer_id: row for row in got["payers"]},
        events=_group(events, lambda row: row.member_id),
        staff=_group(_staff_of(events, got["staff"], known), lambda row: row.provider_id),
        reviews=_group(
            {row.review_id: row for row in got["reviews"]}.values(), lambda row: row.provider_id
        ),
        auths=_group(got["auths"], lambda row: row.member_id),
        eipd=_group(got["eipd"], lambda row: row.member_id),
        fees=_group(got["fees"], lambda row: row.payer_id),
        counters=counters,
        lines=lines,
        kept=kept,
    )


def _within(
    events: Iterable[dict[str, Any]], members: Mapping[str, date], until: Mapping[str, date]
) -> list[dict[str, Any]]:
    """The events whose member and date are among those read (``load``)."""
    return [
        values
        for values in events
        if (since := members.get(values["member_id"])) is not None
        and since <= values["service_date"] <= until.get(values["member_id"], date.max)
    ]


def _staff_of(events: Iterable[Any], read: Iterable[Any], known: repo.Known) -> list[Any]:
    """The staff rows of the events' (provider, staff) pairs: those the caller knew, then those
    read (a pair read twice, by two of the selects, counts once)."""
    pairs = {(event.provider_id, event.staff_id) for event in events}
    found = {pair: known.staff[pair] for pair in sorted(pairs & known.staff.keys())}
    for row in read:
        found.setdefault((row.provider_id, row.staff_id), row)
    return [row for pair, row in found.items() if pair in pairs]


def _settings(payer: orm.Payer | None, profiles: ProfileRegistry) -> core.RuleSettings:
    return profiles.rules_for(payer)


def payer_settings(loaded: Loaded, payer_id: str, profiles: ProfileRegistry) -> core.RuleSettings:
    found = loaded.settings.get(payer_id)
    if found is None:
        found = loaded.settings[payer_id] = _settings(loaded.payers.get(payer_id), profiles)
    return found


def _context(loaded: Loaded, member_id: str, profiles: ProfileRegistry) -> core.MemberContext:
    row = loaded.members[member_id]
    providers = sorted({event.provider_id for event in loaded.events.get(member_id, ())})
    return core.MemberContext(
        member=convert.member(row),
        settings=payer_settings(loaded, row.payer_id, profiles),
        staff=tuple(s for p in providers for s in _staff(loaded, p)),
        fidelity_reviews=tuple(r for p in providers for r in _reviews(loaded, p)),
        authorizations=tuple(map(convert.authorization, loaded.auths.get(member_id, ()))),
        eipd_authorizations=tuple(map(convert.eipd, loaded.eipd.get(member_id, ()))),
        fee_schedules=loaded.once(
            "fees",
            row.payer_id,
            lambda: tuple(map(convert.fee_schedule, loaded.fees.get(row.payer_id, ()))),
        ),
        counters=counters(loaded, member_id),
    )


def counters(loaded: Loaded, member_id: str) -> core.UnitCounters:
    """The units counted before the member's first date read."""
    kept = {(p, a or ""): units for p, a, units in loaded.counters.get(member_id, ())}
    by_provider, by_authorization = totals(core.UnitCounters(), kept)
    return core.UnitCounters(
        tuple(sorted(by_provider.items())), tuple(sorted(by_authorization.items()))
    )


def _staff(loaded: Loaded, provider_id: str) -> tuple[core.Staff, ...]:
    rows = loaded.staff.get(provider_id, [])
    return loaded.once("staff", provider_id, lambda: tuple(map(convert.staff, rows)))


def _reviews(loaded: Loaded, provider_id: str) -> tuple[core.FidelityReview, ...]:
    rows = loaded.reviews.get(provider_id, [])
    return loaded.once("reviews", provider_id, lambda: tuple(map(convert.fidelity, rows)))


def _adjudicate(loaded: Loaded, member_id: str, profiles: ProfileRegistry) -> core.MemberResult:
    events = [convert.event(row) for row in loaded.events.get(member_id, ())]
    return adjudicate_member(events, _context(loaded, member_id, profiles))


def _expire_events(loaded: Loaded, member_id: str, result: core.MemberResult) -> core.MemberResult:
    """Events on a line whose timely filing ran out (found when a batch first tried it) say so:
    billing-rules 1.2, ``timely_filing_expired`` [excluded]."""
    expired = {
        line_key(row.provider_id, row.service_date, row.procedure_key)
        for row in loaded.lines.get(member_id, ())
        if row.hold_reason == EXPIRED and row.claim_id is None
    }
    if not expired:
        return result
    events = {
        event_id
        for line in result.lines
        if line_key(line.provider_id, line.service_date, line.procedure_key) in expired
        for event_id in line.event_ids
    }
    today = utcnow().date()
    return core.MemberResult(
        tuple(
            expire_adjudication(adj, today) if adj.event_id in events else adj
            for adj in result.adjudications
        ),
        result.lines,
    )


def inputs(loaded: Loaded, member_id: str) -> dict[str, Any]:
    """The reference-data versions an adjudication was computed from (for tracing)."""
    row = loaded.members[member_id]
    payer = loaded.payers.get(row.payer_id)
    providers = {event.provider_id for event in loaded.events.get(member_id, ())}
    return {
        "member_version": row.version,
        "payer_version": payer.version if payer else None,
        "edi_profile": payer.edi_profile if payer else None,
        "authorizations": {a.authorization_id: a.version for a in loaded.auths.get(member_id, ())},
        "eipd_authorizations": {
            a.authorization_id: a.version for a in loaded.eipd.get(member_id, ())
        },
        "fee_schedules": {
            f.effective_from.isoformat(): f.version for f in loaded.fees.get(row.payer_id, ())
        },
        "fidelity_reviews": sorted(
            r.review_id for p in providers for r in loaded.reviews.get(p, ())
        ),
    }


def staff_versions(loaded: Loaded, member_id: str) -> dict[str, int | None]:
    """Each event's staff record version: the staff role decides what its minutes bill, so a
    staff change shows in the trace of every event it reaches (and such an event is written
    again even when its verdict stays the same)."""
    events = loaded.events.get(member_id, ())
    versions = {
        (row.provider_id, row.staff_id): row.version
        for provider_id in {event.provider_id for event in events}
        for row in loaded.staff.get(provider_id, ())
    }
    return {event.event_id: versions.get((event.provider_id, event.staff_id)) for event in events}


def line_key(provider_id: str, service_date: date, procedure_key: str) -> tuple[str, date, str]:
    """A unit line's identity within a member: provider, date and procedure-with-modifiers."""
    return provider_id, service_date, procedure_key

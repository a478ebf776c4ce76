"""Re-adjudication's reads for any set of members' date windows in ONE statement text, on
PostgreSQL (docs/load.md, "Measuring it").

The general reads of ``repository.readjudication_reads`` make a select per distinct window
(first date, last date or none) and combine them (``dbkit.PlainSets``): the text of the combined
statement changed with every mix of windows, and each connection kept every text it met
prepared, so the workers' memory rose for as long as new mixes came (a 30-minute soak: +8 MB a
minute). Here the windows are three arrays (members, first dates, last dates: ``OPEN``, the
last date there is, for "every date from the first"), joined through ``unnest``; the staff and
fidelity reviews of the providers of those events and of the events not stored yet (two more
arrays) come in the same statement, so a re-adjudication needs no second read for them.
SQLite keeps the general reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, any_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service import dbkit
from service import models as orm
from service.units import counts

OPEN = date.max  # the last date of a window without one: no later day, so no ``later`` rows


def _windows() -> Any:
    """``w(member_id, first, last)``: the bound arrays ``w_member_id``, ``w_first``, ``w_last``."""
    day = orm.ServiceEvent.service_date
    return dbkit.unnested("w", member_id=orm.Member.member_id, first=day, last=day)


def _within(model: Any, w: Any) -> Any:
    """The model's rows on its member's dates ``first`` through ``last``: both bound the index
    range (member, date) of the read (a NULL ``last`` tested beside it was a filter, read after
    every later row of the member was fetched)."""
    return and_(
        model.member_id == w.c.member_id,
        model.service_date >= w.c.first,
        model.service_date <= w.c.last,
    )


def _providers(event_columns: Sequence[Any]) -> tuple[Any, Any]:
    """The (provider, staff) pairs, or providers, of the windows' events, and of the new ones
    (``n(provider_id, staff_id)``: the bound arrays ``n_provider_id``, ``n_staff_id``)."""
    event, w = orm.ServiceEvent, _windows()
    stored = select(*event_columns).join_from(event, w, _within(event, w))
    new = dbkit.unnested("n", provider_id=orm.Staff.provider_id, staff_id=orm.Staff.staff_id)
    return stored, select(*(new.c[c.key] for c in event_columns))


def _statement(events: Sequence[str], lines: Sequence[str]) -> dbkit.PlainSets:
    event, line, staff, review = orm.ServiceEvent, orm.UnitLine, orm.Staff, orm.FidelityReview
    w = _windows()
    members = dbkit.array_param("w_member_id", orm.Member.member_id)  # the windows' own
    payers = dbkit.array_param("payers", orm.Payer.payer_id)
    pairs, new_pairs = _providers([event.provider_id, event.staff_id])
    providers, new_providers = _providers([event.provider_id])
    pair = tuple_(staff.provider_id, staff.staff_id)
    later = and_(line.member_id == w.c.member_id, line.service_date > w.c.last)
    by_member = (("counters", orm.UnitCounter), ("auths", orm.Authorization),
                 ("eipd", orm.EipdAuthorization))  # fmt: skip
    by_payer = (("payers", orm.Payer), ("fees", orm.FeeSchedule))
    reads: dict[str, list[Any]] = {
        "events": [select(*dbkit.columns_of(event, events)).join_from(event, w, _within(event, w))],
        "lines": [select(*dbkit.columns_of(line, lines)).join_from(line, w, _within(line, w))],
        "later": [counts.counted_select().join_from(line, w, later)],
        **{
            name: [_all(model).where(model.member_id == any_(members))] for name, model in by_member
        },
        **{name: [_all(model).where(model.payer_id == any_(payers))] for name, model in by_payer},
        "staff": [_all(staff).where(or_(pair.in_(pairs), pair.in_(new_pairs)))],
        "reviews": [
            _all(review).where(
                or_(review.provider_id.in_(providers), review.provider_id.in_(new_providers))
            )
        ],
    }
    return dbkit.PlainSets(reads)


def _all(model: Any) -> Any:
    return select(*model.__table__.columns)


class WindowReads:
    """The statement, built once, and its parameters for each use."""

    def __init__(self, events: Sequence[str], lines: Sequence[str]) -> None:
        self.sets = _statement(events, lines)

    async def run(
        self,
        session: AsyncSession,
        windows: Mapping[str, tuple[date, date | None]],
        new_events: Sequence[Mapping[str, Any]],
        payer_ids: set[str],
    ) -> dict[str, list[Any]]:
        ordered = sorted(windows.items())
        new = sorted({(v["provider_id"], v["staff_id"]) for v in new_events})
        params = {
            "w_member_id": [member for member, _ in ordered],
            "w_first": [first for _, (first, _) in ordered],
            "w_last": [OPEN if last is None else last for _, (_, last) in ordered],
            "payers": sorted(payer_ids),
            "n_provider_id": [provider for provider, _ in new],
            "n_staff_id": [staff for _, staff in new],
        }
        return await self.sets.run(session, params)

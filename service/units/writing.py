"""What re-adjudication writes back: events' verdicts (new events inserted with theirs), unit
lines (their claim history applied, claims.claimed) and the kept totals; rows that come out as
stored are not written (``dbkit.bulk_update_by_id`` with stamps)."""

from __future__ import annotations

import itertools
import secrets
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from claims import model as core
from claims.claimed import ClaimHistory, line_state
from claims.units.reach import counted
from service import dbkit
from service import models as orm
from service.models.base import utcnow
from service.units import counts
from service.units import repository as repo
from service.units.loading import EXPIRED, Loaded, inputs, line_key, staff_versions

Adjudicated = dict[str, dict[str, Any]]  # event_id -> the adjudication columns as written


def reason_json(reason: core.Reason) -> dict[str, Any]:
    return {"code": reason.code.value, "minutes": reason.minutes, "detail": reason.detail}


@lru_cache(maxsize=4096)
def _reasons_json(reasons: tuple[core.Reason, ...]) -> tuple[dict[str, Any], ...]:
    """Most events share a handful of reason sets: one object per set, so it is encoded once
    per write (repository.json_texts). Read-only by convention, like the rows it feeds."""
    return tuple(map(reason_json, reasons))


async def write_events(
    session: AsyncSession,
    loaded: Loaded,
    results: dict[str, core.MemberResult],
    new_events: Mapping[str, dict[str, Any]],
    changed: Mapping[str, dict[str, Any]] | None = None,
) -> Adjudicated:
    now = utcnow()
    values: list[dict[str, Any]] = []
    for member_id, result in results.items():
        trace = inputs(loaded, member_id)
        staff = staff_versions(loaded, member_id)
        for adj in result.adjudications:
            values.append(
                {
                    "event_id": adj.event_id,
                    "status": adj.status.value,
                    "minutes": adj.minutes,
                    "billable_minutes": adj.billable_minutes,
                    "procedure": adj.procedure,
                    "modifiers": adj.modifiers,  # the engine's shared tuples
                    "reasons": _reasons_json(adj.reasons),
                    "adjudication_inputs": {
                        **trace,
                        "event_version": adj.event_version,
                        "staff_version": staff.get(adj.event_id),
                    },
                    "adjudicated_at": now,
                }
            )
    written = {row["event_id"]: row for row in values}
    inserts = [{**new_events[key], **written.get(key, _UNADJUDICATED)} for key in new_events]
    await dbkit.bulk_insert(session, orm.ServiceEvent, inserts)
    changed = changed or {}
    updates = [
        {**changed[row["event_id"]], **row} if row["event_id"] in changed else row
        for row in values
        if row["event_id"] not in new_events
    ]
    # An event whose verdict (and body) comes out as stored is not written again (dbkit: stamps).
    await dbkit.bulk_update_by_id(session, orm.ServiceEvent, updates, stamps=("adjudicated_at",))
    return written


# A new event of a member the engine did not see (none is expected: intake checks members
# first) is still stored, held, never dropped; the next re-adjudication settles it.
_UNADJUDICATED: dict[str, Any] = {
    "status": core.EventStatus.HELD.value,
    "minutes": 0,
    "billable_minutes": 0,
    "procedure": core.PROCEDURE,
    "modifiers": (),
    "reasons": (),
    "adjudication_inputs": {},
    "adjudicated_at": None,
}


async def write_lines(
    session: AsyncSession,
    loaded: Loaded,
    members: dict[str, date],
    results: dict[str, core.MemberResult],
) -> None:
    old_lines = [line for rows in loaded.lines.values() for line in rows]
    numbers = await repo.payer_claim_numbers(
        session, {line.claim_id for line in old_lines if line.claim_id}
    )
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    deletes: list[int] = []
    for member_id in members:
        result = results.get(member_id)
        old = {
            line_key(item.provider_id, item.service_date, item.procedure_key): item
            for item in loaded.lines.get(member_id, ())
        }
        pos = _places(loaded.events.get(member_id, []))
        for line in result.lines if result else ():
            key = line_key(line.provider_id, line.service_date, line.procedure_key)
            values = _line_values(line, pos.get(key[:2], "99"))
            existing = old.pop(key, None)
            if existing is None:
                inserts.append({**values, "line_ref": _new_line_ref(), "claim_id": None})
            else:
                _apply_claim_state(values, existing, numbers)
                updates.append({"id": existing.id, **values})
        for existing in old.values():
            if existing.claim_id is None:
                deletes.append(existing.id)
            else:  # claimed once: keep it at zero so the next batch voids it
                values = _empty_line_values(existing)
                _apply_claim_state(values, existing, numbers)
                updates.append({"id": existing.id, **values})
    await counts.add_to_counters(session, _counter_deltas(loaded, results))
    await repo.delete_lines(session, deletes)
    await dbkit.bulk_update_by_id(session, orm.UnitLine, updates, stamps=("updated_at",))
    await repo.insert_lines(session, inserts)


def _counter_deltas(
    loaded: Loaded, results: dict[str, core.MemberResult]
) -> dict[tuple[str, str, str], int]:
    """How each member's kept totals move: its new lines' counted units minus the old ones'."""
    deltas: dict[tuple[str, str, str], int] = defaultdict(int)
    for member_id, result in results.items():
        for key, units in counted(result.lines).items():
            deltas[(member_id, *key)] += units
        for key, units in counted(loaded.lines.get(member_id, [])).items():
            deltas[(member_id, *key)] -= units
    return deltas


def _places(events: list[orm.ServiceEvent]) -> dict[tuple[str, date], str]:
    # The 837P SV105/CLM05-1 place of service of a line: that of its earliest event.
    places: dict[tuple[str, date], str] = {}
    for row in sorted(events, key=lambda e: (e.service_date, e.start_time, e.event_id)):
        places.setdefault((row.provider_id, row.service_date), row.place_of_service)
    return places


def _line_values(line: core.UnitLine, place_of_service: str) -> dict[str, Any]:
    return {
        "member_id": line.member_id,
        "provider_id": line.provider_id,
        "payer_id": line.payer_id,
        "service_date": line.service_date,
        "procedure_key": line.procedure_key,
        "procedure": line.procedure,
        "modifiers": line.modifiers,
        "minutes": line.minutes,
        "units": line.units,
        "held_units": line.held_units,
        "status": line.status.value,
        "hold_reason": line.hold_reason.value if line.hold_reason else None,
        "event_ids": list(line.event_ids),
        "rate": line.rate,
        "charge": line.charge,
        "authorization_id": line.authorization_id,
        "auth_units": line.auth_units,
        "authorization_draws": [list(d) for d in line.authorization_draws] or None,
        "place_of_service": place_of_service,
        "updated_at": utcnow(),
    }


def _empty_line_values(existing: orm.UnitLine) -> dict[str, Any]:
    return {
        "minutes": 0,
        "units": 0,
        "held_units": 0,
        "status": core.LineStatus.EXCLUDED.value,
        "hold_reason": None,
        "event_ids": [],
        "charge": Decimal("0.00"),
        "auth_units": 0,
        "authorization_id": None,
        "authorization_draws": None,
        "updated_at": utcnow(),
    }


def _apply_claim_state(
    values: dict[str, Any], existing: orm.UnitLine, numbers: dict[str, str | None]
) -> None:
    """The stored line's claim history corrects the engine's verdict (claims.claimed)."""
    history = ClaimHistory(
        claim_id=existing.claim_id,
        claimed_units=existing.claimed_units,
        claimed_charge=existing.claimed_charge,
        payer_claim_number_known=numbers.get(existing.claim_id or "") is not None,
        filing_expired=existing.hold_reason == EXPIRED,
    )
    hold = values["hold_reason"]
    state = line_state(
        core.LineStatus(values["status"]),
        core.ReasonCode(hold) if hold else None,
        values["units"],
        values["charge"],
        history,
    )
    values["status"] = state.status.value
    values["hold_reason"] = state.hold_reason.value if state.hold_reason else None
    values["charge"] = state.charge


_LINE_SEQUENCE = itertools.count()


def _new_line_ref() -> str:
    """The 837P REF*6R line id: unique, and rising with time, so the unique index on it grows
    at its right edge. Fully random refs landed on random pages of an index larger than the
    cache, a read per new line once history was large. Milliseconds, then this process's
    counter, then randomness (so two processes in the same millisecond never meet): 22 chars.
    """
    millis = time.time_ns() // 1_000_000
    count = next(_LINE_SEQUENCE) % 0x10000
    return f"L{millis:011X}{count:04X}{secrets.token_hex(3).upper()}"

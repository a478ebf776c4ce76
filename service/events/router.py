"""Routes of ``/v1/service-events`` (contract, "Service events")."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Query, Request, Response
from sqlalchemy import select

from claims.errors import NotFound
from service import models as orm
from service.auth.principal import Principal, Role
from service.deps import PrincipalDep, SessionDep, note_member, require
from service.errors import status_of
from service.events import service
from service.events.schemas import (
    EXAMPLE,
    BatchOut,
    EventBatchIn,
    EventIn,
    EventOut,
)
from service.pagination import date_range, filtered, paginate
from service.problems import domain_problem, problem_body
from service.schemas_common import CursorQuery, DateQuery, IdPath, LimitQuery, Page

router = APIRouter(prefix="/v1/service-events", tags=["service events"])
WRITERS = require(Role.INTEGRATION)


def event_json(row: orm.ServiceEvent | SimpleNamespace) -> dict[str, Any]:
    """A stored event as EventOut writes it (its fields in its order): the batch answer sends
    this as is (1,000 nested models a batch, built and dumped, were 6% of intake), the other
    routes let their response model check it."""
    return {
        "event_id": row.event_id,
        "member_id": row.member_id,
        "provider_id": row.provider_id,
        "staff_id": row.staff_id,
        "service_date": row.service_date.isoformat(),
        "start_time": row.start_time.strftime("%H:%M"),
        "end_time": row.end_time.strftime("%H:%M"),
        "activity": row.activity,
        "contact": row.contact,
        "setting": row.setting,
        "place_of_service": row.place_of_service,
        "note_id": row.note_id,
        "voided": row.voided,
        "version": row.version,
        "updated_at": row.updated_at,
        "adjudication": {
            "status": row.status,
            "procedure": row.procedure,
            "modifiers": list(row.modifiers),
            "minutes": row.minutes,
            "billable_minutes": row.billable_minutes,
            "reasons": [
                {"code": r["code"], "minutes": r["minutes"], "detail": r["detail"]}
                for r in row.reasons
            ],
        },
    }


def event_out(row: orm.ServiceEvent) -> EventOut:
    return EventOut.model_validate(event_json(row))


def _visible(principal: Principal, row: orm.ServiceEvent | None) -> orm.ServiceEvent:
    if row is None or not principal.sees_record(row.payer_id, row.provider_id):
        raise NotFound("no such service event")
    return row


@router.put(
    "/{event_id}",
    response_model=EventOut,
    status_code=200,
    responses={201: {"model": EventOut, "description": "created"}},
)
async def put_event(
    request: Request,
    response: Response,
    session: SessionDep,
    event_id: Annotated[str, IdPath()],
    body: Annotated[EventIn, Body(openapi_examples={"job search": {"value": EXAMPLE}})],
    principal: Principal = WRITERS,
) -> EventOut:
    outcome = (
        await service.upsert_events(
            session,
            principal,
            request.app.state.profiles,
            [(event_id, body)],
            now=request.app.state.clock(),
        )
    )[0]
    if outcome.error is not None:
        raise outcome.error
    note_member(request, body.member_id)
    response.status_code = 201 if outcome.result == service.CREATED else 200
    if outcome.row is not None:  # what was just written, as the batch route answers it
        return EventOut.model_validate(event_json(SimpleNamespace(**outcome.row)))
    return event_out((await service.load_events(session, [event_id]))[event_id])


@router.post(":batch", response_model=None, responses={200: {"model": BatchOut}})
async def post_batch(
    request: Request, session: SessionDep, body: EventBatchIn, principal: Principal = WRITERS
) -> Response:
    """Up to 1,000 events, each upserted on its own; one result per event, in order.

    The answer is built once and sent as is: re-validating 1,000 nested answers against the
    response model would only repeat the work (the OpenAPI document still describes it).
    """
    parsed = _refuse_repeats([service.parse_batch_item(raw) for raw in body.events])
    valid = [
        (event_id, event)
        for event_id, event, _ in parsed
        if event is not None and event_id is not None
    ]
    state = request.app.state
    done = await service.upsert_in_parts(
        session, principal, state.profiles, valid, state.settings.batch_part_members, state.clock()
    )
    # Only unchanged events are read back: the others answer with what was just written.
    unread = [o.event_id for o in done if o.row is None and o.error is None and o.event_id]
    rows = await service.load_events(session, unread) if unread else {}
    outcomes = iter(done)
    results = [
        _batch_result(event_id, event, errors, outcomes, rows) for event_id, event, errors in parsed
    ]
    counts = Counter(r["result"] for r in results)
    answer = {"results": results, **{key: counts[key] for key in BATCH_COUNTS}}
    # OPT_UTC_Z: a UTC instant ends in "Z", as pydantic writes it for a GET.
    return Response(orjson.dumps(answer, option=orjson.OPT_UTC_Z), media_type="application/json")


BATCH_COUNTS = ("created", "updated", "unchanged", "rejected")  # BatchOut's fields after results
Parsed = tuple[str | None, EventIn | None, list[dict[str, Any]]]


def _refuse_repeats(parsed: list[Parsed]) -> list[Parsed]:
    """An event_id sent twice in one batch: the first copy counts, each later copy is rejected
    alone (which of two different bodies was meant cannot be guessed; docs/input.md)."""
    first: dict[str, int] = {}
    checked: list[Parsed] = []
    for index, (event_id, event, errors) in enumerate(parsed):
        if event is not None and event_id is not None and event_id in first:
            msg = f"event_id {event_id} repeats item {first[event_id]} of this batch"
            checked.append((event_id, None, [{"loc": ["event_id"], "msg": msg}]))
            continue
        if event_id is not None and event is not None:
            first[event_id] = index
        checked.append((event_id, event, errors))
    return checked


def _batch_result(
    event_id: str | None,
    event: EventIn | None,
    errors: list[dict[str, Any]],
    outcomes: Any,
    rows: dict[str, orm.ServiceEvent],
) -> dict[str, Any]:
    """One result as BatchResult writes it. Created and updated events answer with what was
    just written; unchanged ones were read back (test_batch_answers_are_what_a_later_get_returns
    holds both equal to a later GET)."""
    if event is None or event_id is None:
        detail = "the event has field problems: " + "; ".join(str(e["msg"]) for e in errors)
        problem = problem_body(422, detail, errors, code="invalid-input")
        return _result(event_id, 422, "rejected", None, problem)
    outcome: service.Outcome = next(outcomes)
    if outcome.error is not None:
        status = status_of(outcome.error)
        return _result(event_id, status, "rejected", None, domain_problem(outcome.error, status))
    row = SimpleNamespace(**outcome.row) if outcome.row is not None else rows[event_id]
    status = 201 if outcome.result == service.CREATED else 200
    return _result(event_id, status, outcome.result, event_json(row), None)


def _result(
    event_id: str | None,
    status: int,
    result: str,
    event: dict[str, Any] | None,
    problem: dict[str, Any] | None,
) -> dict[str, Any]:
    return {"event_id": event_id, "status": status, "result": result,
            "event": event, "problem": problem}  # fmt: skip


@router.get("/{event_id}", response_model=EventOut)
async def get_event(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    event_id: Annotated[str, IdPath()],
) -> EventOut:
    row = _visible(principal, await session.get(orm.ServiceEvent, event_id))
    note_member(request, row.member_id)
    return event_out(row)


@router.get("", response_model=Page[EventOut])
async def list_events(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    member_id: Annotated[str | None, Query(max_length=64)] = None,
    provider_id: Annotated[str | None, Query(max_length=64)] = None,
    from_: Annotated[DateQuery, Query(alias="from")] = None,
    to: DateQuery = None,
    status: Literal["billable", "partial", "held", "excluded"] | None = None,
) -> Page[EventOut]:
    table = orm.ServiceEvent
    stmt = filtered(
        select(table),
        [
            (table.member_id, member_id),
            (table.provider_id, provider_id),
            (table.status, status),
            (table.payer_id, principal.payer_filter),
            (table.provider_id, principal.provider_filter),
        ],
    )
    stmt = date_range(stmt, table.service_date, from_, to)
    rows, next_cursor = await paginate(session, stmt, [table.event_id], limit, cursor)
    return Page[EventOut](items=[event_out(row) for row in rows], next_cursor=next_cursor)


@router.delete("/{event_id}", response_model=EventOut)
async def delete_event(
    request: Request,
    session: SessionDep,
    event_id: Annotated[str, IdPath()],
    principal: Principal = WRITERS,
) -> EventOut:
    row = await service.void_event(session, principal, request.app.state.profiles, event_id)
    note_member(request, row.member_id)
    return event_out(row)

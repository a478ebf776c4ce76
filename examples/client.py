"""A small typed ipsbill client an integration team can start from (Python 3.11+, httpx).

It posts a day of service events in batches of up to 1,000, each batch with its own
Idempotency-Key that is kept across retries (a lost answer is asked for again, never posted
twice), reads back how each event was adjudicated, and lists the units still held.

    python examples/client.py --api http://127.0.0.1:8000 --key "$KEY" day.json

``day.json`` is a JSON list of events as the contract describes them, each with its
``event_id``; ``--service-date`` sets every event's date (handy for trying it on any day).
Errors are problem+json (docs/errors.md): act on ``code``, show ``detail`` and ``errors``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BATCH_LIMIT = 1000
RETRIES = 5
# Worth sending again (with the same Idempotency-Key): the server said so, or never answered.
RETRY_STATUSES = {429, 502, 503, 504}
RETRY_CODES = {"idempotency-key-in-use", "concurrent-change"}


class ProblemError(Exception):
    """An answer of application/problem+json: ``code`` is for programs, ``detail`` for people."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.code = str(problem.get("code", "unknown"))
        self.detail = str(problem.get("detail", ""))
        self.errors: list[dict[str, Any]] = list(problem.get("errors", []))
        super().__init__(f"{status} {self.code}: {self.detail}")


@dataclass(frozen=True)
class Adjudication:
    event_id: str
    status: str  # billable, partial, held, excluded
    minutes: int
    billable_minutes: int
    reasons: tuple[str, ...]  # reason codes (docs: billing rules)


@dataclass(frozen=True)
class HeldUnit:
    member_id: str
    service_date: str
    procedure: str
    units: int
    event_ids: tuple[str, ...]


@dataclass(frozen=True)
class BatchOutcome:
    created: int
    updated: int
    unchanged: int
    rejected: list[tuple[str | None, str, str]]  # event id, problem code, detail


class IpsbillClient:
    def __init__(self, api: str, key: str, transport: httpx.BaseTransport | None = None) -> None:
        self.http = httpx.Client(
            base_url=api,
            headers={"Authorization": f"Bearer {key}"},
            timeout=httpx.Timeout(120.0, connect=10.0),
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request, sent again on a lost connection or a "try again" answer. A POST
        carries one Idempotency-Key for all its attempts, so a retry never runs it twice."""
        headers = dict(kwargs.pop("headers", {}))
        if method == "POST":
            headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        for attempt in range(RETRIES):
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError:
                if attempt == RETRIES - 1:
                    raise
            else:
                if not _worth_retrying(response) or attempt == RETRIES - 1:
                    return _checked(response)
            time.sleep(min(0.2 * 2**attempt, 5.0))
        raise AssertionError("unreachable")

    def post_events(self, events: Sequence[dict[str, Any]]) -> BatchOutcome:
        created = updated = unchanged = 0
        rejected: list[tuple[str | None, str, str]] = []
        for start in range(0, len(events), BATCH_LIMIT):
            chunk = list(events[start : start + BATCH_LIMIT])
            answer = self.request("POST", "/v1/service-events:batch", json={"events": chunk})
            body = answer.json()
            created, updated = created + body["created"], updated + body["updated"]
            unchanged += body["unchanged"]
            rejected += [
                (r["event_id"], r["problem"]["code"], r["problem"]["detail"])
                for r in body["results"]
                if r["problem"] is not None
            ]
        return BatchOutcome(created, updated, unchanged, rejected)

    def pages(self, path: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        while True:
            query = {**params, "limit": "1000", **({"cursor": cursor} if cursor else {})}
            page = self.request("GET", path, params=query).json()
            yield from page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return

    def adjudications(self, day: str, provider_id: str) -> list[Adjudication]:
        params = {"from": day, "to": day, "provider_id": provider_id}
        return [
            Adjudication(
                event["event_id"],
                event["adjudication"]["status"],
                event["adjudication"]["minutes"],
                event["adjudication"]["billable_minutes"],
                tuple(reason["code"] for reason in event["adjudication"]["reasons"]),
            )
            for event in self.pages("/v1/service-events", params)
        ]

    def held_units(self, member_id: str, day: str) -> list[HeldUnit]:
        rows = self.pages(f"/v1/members/{member_id}/units", {"from": day, "to": day})
        return [
            HeldUnit(
                member_id,
                row["service_date"],
                row["procedure"],
                row["units"],
                tuple(row["event_ids"]),
            )  # fmt: skip
            for row in rows
            if row["status"] == "held"
        ]


def _worth_retrying(response: httpx.Response) -> bool:
    if response.status_code in RETRY_STATUSES:
        return True
    if response.status_code == 409 and _is_problem(response):
        return str(response.json().get("code")) in RETRY_CODES
    return False


def _is_problem(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/problem+json")


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        problem = response.json() if _is_problem(response) else {"detail": response.text[:200]}
        raise ProblemError(response.status_code, problem)
    return response


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="an integration (or admin) API key")
    parser.add_argument("--service-date", help="YYYY-MM-DD for every event of the file")
    parser.add_argument("day", type=Path, help="a JSON list of service events")
    args = parser.parse_args(argv)
    events: list[dict[str, Any]] = json.loads(args.day.read_text(encoding="utf-8"))
    if args.service_date:
        events = [{**event, "service_date": args.service_date} for event in events]
    client = IpsbillClient(args.api, args.key)
    try:
        report(client, events)
    except ProblemError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


def report(client: IpsbillClient, events: list[dict[str, Any]]) -> None:
    outcome = client.post_events(events)
    print(f"posted: {outcome.created} created, {outcome.updated} updated, "
          f"{outcome.unchanged} unchanged, {len(outcome.rejected)} rejected")  # fmt: skip
    for event_id, code, detail in outcome.rejected:
        print(f"  rejected {event_id}: {code}: {detail}")
    days = sorted({(e["service_date"], e["provider_id"]) for e in events})
    for day, provider_id in days:
        for item in client.adjudications(day, provider_id):
            print(f"{item.event_id}: {item.status}, {item.billable_minutes} of {item.minutes} "
                  f"min billable {' '.join(item.reasons)}".rstrip())  # fmt: skip
    for member_id, day in sorted({(e["member_id"], e["service_date"]) for e in events}):
        for unit in client.held_units(member_id, day):
            print(f"held: {unit.member_id} {unit.service_date} {unit.procedure} "
                  f"{unit.units} unit(s), events {', '.join(unit.event_ids)}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

"""Server time of every console page with a large store, on PostgreSQL.

    .venv/bin/python -m bench.console [--events 1000000] [--claims 100000] [--rounds 30]

1. A fresh database ``i17_console_bench`` (migrated), bulk-loaded with COPY: one payer, 50
   providers, 20,000 members, ``--events`` service events with half as many unit lines (5% of
   them held, for the held-units queue), ``--claims`` claims in 100 batches with 5 lines and 2
   history entries each, statuses mixed (paid, denied, rejected, accepted, generated); ANALYZE.
2. The app in this process (``create_app``), a finance console user signed in, each page asked
   for twice untimed, then ``--rounds`` times; p50 and p95 of the time from request to the last
   byte of the answer, per page. Target (issue 17): under 300 ms each.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

import asyncpg
import httpx
import orjson

from bench import pgdb
from service.app import create_app  # noqa: E402
from service.auth.principal import Role  # noqa: E402
from service.config import Settings  # noqa: E402
from service.console import accounts  # noqa: E402
from service.migrate import upgrade  # noqa: E402

NAME = "i17_console_bench"
URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{NAME}"
PROVIDERS, MEMBERS, BATCHES = 50, 20_000, 100
START = date(2025, 1, 1)
NOW = datetime.now(UTC)
STATUSES = ["paid"] * 6 + ["denied", "rejected", "accepted", "generated"]
HOLDS = ["missing_service_note", "no_authorization", "authorization_exhausted",
         "missing_fee_schedule"]  # fmt: skip


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


async def _copy(
    conn: asyncpg.Connection, table: str, columns: list[str], rows: list[tuple]
) -> None:  # type: ignore[type-arg]
    for start in range(0, len(rows), 50_000):
        await conn.copy_records_to_table(
            table, records=rows[start : start + 50_000], columns=columns
        )


async def load(events: int, claims: int) -> None:
    await pgdb.fresh_database(NAME)
    await asyncio.to_thread(upgrade, URL)
    conn = await asyncpg.connect(f"{pgdb.PG}/{NAME}")
    rng = random.Random(17)
    await _reference(conn)
    await _events(conn, events, rng)
    await _claims(conn, claims, rng)
    await conn.execute("VACUUM ANALYZE")  # as autovacuum would: index-only scans possible
    await conn.close()


async def _reference(conn: asyncpg.Connection) -> None:
    await conn.execute(
        "INSERT INTO payers (payer_id, name, kind, edi_profile, timely_filing_days, version,"
        " body_hash, updated_at) VALUES ('BENCH', 'Bench LME', 'lme_mco', 'default', 365, 1,"
        " 'x', now())"
    )
    address = _json({"line1": "1 Main St", "city": "Boone", "state": "NC", "zip": "28607"})
    await _copy(conn, "providers", ["provider_id", "name", "npi", "tax_id", "address", "version",
                                    "body_hash", "updated_at"],
                [(f"P{p:03d}", f"Provider {p}", "1234567893", "561234567", address, 1, "x", NOW)
                 for p in range(PROVIDERS)])  # fmt: skip
    await _copy(conn, "members", ["member_id", "payer_id", "subscriber_id", "first_name",
                                  "last_name", "birth_date", "sex", "diagnoses", "dvr_shared_case",
                                  "act_periods", "version", "body_hash", "updated_at"],
                [(f"M{m:06d}", "BENCH", f"9{m:09d}", "Bench", f"Member{m}", date(1980, 1, 1), "U",
                  '["F33.1"]', False, "[]", 1, "x", NOW) for m in range(MEMBERS)])  # fmt: skip


async def _events(conn: asyncpg.Connection, count: int, rng: random.Random) -> None:
    columns = ["event_id", "member_id", "provider_id", "staff_id", "payer_id", "service_date",
               "start_time", "end_time", "activity", "contact", "setting", "place_of_service",
               "note_id", "voided", "status", "minutes", "billable_minutes", "procedure",
               "modifiers", "reasons", "adjudication_inputs", "version", "body_hash",
               "updated_at"]  # fmt: skip
    rows, lines = [], []
    for n in range(count):
        member = n % MEMBERS
        day = START + timedelta(days=(n // MEMBERS) % 600)
        provider = f"P{member % PROVIDERS:03d}"
        rows.append((f"E{n:08d}", f"M{member:06d}", provider, "S1", "BENCH", day, clock(9),
                     clock(10), "job_search", "in_person", "individual", "99", f"N{n}", False,
                     "billable", 60, 60, "YP630", "[]", "[]", "{}", 1, "x", NOW))  # fmt: skip
        if n % 2 == 0:
            held = rng.random() < 0.05
            lines.append((f"L{n:08d}", f"M{member:06d}", provider, "BENCH", day, "YP630",
                          "YP630", "[]", 60, 0 if held else 4, 4 if held else 0,
                          "held" if held else "billable", _json([f"E{n:08d}"]),
                          Decimal("6.50"), Decimal("0.00") if held else Decimal("26.00"), None,
                          4, "99", NOW, rng.choice(HOLDS) if held else None))  # fmt: skip
    await _copy(conn, "service_events", columns, rows)
    await _copy(conn, "unit_lines", [*pgdb.UNIT_LINE_COLUMNS, "hold_reason"], lines)


async def _claims(conn: asyncpg.Connection, count: int, rng: random.Random) -> None:
    per_batch = max(1, count // BATCHES)
    await _copy(conn, "claim_batches", ["batch_id", "payer_id", "sender_id",
                "interchange_control_number", "group_control_number",
                "transaction_control_numbers", "status", "claim_count", "line_count",
                "total_charge", "content_sha256", "acknowledgment", "created_at"],
                [(f"B{b:09d}", "BENCH", "IPSBILL", b + 1, b + 1, "[1]", "accepted", per_batch,
                  per_batch * 5, Decimal(per_batch * 130), "0" * 64, "{}",
                  NOW - timedelta(days=b)) for b in range(BATCHES)])  # fmt: skip
    claims, lines, history = [], [], []
    for c in range(count):
        member, status = c % MEMBERS, rng.choice(STATUSES)
        claim_id = f"IPS{c + 1:09d}"
        month = (START + timedelta(days=31 * ((c // MEMBERS) % 20))).isoformat()[:7]
        paid = Decimal("130.00") if status == "paid" else Decimal("0.00")
        codes = _json(["CLP02:4", "CO-16"] if status == "denied" else [])
        claims.append((claim_id, f"B{c // per_batch % BATCHES:09d}", f"M{member:06d}",
                       f"P{member % PROVIDERS:03d}", "BENCH", month, "1", 1, Decimal("130.00"),
                       paid, status, codes, NOW))  # fmt: skip
        for n in range(5):
            lines.append((claim_id, n + 1, f"{claim_id}-{n}", 0, date.fromisoformat(month + "-01"),
                          "YP630", "[]", 4, Decimal("26.00"), paid / 5, "[]",
                          _json([f"E{c:08d}"])))  # fmt: skip
        history.append((claim_id, NOW, "generated", "batch"))
        history.append((claim_id, NOW, status, "835 file"))
    await _copy(conn, "claims", ["claim_id", "batch_id", "member_id", "provider_id", "payer_id",
                                 "service_month", "frequency", "transaction_control_number",
                                 "total_charge", "paid_amount", "status", "status_codes",
                                 "created_at"], claims)  # fmt: skip
    line_columns = ["claim_id", "line_number", "line_ref", "unit_line_id", "service_date",
                    "procedure", "modifiers", "units", "charge", "paid_amount", "adjustments",
                    "event_ids"]  # fmt: skip
    await _copy(conn, "claim_lines", line_columns, lines)
    await _copy(conn, "claim_history", ["claim_id", "at", "status", "source"], history)


def pages(claims: int) -> list[str]:
    return [
        "/console",
        "/console/batches",
        "/console/batches/B000000007",
        "/console/claims",
        "/console/claims?q=M000123",
        "/console/claims?q=E00012345",
        "/console/claims?status=denied",
        f"/console/claims/IPS{claims // 2:09d}",
        "/console/queues/denials",
        "/console/queues/held",
        "/console/queues/held?reason=missing_service_note",
        "/console/invoices",
        "/console/claims?format=xlsx",
    ]


async def measure(rounds: int, claims: int) -> None:
    app = create_app(Settings(database_url=URL, validation_workers=1), migrate_embedded=False)
    async with app.router.lifespan_context(app):
        await app.state.validation_pool  # pyx12's worker loads its maps first, not during timing
        async with app.state.sessionmaker() as session, session.begin():
            await accounts.create_user(session, "bench", "bench-password", Role.FINANCE)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            form = (await http.get("/console/login")).text
            found = re.search(r'name="csrf_token" value="([^"]*)"', form)
            token = found.group(1) if found else ""
            form_data = {"username": "bench", "password": "bench-password", "csrf_token": token}
            signed = await http.post("/console/login", data=form_data)
            assert signed.status_code == 303, signed.text
            print(f"{'page':52} {'p50 ms':>8} {'p95 ms':>8}")
            for path in pages(claims):
                times = []
                for attempt in range(rounds + 2):
                    started = time.perf_counter()
                    answer = await http.get(path)
                    elapsed = (time.perf_counter() - started) * 1000
                    assert answer.status_code in (200, 303), (path, answer.status_code)
                    if attempt >= 2:
                        times.append(elapsed)
                p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
                print(f"{path:52} {statistics.median(times):8.1f} {p95:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-load", action="store_true", help="measure the loaded database")
    args = parser.parse_args()
    if not args.no_load:
        started = time.perf_counter()
        asyncio.run(load(args.events, args.claims))
        print(f"loaded {args.events} events, {args.claims} claims in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    asyncio.run(measure(args.rounds, args.claims))


if __name__ == "__main__":
    main()

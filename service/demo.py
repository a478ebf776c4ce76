"""``ipsbill demo``: a synthetic but realistic month, loaded through the real API.

Two providers, a payer with its rates, a dozen members, a month of documented events (with the
usual untidiness: a missing note, a group session, a long day over the cap), milestone
evidence, then a claim batch, the payer's 999/277CA/835 answers and a milestone invoice. Every
record goes through the same routes an LME-MCO integration would use.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from claims.inbound.simulate import (
    RemitAction,
    RemitPlan,
    simulate_277ca,
    simulate_835,
    simulate_999,
)
from claims.milestones.catalog import load_catalog
from service.app import create_app
from service.auth import keys
from service.auth.principal import Role
from service.config import Settings
from service.console import accounts
from service.models import ConsoleUser, Payer
from service.progress import Reporter, steps


def _previous_month(today: date) -> date:
    """The demo month: last calendar month, so its lines are within timely filing."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


MONTH = _previous_month(datetime.now(UTC).date())
PROVIDERS = {
    "DEMO-P1": ("Blue Ridge IPS Team", "1234567893"),
    "DEMO-P2": ("Piedmont Works", "1987654328"),
}
# The sections milestone 1 asks to be detailed: the catalog's, not a copy.
PROFILE_SECTIONS = load_catalog().get("1").thresholds.sections or ()
ACTIVITIES = [
    "job_search",
    "job_development",
    "job_support",
    "career_profile",
    "benefits_counseling",
    "engagement",
]


class Demo:
    def __init__(self, http: httpx.AsyncClient, progress: Reporter) -> None:
        self.http = http
        self.progress = progress

    async def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.put(path, json=body)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"PUT {path}: {response.status_code} {response.text[:200]}")
        result: dict[str, Any] = response.json()
        return result

    async def post(self, path: str, body: Any, content_type: str = "application/json") -> Any:
        if content_type == "application/json":
            response = await self.http.post(path, json=body)
        else:
            response = await self.http.post(
                path, content=body, headers={"Content-Type": content_type}
            )
        if response.status_code >= 400:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    async def reference(self, members: int) -> None:
        await self.put("/v1/payers/DEMO-LME", {"name": "Demo LME-MCO", "kind": "lme_mco"})
        await self.put("/v1/payers/DEMO-DVR", {"name": "NC DVR (EIPD)", "kind": "eipd"})
        await self.put(
            "/v1/fee-schedules/DEMO-LME",
            {"rates": {"YP630": "6.50", "YP630:BC": "6.50"}, "effective_from": "2020-01-01"},
        )
        for provider_id, (name, npi) in PROVIDERS.items():
            await self.put(
                f"/v1/providers/{provider_id}",
                {
                    "name": name,
                    "npi": npi,
                    "tax_id": "561234567",
                    "taxonomy": "251S00000X",
                    "address": {
                        "line1": "100 Main St",
                        "city": "Asheville",
                        "state": "NC",
                        "zip": "288011234",
                    },
                },
            )
            for staff_id, role in (
                ("ESP1", "ESP"),
                ("ESP2", "ESP"),
                ("EPM1", "EPM"),
                ("BC1", "BC"),
            ):
                await self.put(
                    f"/v1/providers/{provider_id}/staff/{staff_id}",
                    {"name": f"Staff {staff_id}", "role": role},
                )
        for index in range(members):
            await self.put(
                f"/v1/members/DEMO-M{index:02d}",
                {
                    "payer_id": "DEMO-LME",
                    "subscriber_id": f"90000{index:04d}",
                    "first_name": "Demo",
                    "last_name": f"Member{index:02d}",
                    "birth_date": f"19{70 + index}-0{1 + index % 9}-15",
                    "sex": "FMU"[index % 3],
                    "address": {
                        "line1": f"{10 + index} Oak St",
                        "city": "Boone",
                        "state": "NC",
                        "zip": "28607",
                    },
                    "diagnoses": [] if index == 11 else ["F33.1", "F41.1"],
                },
            )

    def events(self, members: int, rng: random.Random) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for index in range(members):
            provider = "DEMO-P1" if index % 2 == 0 else "DEMO-P2"
            for day in range(0, 28, 3):
                start = rng.randrange(8 * 60, 15 * 60, 15)
                length = rng.choice([8, 15, 22, 23, 30, 45, 60])
                activity = rng.choice(ACTIVITIES)
                out.append(
                    {
                        "event_id": f"DEMO-E{index:02d}-{day:02d}",
                        "member_id": f"DEMO-M{index:02d}",
                        "provider_id": provider,
                        "staff_id": "BC1" if activity == "benefits_counseling" else "ESP1",
                        "service_date": (MONTH + timedelta(days=day)).isoformat(),
                        "start_time": f"{start // 60:02d}:{start % 60:02d}",
                        "end_time": f"{(start + length) // 60:02d}:{(start + length) % 60:02d}",
                        "activity": activity,
                        "contact": "in_person",
                        "setting": "group" if (index, day) == (3, 6) else "individual",
                        "note_id": None if (index, day) == (5, 9) else f"N-{index}-{day}",
                    }
                )
        out.append(
            {
                "event_id": "DEMO-LONGDAY",
                "member_id": "DEMO-M00",
                "provider_id": "DEMO-P1",
                "staff_id": "ESP2",
                "service_date": (MONTH + timedelta(days=1)).isoformat(),
                "start_time": "07:00",
                "end_time": "16:30",
                "activity": "job_support",
                "contact": "in_person",
                "setting": "individual",
                "note_id": "N-LONG",
            }
        )
        return out


async def run_demo(settings: Settings) -> int:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session, session.begin():
            admin = await keys.create_key(session, Role.ADMIN, name="demo")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {admin.clear_key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://demo", headers=headers, timeout=120
        ) as http:
            with steps("demo", DEMO_STEPS) as progress:
                demo = Demo(http, progress)
                await demo.reference(12)
                progress.step("reference data stored")
                result = await demo.post(
                    "/v1/service-events:batch", {"events": demo.events(12, random.Random(11))}
                )
                progress.step("events stored")
                print(f"events: {result['created']} created, {result['rejected']} rejected")
                await _claims_and_answers(demo)
        password = await _console_user(app)
    print(f"console: sign in at /console as {DEMO_USER}, password {password}")
    print("demo loaded; an admin key for it (shown once):")
    print(admin.clear_key)
    return 0


DEMO_STEPS = 6  # reference, events, claim batch, payer answers, evidence, invoice


DEMO_USER = "demo"


async def _console_user(app: Any) -> str:
    """A finance console user for the demo month, with a fresh password (printed once)."""
    password = secrets.token_urlsafe(12)
    async with app.state.sessionmaker() as session, session.begin():
        existing = await session.get(ConsoleUser, DEMO_USER)
        if existing is not None:
            existing.password_hash = accounts.HASHER.hash(password)
            existing.disabled, existing.failed_sign_ins, existing.paused_until = False, 0, None
        else:
            await accounts.create_user(session, DEMO_USER, password, Role.FINANCE)
    return password


async def database_is_empty(settings: Settings) -> bool:
    """No payer and no console user yet: a fresh embedded database (``ipsbill serve``)."""
    from sqlalchemy import func, select

    from service.db import engine_for

    engine = engine_for(settings)
    try:
        async with engine.connect() as connection:
            payers = (await connection.execute(select(func.count()).select_from(Payer))).scalar()
            users = (
                await connection.execute(select(func.count()).select_from(ConsoleUser))
            ).scalar()
    finally:
        await engine.dispose()
    return not payers and not users


async def _claims_and_answers(demo: Demo) -> None:
    batch = await _batch_as_job(demo)
    demo.progress.step("claim batch made")
    print(
        f"claim batch {batch['batch_id']}: {batch['claim_count']} claims, "
        f"{batch['line_count']} lines, {batch['total_charge']}"
    )
    text = (await demo.http.get(f"/v1/claim-batches/{batch['batch_id']}/837p")).text
    await _payer_answers(demo, text)
    demo.progress.step("payer answers read")
    await _milestones(demo)


async def _batch_as_job(demo: Demo) -> Any:
    """The batch as a job (Prefer: respond-async), its progress shown while it runs."""
    started = await demo.http.post(
        "/v1/claim-batches", json={"payer_id": "DEMO-LME"}, headers={"Prefer": "respond-async"}
    )
    if started.status_code != 202:
        raise RuntimeError(f"claim batch: {started.status_code} {started.text[:300]}")
    while True:
        job = (await demo.http.get(started.headers["location"])).json()
        progress = job["progress"]
        demo.progress.count("claims written", progress["done"], progress["total"])
        if job["state"] == "failed":
            raise RuntimeError(f"claim batch job failed: {job['error']['detail']}")
        if job["state"] == "succeeded":
            return (await demo.http.get(job["result"])).json()
        await asyncio.sleep(0.2)


async def _payer_answers(demo: Demo, text: str) -> None:
    """The payer's side, simulated: a 999, a 277CA and an 835 with the usual mix."""
    claims = sorted(c["claim_id"] for c in (await demo.http.get("/v1/claims")).json()["items"])
    when = datetime.now(UTC)
    plans = {claims[0]: RemitPlan(RemitAction.DENY)} if claims else {}
    answers = [
        simulate_999(text, control_number=9001, created=when),
        simulate_277ca(text, control_number=9002, created=when),
        simulate_835(
            text, control_number=9003, created=when, trace_number="DEMO-EFT-1", plans=plans
        ),
    ]
    for answer in answers:
        result = await demo.post("/v1/edi/inbound", answer.encode(), "application/edi-x12")
        print(f"inbound {result['kind']}: {result['claims_updated']} claims updated")


async def _milestones(demo: Demo) -> None:
    """Career-profile work for one member: milestone 1 earned, then invoiced."""
    for index, section in enumerate(PROFILE_SECTIONS):
        day = (MONTH + timedelta(days=index * 3)).isoformat()  # days with in-person sessions
        await demo.put(
            f"/v1/milestone-evidence/DEMO-CP-{index}",
            {
                "member_id": "DEMO-M00",
                "provider_id": "DEMO-P1",
                "kind": "career_profile_section",
                "date": day,
                "section": section,
            },
        )
    demo.progress.step("milestone evidence stored")
    through = (MONTH + timedelta(days=40)).replace(day=1) - timedelta(days=1)
    invoice = await demo.post(
        "/v1/invoices",
        {"payer_id": "DEMO-LME", "provider_id": "DEMO-P1", "through_date": through.isoformat()},
    )
    demo.progress.step("invoice made")
    print(f"invoice {invoice['invoice_number']}: {invoice['total']}")

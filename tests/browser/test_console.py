"""The console in Chromium, against a real ``ipsbill serve``: the issue-17 flows, axe on every
page, the keyboard alone, and the screenshots the README shows (docs/screenshots/)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from claims.inbound.simulate import PAY_IN_FULL, simulate_835
from service.demo import MONTH
from tests.browser.conftest import (
    FINANCE,
    PROVIDER,
    SCREENSHOTS,
    Server,
    postgres_database,
    start_server,
    stop_server,
)

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def check_axe(page: Any) -> None:
    """No WCAG 2.1 AA violation on the page as shown (axe-core, via axe-playwright-python)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def sign_in(page: Any, server: Server, who: tuple[str, str]) -> None:
    page.goto(f"{server.url}/console")
    assert "/console/login" in page.url  # signed out: sent to the sign-in form
    page.get_by_label("Username").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/console")


def visit(page: Any, url: str, heading: str | re.Pattern[str]) -> None:
    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text() == heading or (
        isinstance(heading, re.Pattern)
        and heading.search(page.get_by_role("heading", level=1).inner_text())
    )
    check_axe(page)


def open_made_batch(page: Any) -> None:
    """Create the batch lands on its job's page, which htmx updates until the batch is made
    (axe checks it while it waits), then links to the batch: follow the link."""
    page.wait_for_url(re.compile(r"/console/jobs/[^/]+$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Making a batch"
    check_axe(page)
    made = page.get_by_role("link", name="Open the batch")
    made.wait_for(timeout=120_000)  # appears by polling alone: no reload here
    assert re.search(r"Done: (\d+) of \1 claims made\.", page.locator("#job-state").inner_text())
    check_axe(page)
    made.click()
    page.wait_for_url(re.compile(r"/console/batches/B\d+$"))


def test_sign_in_with_the_keyboard_alone(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/console")
    check_axe(page)
    for _ in range(10):  # the field has autofocus; else Tab reaches it past the skip link
        if page.evaluate("document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type(FINANCE[0])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(FINANCE[1])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/console")
    assert page.get_by_role("heading", name="Overview").is_visible()


def test_a_wrong_password_is_refused_and_said_plainly(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Username").fill(FINANCE[0])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "The username or password is not right."
    check_axe(page)


def post_unbilled_day(server: Server) -> None:
    """A day the seeded month has not billed (DEMO-M04's sessions fall every third day from the
    1st): the server's batch (bill_and_answer) took all the rest, so this is what a new batch
    bills, whichever tests ran before."""
    event = {
        "event_id": "DEMO-NEW-M04", "member_id": "DEMO-M04", "provider_id": "DEMO-P1",
        "staff_id": "ESP1", "service_date": (MONTH + timedelta(days=1)).isoformat(),
        "start_time": "10:00", "end_time": "10:30", "activity": "job_search",
        "contact": "in_person", "setting": "individual", "note_id": "N-NEW-M04",
    }  # fmt: skip
    with server.api() as api:
        posted = api.post("/v1/service-events:batch", json={"events": [event]})
        assert posted.is_success and posted.json()["created"] == 1, posted.text


def test_finance_previews_creates_and_downloads_a_batch(page: Any, server: Server) -> None:
    post_unbilled_day(server)
    sign_in(page, server, FINANCE)
    visit(page, f"{server.url}/console/batches", "Claim batches")
    page.get_by_label("Payer").select_option("DEMO-LME")
    page.get_by_role("button", name="Preview").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Preview of a new batch"
    previewed = int(page.locator("#preview-claims").inner_text())
    assert previewed > 0
    check_axe(page)
    page.get_by_role("button", name="Create the batch").click()
    open_made_batch(page)
    batch_id = page.url.rsplit("/", 1)[1]
    check_axe(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the 837P").click()
    from_browser = Path(download.value.path()).read_bytes()
    with server.api() as api:
        from_api = api.get(f"/v1/claim-batches/{batch_id}/837p").content
        batch = api.get(f"/v1/claim-batches/{batch_id}").json()
    assert from_browser == from_api
    assert from_browser.startswith(b"ISA*")
    assert int(page.locator("#batch-claims").inner_text()) == batch["claim_count"]


def test_an_835_uploaded_in_the_page_shows_the_claim_paid(
    page: Any, server: Server, tmp_path: Path
) -> None:
    paid_id = server.paid_later_id  # left out of the server's first 835 (bill_and_answer)
    with server.api() as api:
        assert api.get(f"/v1/claims/{paid_id}").json()["status"] != "paid"
    remittance = simulate_835(
        server.text,
        control_number=7001,
        created=datetime.now(UTC),
        trace_number="EFT-TEST-1",
        plans={paid_id: PAY_IN_FULL},
        default=None,  # the batch's other claims were answered already
    )
    upload = tmp_path / "remit.835"
    upload.write_text(remittance)
    sign_in(page, server, FINANCE)
    visit(page, f"{server.url}/console/inbound", "Inbound files")
    page.get_by_label("X12 file from the payer").set_input_files(str(upload))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("#inbound-kind")
    assert page.locator("#inbound-kind").inner_text() == "835"
    assert int(page.locator("#inbound-updated").inner_text()) > 0
    check_axe(page)
    page.get_by_role("link", name=paid_id, exact=True).click()
    assert page.locator("#claim-status").inner_text() == "paid"
    check_axe(page)


def test_an_835_above_the_threshold_is_applied_by_a_job_whose_page_shows_the_outcome(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    """A server of its own on the same database kind, where every file is above the
    threshold (IPSBILL_INBOUND_ASYNC_BYTES=1): the upload lands on the job's page, which htmx
    updates until the job has applied the file, then shows what it matched."""
    url = None if "sqlite" in server.env["IPSBILL_DATABASE_URL"] else postgres_database("async")
    small = start_server(tmp_path, url, inbound_async_bytes="1")
    try:
        small.cli("users", "create", "--role", "finance", "--username", FINANCE[0],
                  "--password-stdin", stdin=FINANCE[1] + "\n")  # fmt: skip
        # The batch's claims are not on this server: the file applies, matching none of them.
        remittance = simulate_835(server.text, control_number=7002, created=datetime.now(UTC),
                                  trace_number="EFT-TEST-2")  # fmt: skip
        upload = tmp_path / "large.835"
        upload.write_text(remittance)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        sign_in(page, small, FINANCE)
        visit(page, f"{small.url}/console/inbound", "Inbound files")
        page.get_by_label("X12 file from the payer").set_input_files(str(upload))
        page.get_by_role("button", name="Upload").click()
        page.wait_for_url(re.compile(r"/console/jobs/[^/]+$"))
        assert page.get_by_role("heading", level=1).inner_text() == "Applying a file"
        check_axe(page)
        page.locator("#inbound-kind").wait_for(timeout=120_000)  # by polling alone: no reload
        assert page.locator("#job-state").inner_text() == "Done: the file is applied."
        assert page.locator("#inbound-kind").inner_text() == "835"
        assert page.locator("#inbound-updated").inner_text() == "0"
        assert page.get_by_role("heading", name="Not matched").is_visible()
        check_axe(page)
        context.close()
    finally:
        stop_server(small)


def test_a_denial_is_worked_into_a_replacement(page: Any, server: Server) -> None:
    denied_id = server.denied_id  # denied by the server's first 835 (bill_and_answer)
    sign_in(page, server, FINANCE)
    visit(page, f"{server.url}/console/queues/denials", "Denials and rejections to work")
    row = page.get_by_role("row").filter(has_text=denied_id)
    assert "lacks information" in row.inner_text()
    assert "Correct what the payer names" in row.inner_text()
    row.get_by_role("link", name=denied_id).click()
    assert page.locator("#claim-status").inner_text() == "denied"
    assert "send the claim again" in page.get_by_role("note", name="What to do").inner_text()
    check_axe(page)
    page.screenshot(path=str(SCREENSHOTS / "claim.png"), full_page=True)
    # The correction arrives the way it would: the provider's system sends the event again.
    with server.api() as api:
        event = api.get("/v1/service-events/DEMO-E00-03").json()
        fields = ("member_id", "provider_id", "staff_id", "service_date", "start_time",
                  "activity", "contact", "setting", "place_of_service", "note_id")  # fmt: skip
        body = {key: event[key] for key in fields}
        hours, minutes = map(int, event["start_time"].split(":"))
        body["end_time"] = f"{hours + 2:02d}:{minutes:02d}"  # two hours, not what was sent
        assert api.put("/v1/service-events/DEMO-E00-03", json=body).status_code == 200
    page.goto(f"{server.url}/console/batches")
    page.get_by_label("Payer").select_option("DEMO-LME")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Create the batch").click()
    open_made_batch(page)
    assert "replacement" in page.get_by_role("table").inner_text()
    page.goto(f"{server.url}/console/claims/{denied_id}")
    replacement = page.locator("#replaced-by").inner_text()
    page.locator("#replaced-by").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Claim {replacement}"
    assert f"replacement of {denied_id}" in page.locator(".facts").inner_text()


def test_every_finance_page_passes_axe(page: Any, server: Server) -> None:
    sign_in(page, server, FINANCE)
    page.wait_for_function(
        "!!window.Chart && !!Chart.getChart(document.getElementById('billed-paid'))"
    )
    check_axe(page)
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)
    visit(page, f"{server.url}/console/claims", "Claims")
    visit(page, f"{server.url}/console/claims?q=DEMO-M01", "Claims")
    visit(page, f"{server.url}/console/queues/held", re.compile("^Held units"))
    visit(
        page,
        f"{server.url}/console/queues/held?reason=missing_service_note",
        re.compile("^Held units"),
    )
    visit(page, f"{server.url}/console/members/DEMO-M00", "Member DEMO-M00: milestones")
    visit(page, f"{server.url}/console/batches/{server.batch_id}", f"Batch {server.batch_id}")
    visit(page, f"{server.url}/console/invoices", "Milestone invoices")
    visit(page, f"{server.url}/console/queues/unmatched", "Unmatched inbound lines")
    visit(page, f"{server.url}/console/queues/remittances", "Remittances held back")
    visit(page, f"{server.url}/console/queues/remittances?status=resolved", "Remittances held back")
    visit(page, f"{server.url}/console/claims/NOPE", "Not done")
    page.set_viewport_size({"width": 820, "height": 1180})  # tablet
    visit(page, f"{server.url}/console", "Overview")
    scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert scroll, "the overview scrolls sideways at tablet width"


def test_finance_records_an_invoice_payment(page: Any, server: Server) -> None:
    sign_in(page, server, FINANCE)
    visit(page, f"{server.url}/console/invoices", "Milestone invoices")
    page.locator("#main tbody th a").first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Invoice ")
    check_axe(page)
    href = page.get_by_role("link", name="Open the PDF").get_attribute("href")
    pdf = page.request.get(f"{server.url}{href}")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    page.get_by_label("Amount").fill("100.00")
    page.get_by_label("Paid on").fill(datetime.now(UTC).date().isoformat())
    page.get_by_label("Reference").fill("EFT-INV-1")
    page.get_by_role("button", name="Record the payment").click()
    assert page.locator("#invoice-paid").inner_text() == "$100.00"
    assert "reference EFT-INV-1" in page.get_by_role("region", name="Payments").inner_text()


def test_exports_are_csv_and_excel(page: Any, server: Server) -> None:
    sign_in(page, server, FINANCE)
    csv = page.request.get(f"{server.url}/console/claims?format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text().splitlines()[0].startswith("claim_id,batch_id,member_id")
    xlsx = page.request.get(f"{server.url}/console/batches?format=xlsx")
    assert xlsx.body()[:2] == b"PK"  # a zip: the xlsx container


def test_a_provider_sees_only_its_own_claims(page: Any, server: Server) -> None:
    sign_in(page, server, PROVIDER)
    check_axe(page)
    visit(page, f"{server.url}/console/claims", "Claims")
    providers = page.locator("#results tbody tr td:nth-child(3)").all_inner_texts()
    assert providers and set(providers) == {"DEMO-P2"}
    with server.api() as api:
        other = api.get("/v1/claims", params={"provider_id": "DEMO-P1"}).json()["items"][0]
    response = page.goto(f"{server.url}/console/claims/{other['claim_id']}")
    assert response is not None and response.status == 404  # exactly as if it did not exist
    assert page.request.get(f"{server.url}/console/batches").status == 403
    visit(page, f"{server.url}/console/queues/denials", "Denials and rejections to work")
    visit(page, f"{server.url}/console/invoices", "Milestone invoices")
    assert page.locator("#main tbody tr").count() == 0  # the invoice is DEMO-P1's
    visit(page, f"{server.url}/console/members", "Members")
    members = page.locator("#main li a").all_inner_texts()
    assert members and all(int(m[-2:]) % 2 == 1 for m in members)  # DEMO-P2 serves odd members
    page.get_by_role("link", name=members[0], exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Member {members[0]}: milestones"
    assert page.locator(".progress li").count() > 0
    check_axe(page)


def test_a_form_without_its_csrf_token_is_refused(page: Any, server: Server) -> None:
    sign_in(page, server, FINANCE)
    refused = page.request.post(
        f"{server.url}/console/batches/preview", form={"payer_id": "DEMO-LME"}
    )
    assert refused.status == 403
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    accepted = page.request.post(
        f"{server.url}/console/batches/preview", form={"payer_id": "DEMO-LME", "csrf_token": token}
    )
    assert accepted.status == 200


def test_an_idle_session_is_signed_out(browser: Any, tmp_path: Path, chromium_path: str) -> None:
    idle = start_server(tmp_path, console_idle_minutes="0.04")  # 2.4 seconds
    try:
        idle.cli("users", "create", "--role", "finance", "--username", "idle",
                 "--password-stdin", stdin="idle-password-1\n")  # fmt: skip
        context = browser.new_context()
        page = context.new_page()
        sign_in(page, idle, ("idle", "idle-password-1"))
        page.goto(f"{idle.url}/console/claims")
        assert "/console/claims" in page.url  # still signed in while active
        time.sleep(3)
        page.goto(f"{idle.url}/console/claims")
        assert "/console/login" in page.url
        context.close()
    finally:
        stop_server(idle)


def test_no_page_loads_anything_from_outside(page: Any, server: Server) -> None:
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))
    sign_in(page, server, FINANCE)
    page.goto(f"{server.url}/docs")
    page.wait_for_selector(".swagger-ui .info")
    assert outside == []
    assert httpx.get(f"{server.url}/console/static/vendor/htmx/htmx.min.js").status_code == 200


pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.slow,  # real servers and a browser
]

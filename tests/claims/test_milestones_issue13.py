"""Issue 13, milestones: dates chain them, no double counting, fidelity and EIPD gates (seed 004).

docs/milestones.md. The "Why" cases of the issue are regression tests here.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from milestone_builders import (
    CATALOG,
    JOB_START,
    MEMBER,
    PROVIDER,
    VR,
    days,
    ev,
    event,
    job_start,
    log,
    progress,
    run,
    weekly_support,
)  # fmt: skip

from claims.milestones import EvidenceKind, MilestoneGates, evaluate_member
from claims.model import Activity, EipdAuthorization, FidelityReview

VR_EV = EvidenceKind.VOCATIONAL_RECOVERY_APPROVED


# --- 1: dates chain the milestones ---------------------------------------------------------------


def test_one_thin_month_does_not_forfeit_5b_5c_and_every_month_of_6() -> None:
    # The case: a single contact in 5-A's window used to forfeit 5-B, 5-C and all of 6.
    evidence = [job_start(), ev(VR_EV, VR)]
    contacts = [event(VR + timedelta(days=k)) for k in (10, 40, 50, 70, 80)]
    monthly = [event(d) for d in (date(2026, 8, 5), date(2026, 9, 9))]
    result = run(evidence, [*contacts, *monthly], today=date(2026, 9, 30))
    assert not result.of("5-A")
    assert [e.earned_on for e in result.of("5-B")] == [VR + timedelta(days=60)]
    assert [e.earned_on for e in result.of("5-C")] == [VR + timedelta(days=90)]
    assert [e.earned_on for e in result.of("6")] == [date(2026, 8, 31), date(2026, 9, 30)]
    assert progress(result, "5-A").missing == (
        f"face-to-face contacts from {(VR + timedelta(days=1)).isoformat()} to "
        f"{(VR + timedelta(days=30)).isoformat()}: 1 of 2",
    )


def test_month_six_starts_with_the_first_month_starting_after_vr_plus_90() -> None:
    vr = date(2026, 5, 2)  # + 90 = 2026-07-31: August is the first month starting after it
    evidence = [job_start(), ev(VR_EV, vr)]
    meetings = [event(d) for d in (date(2026, 7, 31), date(2026, 8, 1))]
    assert [e.earned_on for e in run(evidence, meetings).of("6")] == [date(2026, 8, 31)]
    vr = date(2026, 5, 3)  # + 90 = 2026-08-01: August starts on it, not after it
    result = run([job_start(), ev(VR_EV, vr)], [event(date(2026, 8, 1))])
    assert not result.of("6")


def test_no_vocational_recovery_date_no_month_six() -> None:
    result = run([job_start()], [event(date(2026, 8, 1))])
    assert not result.of("6")
    assert progress(result, "6").missing == ("no vocational-recovery date recorded",)


# --- 2: milestone 4's weeks ----------------------------------------------------------------------


def test_a_job_starting_on_sunday_needs_no_contact_that_sunday() -> None:
    sunday = date(2026, 3, 1)
    vr = sunday + timedelta(days=20)
    support = [event(sunday + timedelta(days=k)) for k in (3, 10, 17)]  # Wednesdays
    result = run([job_start(sunday), ev(VR_EV, vr)], support)
    assert [e.earned_on for e in result.of("4")] == [vr]


def test_week_edges_are_the_seventh_and_eighth_day() -> None:
    vr = JOB_START + timedelta(days=13)
    on_day_7 = [event(JOB_START + timedelta(days=6)), event(JOB_START + timedelta(days=13))]
    assert run([job_start(), ev(VR_EV, vr)], on_day_7).of("4")
    on_day_8 = [event(JOB_START + timedelta(days=7)), event(JOB_START + timedelta(days=13))]
    result = run([job_start(), ev(VR_EV, vr)], on_day_8)
    assert not result.of("4")
    assert JOB_START.isoformat() in progress(result, "4").missing[0]


def test_an_in_person_employer_contact_counts_for_its_week() -> None:
    vr = JOB_START + timedelta(days=13)
    week_1 = event(JOB_START + timedelta(days=2), Activity.EMPLOYER_CONTACT)
    week_2 = log(JOB_START + timedelta(days=9))  # the employer contact log
    assert run([job_start(), ev(VR_EV, vr), week_2], [week_1]).of("4")


# --- 4: no double counting -----------------------------------------------------------------------


def test_a_contact_day_counts_for_3c_of_one_job_only() -> None:
    first, second = job_start(JOB_START), job_start(JOB_START + timedelta(days=1), "Beta")
    contacts = [event(d) for d in days(JOB_START + timedelta(days=1), 3)]
    result = run([first, second], contacts)
    # Every contact day is on or after the second job's start: it is the second job's alone.
    assert [e.job_key for e in result.of("3-C")] == [second.evidence_id]
    contacts.insert(0, event(JOB_START))
    assert len(run([first, second], contacts).of("3-C")) == 1  # 1 day for the first job


def test_service_events_do_not_add_to_the_employer_contact_log() -> None:
    evidence = [log(d) for d in days(date(2026, 2, 2), 11)]
    events = [event(date(2026, 2, 20), Activity.EMPLOYER_CONTACT)]
    assert not run(evidence, events).of("3-B")


def test_one_profile_update_pays_one_advancement() -> None:
    advancements = [ev(EvidenceKind.CAREER_ADVANCEMENT, d, type="promotion")
                    for d in (date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3))]  # fmt: skip
    update = ev(EvidenceKind.CAREER_PROFILE_SIGNED, date(2026, 5, 10))
    result = run([*advancements, update])
    assert [e.earned_on for e in result.of("7")] == [date(2026, 5, 10)]
    assert len(progress(result, "7").missing) == 2
    before = ev(EvidenceKind.CAREER_PROFILE_SIGNED, date(2026, 4, 30))  # before: not "after it"
    assert not run([advancements[0], before]).of("7")


def test_a_profile_update_on_the_advancement_day_or_the_windows_last_day_counts() -> None:
    window = CATALOG.get("7").thresholds.profile_update_window_days or 0
    advancement = ev(EvidenceKind.CAREER_ADVANCEMENT, date(2026, 5, 1), type="promotion")
    for day in (date(2026, 5, 1), date(2026, 5, 1) + timedelta(days=window)):
        update = ev(EvidenceKind.CAREER_PROFILE_SIGNED, day)
        assert [e.earned_on for e in run([advancement, update]).of("7")] == [day]
    late = ev(EvidenceKind.CAREER_PROFILE_SIGNED, date(2026, 5, 2) + timedelta(days=window))
    assert not run([advancement, late]).of("7")


# --- 3 and 5: fidelity and EIPD gates ------------------------------------------------------------


def _gates(score: int | None = None, report: date = VR, asked: date | None = None,
           auths: tuple[EipdAuthorization, ...] = ()) -> MilestoneGates:  # fmt: skip
    reviews = () if score is None else (FidelityReview(PROVIDER, "FR-1", score, report, asked),)
    return MilestoneGates(fidelity_reviews=reviews, eipd_authorizations=auths)


def _recovered_job() -> tuple[list, list]:  # type: ignore[type-arg]
    return [job_start(), ev(VR_EV, VR)], weekly_support(JOB_START, VR)


def _all_eipd(start: date = date(2026, 1, 1)) -> tuple[EipdAuthorization, ...]:
    return tuple(EipdAuthorization(f"EA-{m}", MEMBER, PROVIDER, m, start, None)
                 for m in ("3-A", "3-B", "3-C", "4", "5-A", "5-B", "5-C"))  # fmt: skip


def test_a_milestone_earned_on_the_report_date_of_a_low_review_waits() -> None:
    evidence, events = _recovered_job()
    for report, waits in ((VR, True), (VR + timedelta(days=1), False)):
        result = evaluate_member(
            evidence, events, CATALOG, VR, _gates(73, report, auths=_all_eipd())
        )
        (four,) = result.of("4")
        assert bool(four.waiting) is waits
        if waits:
            assert "fidelity review FR-1 scored 73, below 74" in four.waiting[0]
            assert any(
                "not invoiced" in m and "fidelity" in m for m in progress(result, "4").missing
            )


def test_a_requested_reevaluation_defers_the_milestone_gate_too() -> None:
    evidence, events = _recovered_job()
    gates = _gates(70, VR - timedelta(days=5), asked=VR, auths=_all_eipd())
    (four,) = evaluate_member(evidence, events, CATALOG, VR, gates).of("4")
    assert four.waiting == () and four.eipd_authorization_id == "EA-4"


def test_an_eipd_milestone_without_its_authorization_is_earned_but_waits() -> None:
    evidence, events = _recovered_job()
    late = tuple(a for a in _all_eipd(VR + timedelta(days=1)))  # starts the day after
    result = evaluate_member(evidence, events, CATALOG, VR, _gates(auths=late))
    (four,) = result.of("4")
    assert four.waiting == (f"no EIPD authorization for milestone 4 covering {VR.isoformat()}",)
    assert progress(result, "4").missing[0] == (
        f"occurrence 1 earned on {VR.isoformat()} is not invoiced: no EIPD authorization for "
        f"milestone 4 covering {VR.isoformat()}"
    )
    on_time = evaluate_member(evidence, events, CATALOG, VR, _gates(auths=_all_eipd(VR)))
    assert on_time.of("4")[0].waiting == ()


def test_progress_names_every_reason_at_once() -> None:
    evidence, events = _recovered_job()
    result = evaluate_member(evidence, events, CATALOG, VR, _gates(60, JOB_START))
    (four,) = result.of("4")
    assert len(four.waiting) == 2
    assert "fidelity review" in four.waiting[0] and "EIPD authorization" in four.waiting[1]


# --- the new property: one occurrence per countable contact -------------------------------------

_START = date(2026, 2, 1)
_dates = st.integers(0, 200).map(lambda n: _START + timedelta(days=n))


@st.composite
def _records(draw: st.DrawFn) -> tuple[list, list]:  # type: ignore[type-arg]
    evidence = [job_start(d, e) for d, e in draw(st.lists(st.tuples(_dates, st.sampled_from("AB")),
                                                          max_size=3))]  # fmt: skip
    evidence += [ev(VR_EV, d) for d in draw(st.lists(_dates, max_size=2))]
    evidence += [log(d, e) for d, e in draw(st.lists(st.tuples(_dates, st.sampled_from("XYZ")),
                                                     max_size=40))]  # fmt: skip
    evidence += [ev(EvidenceKind.CAREER_ADVANCEMENT, d, type="promotion")
                 for d in draw(st.lists(_dates, max_size=4))]  # fmt: skip
    evidence += [
        ev(EvidenceKind.CAREER_PROFILE_SIGNED, d) for d in draw(st.lists(_dates, max_size=3))
    ]
    kinds = st.sampled_from([Activity.JOB_SUPPORT, Activity.EMPLOYER_CONTACT, Activity.JOB_SEARCH])
    events = [event(d, k) for d, k in draw(st.lists(st.tuples(_dates, kinds), max_size=60))]
    return evidence, events


@given(_records())
@settings(max_examples=150, deadline=None)
def test_evidence_never_earns_more_than_one_occurrence_per_countable_contact(
    records: tuple[list, list],  # type: ignore[type-arg]
) -> None:
    evidence, events = records
    result = run(evidence, events, today=date(2026, 12, 31))
    by_id = {e.evidence_id: e for e in evidence}
    for m in CATALOG.milestones:
        seen_events: set[str] = set()
        seen_log: set[tuple[date, str | None]] = set()
        seen_days: set[date] = set()
        for occurrence in result.of(m.id):
            assert not seen_events & set(occurrence.event_ids), m.id
            seen_events |= set(occurrence.event_ids)
            contacts = [by_id[i] for i in occurrence.evidence_ids
                        if by_id[i].kind is EvidenceKind.EMPLOYER_CONTACT]  # fmt: skip
            keys = {(c.date, c.text("employer")) for c in contacts}
            assert len(keys) == len(contacts) and not seen_log & keys, m.id
            seen_log |= keys
            if m.id in ("3-C",):  # a contact day pays one job's 3-C only
                event_days = {e.service_date for e in events if e.event_id in occurrence.event_ids}
                assert not seen_days & event_days
                seen_days |= event_days
        updates = [i for o in result.of("7") for i in o.evidence_ids
                   if by_id[i].kind is EvidenceKind.CAREER_PROFILE_SIGNED]  # fmt: skip
        assert len(updates) == len(set(updates))


def test_the_latest_starting_covering_authorization_is_the_occurrences() -> None:
    # docs/milestones.md, "Earned but waiting": the occurrence carries the EIPD authorization of
    # its milestone, member and provider covering the earned date; when several overlap, the
    # latest starting, on equal starts the greatest id, whatever order they come in.
    evidence, events = _recovered_job()

    def four(auths: tuple[EipdAuthorization, ...]) -> str | None:
        (occurrence,) = evaluate_member(evidence, events, CATALOG, VR, _gates(auths=auths)).of("4")
        assert occurrence.waiting == ()
        return occurrence.eipd_authorization_id

    def auth(ident: str, start: date, provider: str = PROVIDER) -> EipdAuthorization:
        return EipdAuthorization(ident, MEMBER, provider, "4", start, None)

    overlapping = (
        auth("EA-9", date(2026, 1, 1)),
        auth("EA-1", VR - timedelta(days=3)),
        auth("EA-5", date(2026, 2, 1)),
        auth("EA-0", VR, provider="P-09"),  # another provider's: not this occurrence's
    )
    assert four(overlapping) == four(overlapping[::-1]) == "EA-1"
    same_start = (auth("EA-2", VR), auth("EA-3", VR))
    assert four(same_start) == four(same_start[::-1]) == "EA-3"

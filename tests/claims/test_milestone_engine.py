"""The milestone engine at each milestone's boundary (seed 004, billing-rules.md 3)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.errors import InvalidInput
from claims.milestones import (
    EvidenceKind,
    MemberMilestones,
    MilestoneEvidence,
    MilestoneProgress,
    evaluate_member,
    load_catalog,
)
from claims.model import Activity, Contact, ServiceEvent, Setting

CATALOG = load_catalog()
TODAY = date(2026, 12, 31)
MEMBER = "M-1001"
PROVIDER = "P-01"
JOB_START = date(2026, 3, 4)  # a Wednesday
VR = date(2026, 4, 15)  # a Wednesday, six weeks later
_ids = itertools.count(1)

INITIAL = CATALOG.get("1").thresholds.sections or ()
ALL_SECTIONS = CATALOG.get("2").thresholds.sections or ()


def ev(kind: EvidenceKind, day: date, **fields: str | bool | int) -> MilestoneEvidence:
    return MilestoneEvidence(f"E{next(_ids):05d}", MEMBER, PROVIDER, kind, day, dict(fields))


def event(
    day: date,
    activity: Activity = Activity.JOB_SUPPORT,
    contact: Contact = Contact.IN_PERSON,
    setting: Setting = Setting.INDIVIDUAL,
    voided: bool = False,
) -> ServiceEvent:
    return ServiceEvent(
        f"V{next(_ids):05d}", MEMBER, PROVIDER, "S-1", day, time(9), time(10), activity, contact,
        setting, note_id="N", voided=voided,
    )  # fmt: skip


def run(
    evidence: list[MilestoneEvidence],
    events: Sequence[ServiceEvent] = (),
    today: date = TODAY,
) -> MemberMilestones:
    return evaluate_member(evidence, events, CATALOG, today)


def progress(result: MemberMilestones, milestone: str) -> MilestoneProgress:
    return next(p for p in result.progress if p.milestone == milestone)


def days(start: date, count: int, step: int = 1) -> list[date]:
    return [start + timedelta(days=step * i) for i in range(count)]


def job_start(day: date = JOB_START, employer: str = "Acme") -> MilestoneEvidence:
    return ev(EvidenceKind.JOB_START, day, employer=employer, position="Clerk",
              hours_per_week=20, hourly_wage="15.00")  # fmt: skip


def weekly_support(first: date, last: date) -> list[ServiceEvent]:
    """One face-to-face job-support contact on the first day of each 7-day week from ``first``."""
    return [event(first + timedelta(days=7 * k)) for k in range((last - first).days // 7 + 1)]


def log(day: date, employer: str = "X", face_to_face: bool = True) -> MilestoneEvidence:
    """An entry of the employer contact log."""
    return ev(EvidenceKind.EMPLOYER_CONTACT, day, employer=employer, contact_name="HR",
              face_to_face=face_to_face)  # fmt: skip


# --- 3-A Job Search ---------------------------------------------------------------------------


@pytest.mark.parametrize(("applications", "earned"), [(14, 0), (15, 1)])
def test_job_search_needs_fifteen_applications(applications: int, earned: int) -> None:
    apps = [ev(EvidenceKind.JOB_APPLICATION, d, employer="X", position="Y", method="online")
            for d in days(date(2026, 2, 1), applications)]  # fmt: skip
    result = run(apps)
    assert len(result.of("3-A")) == earned
    if earned:
        assert result.of("3-A")[0].earned_on == date(2026, 2, 15)
        assert result.of("3-A")[0].evidence_ids == tuple(a.evidence_id for a in apps)
        assert result.of("3-A")[0].amount == CATALOG.get("3-A").amount
    else:
        assert "job applications since the last 3-A: 14 of 15" in progress(result, "3-A").missing[0]


def test_job_search_earned_by_job_start_after_a_search_activity() -> None:
    searched = run([job_start()], [event(JOB_START - timedelta(days=3), Activity.JOB_SEARCH)])
    assert [e.earned_on for e in searched.of("3-A")] == [JOB_START]
    assert not run([job_start()]).of("3-A")
    # A voided search does not count either.
    voided = event(JOB_START - timedelta(days=3), Activity.JOB_SEARCH, voided=True)
    assert not run([job_start()], [voided]).of("3-A")


@given(applications=st.integers(0, 80), approvals=st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_job_search_occurrences_follow_the_count(applications: int, approvals: int) -> None:
    apps = [ev(EvidenceKind.JOB_APPLICATION, date(2026, 1, 1) + timedelta(days=i),
               employer="X", position="Y", method="mail") for i in range(applications)]  # fmt: skip
    okays = [ev(EvidenceKind.APPROVAL, date(2025, 12, 1), milestone="3-A")] * approvals
    okays = [ev(EvidenceKind.APPROVAL, date(2025, 12, 1), milestone="3-A") for _ in okays]
    earned = run(apps + okays).of("3-A")
    complete = applications // 15
    assert len(earned) == min(complete, 2 + approvals)
    assert [e.occurrence for e in earned] == list(range(1, len(earned) + 1))
    assert [e.earned_on for e in earned] == [
        apps[15 * k - 1].date for k in range(1, len(earned) + 1)
    ]


def test_third_job_search_needs_approval() -> None:
    apps = [ev(EvidenceKind.JOB_APPLICATION, d, employer="X", position="Y", method="online")
            for d in days(date(2026, 1, 1), 45)]  # fmt: skip
    refused = run(apps)
    assert len(refused.of("3-A")) == 2
    assert progress(refused, "3-A").missing == ("occurrence 3 of 3-A needs approval evidence",)
    approval = ev(EvidenceKind.APPROVAL, date(2026, 3, 1), milestone="3-A")
    approved = run([*apps, approval])
    assert [e.occurrence for e in approved.of("3-A")] == [1, 2, 3]
    # The 45th application (2026-02-14) completed it, but the approval came later: earned then.
    assert approved.of("3-A")[2].earned_on == date(2026, 3, 1)
    assert approval.evidence_id in approved.of("3-A")[2].evidence_ids
    # An approval of the other milestone does not help.
    other = ev(EvidenceKind.APPROVAL, date(2026, 1, 2), milestone="3-B")
    assert len(run([*apps, other]).of("3-A")) == 2


# --- 3-B Employer Networking ------------------------------------------------------------------


@pytest.mark.parametrize(("contacts", "earned"), [(11, 0), (12, 1)])
def test_employer_networking_needs_twelve_face_to_face_contacts(contacts: int, earned: int) -> None:
    # The employer contact log counts; non-face-to-face entries never do, and service events do
    # not add to the log (issue 13, point 4).
    dates = days(date(2026, 2, 2), contacts)
    evidence = [log(d) for d in dates] + [log(date(2026, 2, 1), face_to_face=False)]
    events = [event(d, Activity.EMPLOYER_CONTACT) for d in days(date(2026, 1, 2), 12)]
    result = run(evidence, events)
    assert len(result.of("3-B")) == earned
    if earned:
        assert result.of("3-B")[0].earned_on == dates[-1]
        assert not result.of("3-B")[0].event_ids
    else:
        assert (
            progress(result, "3-B")
            .missing[0]
            .startswith("face-to-face contacts in the employer contact log: 11 of 12")
        )


def test_employer_networking_counts_each_employer_once_a_day() -> None:
    # Two entries for one employer on one day are one contact; two employers that day are two.
    same_day = [log(d) for d in days(date(2026, 2, 2), 6) for _ in range(2)]
    assert not run(same_day).of("3-B")
    assert (
        progress(run(same_day), "3-B")
        .missing[0]
        .startswith("face-to-face contacts in the employer contact log: 6 of 12")
    )
    two_employers = [log(d, employer) for d in days(date(2026, 2, 2), 6) for employer in "XY"]
    assert [e.earned_on for e in run(two_employers).of("3-B")] == [date(2026, 2, 7)]


def test_employer_networking_job_start_shortcut() -> None:
    contact = log(JOB_START - timedelta(days=10))
    result = run([job_start(), contact])
    assert [(e.earned_on, e.evidence_ids) for e in result.of("3-B")] == [
        (JOB_START, (contact.evidence_id, result.of("3-B")[0].evidence_ids[1]))
    ]
    assert not run([job_start()]).of("3-B")
    # A service event is not the log: it does not open the shortcut either.
    assert not run([job_start()], [event(JOB_START - timedelta(days=3),
                                         Activity.EMPLOYER_CONTACT)]).of("3-B")  # fmt: skip
    # A contact after the job start is not "since the last 3-B" at the time of that start.
    assert not run([job_start(), log(JOB_START + timedelta(days=1))]).of("3-B")


# --- 3-C Job Placement + 3 Days Support --------------------------------------------------------


def test_job_placement_needs_three_different_days() -> None:
    two_days = [event(JOB_START), event(JOB_START, Activity.CAREER_PROFILE),
                event(JOB_START + timedelta(days=2))]  # fmt: skip
    result = run([job_start()], two_days)
    assert not result.of("3-C")
    assert progress(result, "3-C").missing == (
        "in-person contact days since the job start on 2026-03-04: 2 of 3",
    )
    third = event(JOB_START + timedelta(days=5))
    earned = run([job_start()], [*two_days, third]).of("3-C")
    assert [(e.earned_on, e.job_key) for e in earned] == [(third.service_date, earned[0].job_key)]


def test_job_placement_counts_from_the_first_workday() -> None:
    before = [event(JOB_START - timedelta(days=1)), event(JOB_START + timedelta(days=1)),
              event(JOB_START + timedelta(days=2))]  # fmt: skip
    assert not run([job_start()], before).of("3-C")
    on_first = [event(JOB_START), *before[1:]]
    assert [e.earned_on for e in run([job_start()], on_first).of("3-C")] == [
        JOB_START + timedelta(2)
    ]


def test_job_placement_ignores_phone_group_and_employer_contacts() -> None:
    others = [event(JOB_START + timedelta(days=1), contact=Contact.PHONE),
              event(JOB_START + timedelta(days=2), setting=Setting.GROUP),
              event(JOB_START + timedelta(days=3), Activity.EMPLOYER_CONTACT)]  # fmt: skip
    assert not run([job_start()], [event(JOB_START), *others]).of("3-C")


def test_job_placement_once_per_job() -> None:
    second_start = date(2026, 8, 3)
    contacts = [event(d) for d in days(JOB_START, 3) + days(second_start, 4)]
    ended = ev(EvidenceKind.JOB_END, date(2026, 7, 1))
    earned = run([job_start(), ended, job_start(second_start, "Beta")], contacts).of("3-C")
    assert [(e.occurrence, e.earned_on) for e in earned] == [
        (1, JOB_START + timedelta(days=2)), (2, second_start + timedelta(days=2))
    ]  # fmt: skip


# --- 4 Job Support and Vocational Recovery ------------------------------------------------------


def test_job_support_earned_with_a_contact_every_week() -> None:
    vr = ev(EvidenceKind.VOCATIONAL_RECOVERY_APPROVED, VR)
    result = run([job_start(), vr], weekly_support(JOB_START, VR))
    assert [e.earned_on for e in result.of("4")] == [VR]
    assert vr.evidence_id in result.of("4")[0].evidence_ids


def test_job_support_missing_week_names_the_week() -> None:
    support = [e for e in weekly_support(JOB_START, VR) if not date(2026, 3, 23) <= e.service_date
               <= date(2026, 3, 29)]  # fmt: skip
    result = run([job_start(), ev(EvidenceKind.VOCATIONAL_RECOVERY_APPROVED, VR)], support)
    assert not result.of("4")
    assert progress(result, "4").missing == (
        "no face-to-face contact with the individual or the employer in the week 2026-03-25 to "
        "2026-03-31",
    )


def test_job_support_needs_the_recovery_date() -> None:
    result = run([job_start()], weekly_support(JOB_START, VR))
    assert not result.of("4")
    assert "no vocational-recovery date" in progress(result, "4").missing[0]


# --- 5-A / 5-B / 5-C ---------------------------------------------------------------------------


def _recovered() -> tuple[list[MilestoneEvidence], list[ServiceEvent]]:
    evidence = [job_start(), ev(EvidenceKind.VOCATIONAL_RECOVERY_APPROVED, VR)]
    return evidence, weekly_support(JOB_START, VR)


@pytest.mark.parametrize(
    ("offsets", "earned"),
    [
        ((10, 30), True),  # both in (VR, VR+30]; the window's last day counts
        ((0, 10), False),  # the VR day itself belongs to milestone 4, not to the window
        ((10, 31), False),  # day 31 is 5-B's window
        ((10, 10), False),  # two notes of one day are one contact
    ],
)
def test_vr_plus_30_counts_contacts_in_its_window(offsets: tuple[int, int], earned: bool) -> None:
    evidence, events = _recovered()
    events = [e for e in events if e.service_date < VR]  # keep VR-day contact out unless asked
    events.append(event(VR - timedelta(days=1)))  # the VR week is covered either way
    contacts = [event(VR + timedelta(days=k), Activity.CAREER_ADVANCEMENT) for k in offsets]
    result = run(evidence, [*events, *contacts])
    assert bool(result.of("5-A")) is earned
    if earned:
        assert result.of("5-A")[0].earned_on == VR + timedelta(days=30)
    else:
        assert (
            "face-to-face contacts from 2026-04-16 to 2026-05-15"
            in progress(result, "5-A").missing[0]
        )


def test_vr_plus_series_and_job_end() -> None:
    evidence, events = _recovered()
    contacts = [event(VR + timedelta(days=k)) for k in (5, 20, 35, 50, 65, 80)]
    full = run(evidence, [*events, *contacts])
    assert [(e.milestone, e.earned_on) for e in full.earned if e.milestone.startswith("5")] == [
        ("5-A", VR + timedelta(30)), ("5-B", VR + timedelta(60)), ("5-C", VR + timedelta(90))
    ]  # fmt: skip
    ended = ev(EvidenceKind.JOB_END, VR + timedelta(days=70))
    cut = run([*evidence, ended], [*events, *contacts])
    assert [e.milestone for e in cut.earned if e.milestone.startswith("5")] == ["5-A", "5-B"]
    assert "job ended on" in progress(cut, "5-C").missing[0]
    early = run(evidence, [*events, *contacts], today=VR + timedelta(days=45))
    assert [e.milestone for e in early.earned if e.milestone.startswith("5")] == ["5-A"]


def test_vr_plus_30_does_not_need_milestone_4() -> None:
    # Issue 13, point 1: dates chain the milestones, not payments.
    evidence = [job_start(), ev(EvidenceKind.VOCATIONAL_RECOVERY_APPROVED, VR)]
    contacts = [event(VR + timedelta(days=k)) for k in (5, 20)]
    result = run(evidence, contacts)  # no weekly support: 4 is not earned
    assert not result.of("4")
    assert [e.earned_on for e in result.of("5-A")] == [VR + timedelta(days=30)]


# --- 6 Long-Term Job Retention -----------------------------------------------------------------


def _retained(monthly: list[date], today: date = TODAY) -> MemberMilestones:
    evidence, events = _recovered()
    contacts = [event(VR + timedelta(days=k)) for k in (5, 20, 35, 50, 65, 80)]  # 5-C 2026-07-14
    return run(evidence, [*events, *contacts, *(event(d) for d in monthly)], today)


def test_long_term_retention_month_earned_and_not() -> None:
    result = _retained([date(2026, 8, 12), date(2026, 10, 3)])
    # Months start after 5-C's month (July): August has a meeting, September none, October one.
    assert [e.earned_on for e in result.of("6")] == [date(2026, 8, 31), date(2026, 10, 31)]
    assert [e.occurrence for e in result.of("6")] == [1, 2]
    assert result.of("6")[0].amount == CATALOG.get("6").amount


def test_long_term_retention_month_must_have_ended() -> None:
    result = _retained([date(2026, 8, 12)], today=date(2026, 8, 30))
    assert not result.of("6")
    assert "month 2026-08 not yet ended" in progress(result, "6").missing
    assert [e.earned_on for e in _retained([date(2026, 8, 12)], date(2026, 8, 31)).of("6")] == [
        date(2026, 8, 31)
    ]


def test_long_term_retention_needs_employment_through_the_month() -> None:
    evidence, events = _recovered()
    contacts = [event(VR + timedelta(days=k)) for k in (5, 20, 35, 50, 65, 80)]
    ended = ev(EvidenceKind.JOB_END, date(2026, 8, 20))
    result = run([*evidence, ended], [*events, *contacts, event(date(2026, 8, 12))])
    assert not result.of("6")


# --- 7, 8, 9 and the career profile ------------------------------------------------------------


def test_career_advancement_capped_at_three_and_needs_profile_update() -> None:
    dates = days(date(2026, 2, 1), 5, step=40)
    evidence = [ev(EvidenceKind.CAREER_ADVANCEMENT, d, type="promotion") for d in dates]
    evidence += [ev(EvidenceKind.CAREER_PROFILE_SECTION, d + timedelta(days=3),
                    section="employment_goal") for d in dates]  # fmt: skip
    result = run(evidence)
    assert [e.earned_on for e in result.of("7")] == [d + timedelta(days=3) for d in dates[:3]]
    assert progress(result, "7") == type(progress(result, "7"))("7", True, ())
    lonely = run([ev(EvidenceKind.CAREER_ADVANCEMENT, date(2026, 2, 1), type="new_title")])
    assert not lonely.of("7")
    missing = progress(lonely, "7").missing[0]
    assert "career-profile update of its own within 30 days after" in missing


def test_educational_advancement_capped_at_three() -> None:
    reports = [ev(EvidenceKind.EDUCATION_REPORT, d, document="grade_report")
               for d in days(date(2026, 1, 15), 4, step=90)]  # fmt: skip
    assert [e.occurrence for e in run(reports).of("8")] == [1, 2, 3]
    assert [e.earned_on for e in run(reports[:2]).of("8")] == [r.date for r in reports[:2]]


def test_independence_once_and_only_with_goals_met() -> None:
    plans = [ev(EvidenceKind.INDEPENDENCE_PLAN, date(2026, 5, 1), goals_met=False),
             ev(EvidenceKind.INDEPENDENCE_PLAN, date(2026, 6, 1), goals_met=True),
             ev(EvidenceKind.INDEPENDENCE_PLAN, date(2026, 7, 1), goals_met=True)]  # fmt: skip
    assert [e.earned_on for e in run(plans).of("9")] == [date(2026, 6, 1)]
    assert not run(plans[:1]).of("9")


def _profile(in_person: bool) -> tuple[list[MilestoneEvidence], list[ServiceEvent]]:
    when = days(date(2026, 1, 5), len(ALL_SECTIONS))
    sections = [ev(EvidenceKind.CAREER_PROFILE_SECTION, d, section=s)
                for d, s in zip(when, ALL_SECTIONS, strict=True)]  # fmt: skip
    signed = ev(EvidenceKind.CAREER_PROFILE_SIGNED, when[-1] + timedelta(days=1))
    contacts = [event(d, Activity.CAREER_PROFILE) for d in when] if in_person else []
    return [*sections, signed], contacts


def test_completion_not_before_initial_profile() -> None:
    evidence, _ = _profile(in_person=False)
    result = run(evidence)
    assert not result.of("1") and not result.of("2")
    assert "milestone 1 not yet earned" in progress(result, "2").missing
    assert progress(result, "1").missing[0].startswith("career-profile sections missing: ")


def test_initial_then_completed_profile() -> None:
    evidence, contacts = _profile(in_person=True)
    result = run(evidence, contacts)
    first, second = result.of("1")[0], result.of("2")[0]
    assert first.earned_on == date(2026, 1, 10)  # the sixth initial section
    assert second.earned_on == date(2026, 1, 23)  # the signature after the 18th section
    unsigned = run(evidence[:-1], contacts)
    assert unsigned.of("1") and not unsigned.of("2")
    assert "career profile not signed after its last section" in progress(unsigned, "2").missing


def test_missing_sections_are_named() -> None:
    evidence, contacts = _profile(in_person=True)
    dropped = ("benefits", "finding_work")
    result = run([e for e in evidence if e.fields.get("section") not in dropped], contacts)
    assert (
        "career-profile sections missing: benefits, finding_work" in progress(result, "2").missing
    )


def test_newer_version_and_voids_are_respected() -> None:
    plan = ev(EvidenceKind.INDEPENDENCE_PLAN, date(2026, 6, 1), goals_met=True)
    voided = MilestoneEvidence(plan.evidence_id, MEMBER, PROVIDER, plan.kind, plan.date,
                               plan.fields, voided=True, version=2)  # fmt: skip
    assert run([plan]).of("9")
    assert not run([plan, voided]).of("9")
    assert not run([voided, plan]).of("9")


def test_one_member_at_a_time() -> None:
    other = MilestoneEvidence("X", "M-2", PROVIDER, EvidenceKind.INDEPENDENCE_PLAN, TODAY)
    with pytest.raises(InvalidInput):
        run([ev(EvidenceKind.INDEPENDENCE_PLAN, TODAY, goals_met=True), other])


# --- order never matters -----------------------------------------------------------------------


def _career() -> tuple[list[MilestoneEvidence], list[ServiceEvent]]:
    """A member's whole path: profile, search, networking, job, recovery, retention, extras."""
    evidence, events = _profile(in_person=True)
    evidence += [ev(EvidenceKind.JOB_APPLICATION, d, employer="X", position="Y", method="web")
                 for d in days(date(2026, 1, 20), 33)]  # fmt: skip
    evidence += [ev(EvidenceKind.APPROVAL, date(2026, 2, 20), milestone="3-A")]
    evidence += [log(d) for d in days(date(2026, 1, 20), 14, step=2)]
    events += [event(d, Activity.JOB_SEARCH) for d in days(date(2026, 2, 25), 4)]
    ev_, ev2 = _recovered()
    evidence += [*ev_, ev(EvidenceKind.EDUCATION_REPORT, date(2026, 9, 1), document="certificate")]
    events += ev2 + [event(VR + timedelta(days=k)) for k in range(3, 240, 9)]
    evidence += [ev(EvidenceKind.CAREER_ADVANCEMENT, date(2026, 10, 2), type="pay_increase"),
                 ev(EvidenceKind.CAREER_PROFILE_SIGNED, date(2026, 10, 9))]  # fmt: skip
    return evidence, events


CAREER = _career()
CAREER_RESULT = run(*CAREER)


def test_the_whole_path_earns_every_milestone() -> None:
    earned = {e.milestone for e in CAREER_RESULT.earned}
    assert earned == {m.id for m in CATALOG.milestones} - {"9"}


@given(st.permutations(CAREER[0]), st.permutations(CAREER[1]))
@settings(max_examples=40, deadline=None)
def test_order_of_evidence_and_events_is_irrelevant(
    evidence: list[MilestoneEvidence], events: list[ServiceEvent]
) -> None:
    assert run(evidence, events) == CAREER_RESULT

"""The milestone engine at each milestone's boundary (seed 004, billing-rules.md 3): 3-A and 3-B
(claims/milestones/search_rules.py), 1, 2 and 7-9, the whole path and order independence. The
milestones earned on the job are in test_milestone_employment.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from milestone_builders import (
    ALL_SECTIONS,
    CATALOG,
    INITIAL,
    JOB_START,
    MEMBER,
    PROVIDER,
    TODAY,
    VR,
    days,
    ev,
    event,
    job_start,
    log,
    progress,
    recovered,
    run,
)

from claims.errors import InvalidInput
from claims.milestones import (
    EvidenceKind,
    MemberMilestones,
    MilestoneCatalog,
    MilestoneEvidence,
    evaluate_member,
    parse_catalog,
)
from claims.model import Activity, Contact, ServiceEvent

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
        assert progress(result, "3-A").missing == (
            "job applications since the last 3-A: 14 of 15 "
            "(or a job start after a job-search activity)",
        )


def test_job_search_earned_by_applications_is_the_last_applications_providers() -> None:
    apps = [ev(EvidenceKind.JOB_APPLICATION, d, employer="X", position="Y", method="online")
            for d in days(date(2026, 2, 1), 15)]  # fmt: skip
    last = apps[-1]
    apps[-1] = MilestoneEvidence(last.evidence_id, MEMBER, "P-02", last.kind, last.date,
                                 dict(last.fields))  # fmt: skip
    (earned,) = run(apps).of("3-A")
    assert earned.provider_id == "P-02"  # the provider of the completing fact


def test_job_search_earned_by_job_start_after_a_search_activity() -> None:
    searched = run([job_start()], [event(JOB_START - timedelta(days=3), Activity.JOB_SEARCH)])
    assert [e.earned_on for e in searched.of("3-A")] == [JOB_START]
    assert searched.of("3-A")[0].provider_id == PROVIDER  # the provider of the completing fact
    assert not run([job_start()]).of("3-A")
    # A voided search does not count either.
    voided = event(JOB_START - timedelta(days=3), Activity.JOB_SEARCH, voided=True)
    assert not run([job_start()], [voided]).of("3-A")


def test_job_search_by_job_start_needs_a_job_search_activity_not_any_service() -> None:
    # 004 line 36, "evidence of job search activities": 3-A is also earned by a job start after
    # a job-search activity (by any contact); the individual's other services before the start
    # (job support, career profile, an employer contact) are not one.
    kinds = (Activity.JOB_SUPPORT, Activity.CAREER_PROFILE, Activity.EMPLOYER_CONTACT)
    others = [event(JOB_START - timedelta(days=3), a) for a in kinds]
    assert not run([job_start()], others).of("3-A")
    remote = event(JOB_START - timedelta(days=3), Activity.JOB_SEARCH, Contact.PHONE)
    assert [e.earned_on for e in run([job_start()], [remote]).of("3-A")] == [JOB_START]


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
    assert approved.of("3-A")[2].provider_id == PROVIDER  # the approval's provider's occurrence
    # One dated the day the 45th application completes it lets it through that day.
    same_day = ev(EvidenceKind.APPROVAL, date(2026, 2, 14), milestone="3-A")
    third = run([*apps, same_day]).of("3-A")[2]
    assert third.earned_on == date(2026, 2, 14) and same_day.evidence_id in third.evidence_ids
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
    assert progress(run(same_day), "3-B").missing == (
        "face-to-face contacts in the employer contact log: 6 of 12 "
        "(or a job start after such a contact)",
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


def test_third_employer_networking_needs_approval() -> None:
    # 004 line 48: after two 3-B the provider "must consult with the funding source": the third
    # needs an approval of 3-B; one dated on or before the completion lets it through that day.
    contacts = [log(d) for d in days(date(2026, 1, 1), 36)]  # 3 x 12, the last on 2026-02-05
    refused = run(contacts)
    assert [e.earned_on for e in refused.of("3-B")] == [date(2026, 1, 12), date(2026, 1, 24)]
    assert progress(refused, "3-B").missing == ("occurrence 3 of 3-B needs approval evidence",)
    early = ev(EvidenceKind.APPROVAL, date(2026, 1, 30), milestone="3-B")
    approved = run([*contacts, early])
    assert [(e.occurrence, e.earned_on) for e in approved.of("3-B")] == [
        (1, date(2026, 1, 12)), (2, date(2026, 1, 24)), (3, date(2026, 2, 5)),
    ]  # fmt: skip
    assert early.evidence_id in approved.of("3-B")[2].evidence_ids
    late = ev(EvidenceKind.APPROVAL, date(2026, 3, 2), milestone="3-B")
    assert run([*contacts, late]).of("3-B")[2].earned_on == date(2026, 3, 2)
    # An approval of 3-A does not help 3-B; one approval pays one occurrence only.
    other = ev(EvidenceKind.APPROVAL, date(2026, 1, 2), milestone="3-A")
    assert len(run([*contacts, other]).of("3-B")) == 2
    more = [log(d) for d in days(date(2026, 2, 6), 12)]
    once = run([*contacts, *more, early])
    assert len(once.of("3-B")) == 3
    assert progress(once, "3-B").missing == ("occurrence 4 of 3-B needs approval evidence",)


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


def test_a_profile_milestone_rests_on_its_evidence_records() -> None:
    # An occurrence names what it rests on: evidence records as evidence, service events as
    # events (the audit trail of an invoice line), each once, in the order they completed it.
    advancement = ev(EvidenceKind.CAREER_ADVANCEMENT, date(2026, 2, 1), type="promotion")
    update = ev(EvidenceKind.CAREER_PROFILE_SIGNED, date(2026, 2, 3))
    report = ev(EvidenceKind.EDUCATION_REPORT, date(2026, 3, 1), document="certificate")
    plan = ev(EvidenceKind.INDEPENDENCE_PLAN, date(2026, 4, 1), goals_met=True)
    result = run([advancement, update, report, plan])
    assert [(e.milestone, e.evidence_ids, e.event_ids) for e in result.earned] == [
        ("7", (advancement.evidence_id, update.evidence_id), ()),
        ("8", (report.evidence_id,), ()),
        ("9", (plan.evidence_id,), ()),
    ]
    evidence, contacts = _profile(in_person=True)
    first, second = run(evidence, contacts).of("1")[0], run(evidence, contacts).of("2")[0]
    assert first.evidence_ids and set(first.evidence_ids) <= {e.evidence_id for e in evidence}
    assert second.evidence_ids[-1] == evidence[-1].evidence_id  # the signature completes 2
    assert len(second.evidence_ids) == len(ALL_SECTIONS) + 1


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


def test_sections_documented_without_an_in_person_contact_are_named_as_such() -> None:
    # 004 line 14: "Appointments and interactions with the individual must be in-person": the
    # first two sections' days had no contact, so 1 waits, and the note says which and why.
    evidence, contacts = _profile(in_person=True)
    result = run(evidence, contacts[2:])
    assert not result.of("1")
    assert progress(result, "1").missing == (
        "career-profile sections missing: work_history, health_history",
        "sections documented without an in-person contact that day: health_history, work_history",
    )


def test_initial_then_completed_profile() -> None:
    evidence, contacts = _profile(in_person=True)
    result = run(evidence, contacts)
    first, second = result.of("1")[0], result.of("2")[0]
    assert first.earned_on == date(2026, 1, 10)  # the sixth initial section
    assert second.earned_on == date(2026, 1, 23)  # the signature after the 18th section
    assert progress(result, "1").missing == ()  # earned: nothing is missing
    unsigned = run(evidence[:-1], contacts)
    assert unsigned.of("1") and not unsigned.of("2")
    assert "career profile not signed after its last section" in progress(unsigned, "2").missing


def test_a_profile_signed_the_day_of_its_last_section_is_complete() -> None:
    # 004 line 21, "Completed/ Signed Career Profile": signed on or after the last section's day.
    evidence, contacts = _profile(in_person=True)
    same_day = replace(evidence[-1], date=evidence[-2].date)
    assert [e.earned_on for e in run([*evidence[:-1], same_day], contacts).of("2")] == [
        same_day.date
    ]


def _catalog_text() -> str:
    return Path(__file__).parents[2].joinpath("claims/data/milestones.toml").read_text()


def _blocks(text: str) -> tuple[str, list[str]]:
    """The catalog's header and its ``[[milestone]]`` blocks, in file order."""
    head, *blocks = text.split("[[milestone]]")
    return head, [f"[[milestone]]{b}" for b in blocks]


def test_a_prerequisite_listed_after_its_milestone_is_still_evaluated_first() -> None:
    """billing-rules.md 3: 2 is earned "once, after 1". The catalog says so with ``requires``,
    whatever the order of its entries: a catalog listing 2 (or every milestone) before 1 earns the
    same occurrences as the packaged one, and 2 still follows 1."""
    evidence, contacts = _profile(in_person=True)
    expected = run(evidence, contacts)
    assert expected.of("1") and expected.of("2")
    head, blocks = _blocks(_catalog_text())
    for order in (
        [blocks[1], blocks[0], *blocks[2:]],  # 2 just before 1
        [*blocks[1:], blocks[0]],  # 1 last of all
        list(reversed(blocks)),
    ):
        catalog = parse_catalog(head + "".join(order))
        assert [m.id for m in catalog.milestones][0] != "1"
        result = evaluate_member(evidence, contacts, catalog, TODAY)
        assert sorted(result.earned, key=lambda e: (e.milestone, e.occurrence)) == sorted(
            expected.earned, key=lambda e: (e.milestone, e.occurrence)
        )
        assert result.progress == expected.progress
        alone = evaluate_member(evidence, (), catalog, TODAY)  # no in-person contact: no 1
        assert not alone.of("1") and not alone.of("2")


def test_a_milestone_waits_for_every_prerequisite_the_catalog_names() -> None:
    """A catalog may chain more: 9 requiring 8 and 2 (each listed before it or after it) is
    earned only once both are, and on no date before them."""
    evidence, contacts = _profile(in_person=True)
    plan = ev(EvidenceKind.INDEPENDENCE_PLAN, date(2026, 1, 2), goals_met=True)
    report = ev(EvidenceKind.EDUCATION_REPORT, date(2026, 3, 2), document="certificate")
    head, blocks = _blocks(_catalog_text())
    nine = next(i for i, b in enumerate(blocks) if 'id = "9"' in b)
    chained = blocks[nine].replace("requires = []", 'requires = ["8", "2"]')
    for order in ([chained, *blocks[:nine]], [*blocks[:nine], chained]):
        catalog = parse_catalog(head + "".join(order))
        assert catalog.get("9").requires == ("8", "2")
        assert not evaluate_member([plan], (), catalog, TODAY).of("9")
        assert not evaluate_member([plan, report], (), catalog, TODAY).of("9")
        assert not evaluate_member([plan, *evidence], contacts, catalog, TODAY).of("9")
        everything = evaluate_member([plan, report, *evidence], contacts, catalog, TODAY)
        assert not everything.of("9")  # 8 (March) is earned after the plan: not "first"
        later = ev(EvidenceKind.INDEPENDENCE_PLAN, date(2026, 3, 3), goals_met=True)
        after = evaluate_member([later, report, *evidence], contacts, catalog, TODAY)
        assert [e.earned_on for e in after.of("9")] == [date(2026, 3, 3)]


def _requiring(milestone: str, prerequisite: str) -> MilestoneCatalog:
    head, blocks = _blocks(_catalog_text())
    at = next(i for i, b in enumerate(blocks) if f'id = "{milestone}"' in b)
    blocks[at] = blocks[at].replace("requires = []", f'requires = ["{prerequisite}"]', 1)
    catalog = parse_catalog(head + "".join(blocks))
    assert catalog.get(milestone).requires == (prerequisite,)
    return catalog


def test_a_prerequisite_earned_the_same_day_counts() -> None:
    # "Earned first" is on or before: 9 requiring 8, both completed on one day, is earned.
    catalog = _requiring("9", "8")
    day = date(2026, 5, 4)
    report = ev(EvidenceKind.EDUCATION_REPORT, day, document="certificate")
    plan = ev(EvidenceKind.INDEPENDENCE_PLAN, day, goals_met=True)
    assert [e.earned_on for e in evaluate_member([report, plan], (), catalog, TODAY).of("9")] == [
        day
    ]
    late = ev(EvidenceKind.EDUCATION_REPORT, day + timedelta(days=1), document="certificate")
    assert not evaluate_member([late, plan], (), catalog, TODAY).of("9")


def test_a_per_job_milestone_needs_a_once_prerequisite_of_any_job() -> None:
    # A prerequisite earned once per member (1) is no job's: it counts for every job's 4.
    catalog = _requiring("4", "1")
    profile, contacts = _profile(in_person=True)
    job, support = recovered()
    with_profile = evaluate_member([*profile, *job], [*contacts, *support], catalog, TODAY)
    assert [e.earned_on for e in with_profile.of("4")] == [VR]
    assert not evaluate_member(job, support, catalog, TODAY).of("4")


def test_a_per_job_prerequisite_counts_for_its_own_job_only() -> None:
    # docs/milestones.md (catalog ``requires``): a per-job milestone requiring a per-job one
    # needs it for the same job. Job A earns 3-C and ends; job B earns 4 (weekly in-person
    # employer contacts, which 3-C does not count) but no 3-C of its own until three contacts.
    catalog = _requiring("4", "3-C")
    b_start, b_vr = date(2026, 4, 1), date(2026, 4, 29)
    evidence = [
        job_start(JOB_START, "Acme"),
        ev(EvidenceKind.JOB_END, JOB_START + timedelta(days=5)),
        job_start(b_start, "Beta"),
        ev(EvidenceKind.VOCATIONAL_RECOVERY_APPROVED, b_vr),
    ]
    a_days = [event(d) for d in days(JOB_START, 3)]
    b_weeks = [event(d, Activity.EMPLOYER_CONTACT) for d in days(b_start, 5, step=7)]
    result = evaluate_member(evidence, [*a_days, *b_weeks], catalog, TODAY)
    assert [e.earned_on for e in result.of("3-C")] == [JOB_START + timedelta(days=2)]
    assert not result.of("4")
    assert evaluate_member(evidence, [*a_days, *b_weeks], CATALOG, TODAY).of("4")
    b_days = [event(d) for d in days(b_start + timedelta(days=1), 3)]
    both = evaluate_member(evidence, [*a_days, *b_weeks, *b_days], catalog, TODAY)
    (four,) = both.of("4")
    assert four.earned_on == b_vr and four.job_key == both.of("3-C")[1].job_key


def test_a_catalog_whose_prerequisites_form_a_cycle_is_refused() -> None:
    head, blocks = _blocks(_catalog_text())
    blocks[0] = blocks[0].replace("requires = []", 'requires = ["2"]', 1)
    catalog = parse_catalog(head + "".join(blocks))
    assert catalog.get("1").requires == ("2",) and catalog.get("2").requires == ("1",)
    evidence, contacts = _profile(in_person=True)
    with pytest.raises(InvalidInput, match="^milestone catalog prerequisites form a cycle$"):
        evaluate_member(evidence, contacts, catalog, TODAY)


def test_initial_profile_reads_past_other_and_unmet_sections() -> None:
    # 1 counts the first document of each of its six sections made on a day with an in-person
    # contact: a section it does not list, or one first documented without a contact (and
    # documented again with one), never hides the sections documented after it.
    start = date(2026, 1, 5)
    evidence = [ev(EvidenceKind.CAREER_PROFILE_SECTION, start, section=INITIAL[0]),
                ev(EvidenceKind.CAREER_PROFILE_SECTION, start, section="benefits")]  # fmt: skip
    when = days(start + timedelta(days=1), len(INITIAL))
    evidence += [ev(EvidenceKind.CAREER_PROFILE_SECTION, d, section=s)
                 for d, s in zip(when, INITIAL, strict=True)]  # fmt: skip
    contacts = [event(d, Activity.CAREER_PROFILE) for d in when]
    assert "benefits" not in INITIAL
    assert [e.earned_on for e in run(evidence, contacts).of("1")] == [when[-1]]


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
    with pytest.raises(InvalidInput, match="^evidence and events must belong to one member$"):
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
    ev_, ev2 = recovered()
    evidence += [*ev_, ev(EvidenceKind.EDUCATION_REPORT, date(2026, 9, 1), document="certificate")]
    events += ev2 + [event(VR + timedelta(days=k)) for k in range(3, 240, 9)]
    evidence += [ev(EvidenceKind.CAREER_ADVANCEMENT, date(2026, 10, 2), type="pay_increase"),
                 ev(EvidenceKind.CAREER_PROFILE_SIGNED, date(2026, 10, 9))]  # fmt: skip
    return evidence, events


CAREER = _career()


@cache
def _career_result() -> MemberMilestones:
    # Worked out in the test, not at import: under `make mutation` the test modules are imported
    # once, unmutated, before each mutant's process is forked from that one.
    return run(*CAREER)


def test_the_whole_path_earns_every_milestone() -> None:
    earned = {e.milestone for e in _career_result().earned}
    assert earned == {m.id for m in CATALOG.milestones} - {"9"}


@given(st.permutations(CAREER[0]), st.permutations(CAREER[1]))
@settings(max_examples=40, deadline=None)
def test_order_of_evidence_and_events_is_irrelevant(
    evidence: list[MilestoneEvidence], events: list[ServiceEvent]
) -> None:
    assert run(evidence, events) == _career_result()


# --- the document milestones' edges (make mutation, 2026-12-01) ---------------------------------


def test_completed_profile_sections_need_no_in_person_contact() -> None:
    # 1's sections were documented in person; the sections only 2 needs were not: 2 is earned.
    evidence, contacts = _profile(in_person=True)
    result = run(evidence, contacts[: len(INITIAL)])
    assert [e.earned_on for e in result.of("2")] == [date(2026, 1, 23)]
    assert progress(result, "2").missing == ()


def test_completed_profile_is_not_earned_before_the_initial_profile() -> None:
    """The first section was documented without a contact, and again in person on 10 February:
    1 is earned that day, after the signature (23 January), so 2 is earned that day too and
    rests on 1's last section."""
    evidence, contacts = _profile(in_person=True)
    again = ev(EvidenceKind.CAREER_PROFILE_SECTION, date(2026, 2, 10), section=ALL_SECTIONS[0])
    met = event(date(2026, 2, 10), Activity.CAREER_PROFILE)
    result = run([*evidence, again], [*contacts[1:], met])
    assert [e.earned_on for e in result.of("1")] == [date(2026, 2, 10)]
    (second,) = result.of("2")
    assert second.earned_on == date(2026, 2, 10) and again.evidence_id in second.evidence_ids


def test_an_advancement_of_another_type_does_not_stop_the_ones_after_it() -> None:
    other = ev(EvidenceKind.CAREER_ADVANCEMENT, date(2026, 2, 1), type="lateral_move")
    promotion = ev(EvidenceKind.CAREER_ADVANCEMENT, date(2026, 2, 2), type="promotion")
    update = ev(EvidenceKind.CAREER_PROFILE_SIGNED, date(2026, 2, 3))
    assert [e.earned_on for e in run([other, promotion, update]).of("7")] == [date(2026, 2, 3)]


def test_an_update_window_of_zero_days_takes_only_the_advancements_own_day() -> None:
    catalog = parse_catalog(
        _catalog_text().replace("profile_update_window_days = 30", "profile_update_window_days = 0")
    )
    advancement = ev(EvidenceKind.CAREER_ADVANCEMENT, date(2026, 2, 1), type="promotion")
    next_day = ev(EvidenceKind.CAREER_PROFILE_SIGNED, date(2026, 2, 2))
    assert not evaluate_member([advancement, next_day], [], catalog, TODAY).of("7")
    same_day = ev(EvidenceKind.CAREER_PROFILE_SIGNED, date(2026, 2, 1))
    assert evaluate_member([advancement, same_day], [], catalog, TODAY).of("7")


def test_document_milestones_without_documents_say_what_they_need() -> None:
    nothing = run([])
    assert progress(nothing, "7").missing == ("a career-advancement event with an updated profile",)
    assert progress(nothing, "8").missing == ("a certificate or end-of-term grade report",)
    assert progress(nothing, "9").missing == ("an independence plan with its goals met",)
    plan = ev(EvidenceKind.INDEPENDENCE_PLAN, date(2026, 4, 1), goals_met=True)
    assert progress(run([plan]), "9").missing == ()


def test_a_catalog_without_the_signature_earns_2_on_its_last_section() -> None:
    catalog = parse_catalog(
        _catalog_text().replace("signature_required = true", "signature_required = false")
    )
    evidence, contacts = _profile(in_person=True)
    unsigned = evaluate_member(evidence[:-1], contacts, catalog, TODAY)
    assert [e.earned_on for e in unsigned.of("2")] == [date(2026, 1, 22)]


def test_a_record_sent_twice_is_one_record_and_the_others_still_count() -> None:
    apps = [ev(EvidenceKind.JOB_APPLICATION, d, employer="X", position="Y", method="online")
            for d in days(date(2026, 2, 1), 15)]  # fmt: skip
    first = apps[0]
    newer = MilestoneEvidence(first.evidence_id, MEMBER, PROVIDER, first.kind, first.date,
                              dict(first.fields), version=2)  # fmt: skip
    assert [e.earned_on for e in run([*apps, newer]).of("3-A")] == [date(2026, 2, 15)]
    assert not run([*apps[1:], first, newer][1:]).of("3-A")  # 14 distinct applications

"""Milestones earned on the job (billing-rules.md 3; docs/milestones.md): 3-C Job Placement,
4 Job Support, 5-A/5-B/5-C after vocational recovery and 6 Long-Term Job Retention, each at its
boundary through evaluate_member (seed 004)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from milestone_builders import (
    CATALOG,
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
    weekly_support,
)

from claims.milestones import EvidenceKind, MemberMilestones, MilestoneEvidence
from claims.model import Activity, Contact, Setting

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


@pytest.mark.parametrize(
    ("activity", "contact"),
    [
        (Activity.JOB_SUPPORT, Contact.PHONE),  # job support, but not face to face
        (Activity.EMPLOYER_CONTACT, Contact.VIDEO),  # the employer, but not face to face
        (Activity.CAREER_PROFILE, Contact.IN_PERSON),  # face to face, but not job support
    ],
)
def test_a_job_support_week_needs_face_to_face_job_support_or_an_employer(
    activity: Activity, contact: Contact
) -> None:
    # docs/milestones.md, "Milestone 4": "Weekly face-to-face contact with the individual or
    # employer", the individual's being a job-support contact.
    week = (date(2026, 3, 25), date(2026, 3, 31))
    support = [e for e in weekly_support(JOB_START, VR) if not week[0] <= e.service_date <= week[1]]
    other = event(date(2026, 3, 26), activity, contact)
    result = run(
        [job_start(), ev(EvidenceKind.VOCATIONAL_RECOVERY_APPROVED, VR)], [*support, other]
    )
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
    evidence, events = recovered()
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
    evidence, events = recovered()
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
    evidence, events = recovered()
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


def test_long_term_retention_on_a_months_first_day_names_that_month() -> None:
    result = _retained([date(2026, 8, 12)], today=date(2026, 9, 1))
    assert [e.earned_on for e in result.of("6")] == [date(2026, 8, 31)]
    assert progress(result, "6").missing == (
        "in-person meetings in 2026-09: 0 of 1",
        "month 2026-09 not yet ended",
    )


def test_long_term_retention_needs_employment_through_the_month() -> None:
    evidence, events = recovered()
    contacts = [event(VR + timedelta(days=k)) for k in (5, 20, 35, 50, 65, 80)]
    ended = ev(EvidenceKind.JOB_END, date(2026, 8, 20))
    result = run([*evidence, ended], [*events, *contacts, event(date(2026, 8, 12))])
    assert not result.of("6")


# --- rules pinned at their edges (docs/milestones.md) -----------------------------------------

VR_EV = EvidenceKind.VOCATIONAL_RECOVERY_APPROVED


def job_end(day: date) -> object:
    return ev(EvidenceKind.JOB_END, day)


def test_3c_contacts_after_the_jobs_last_day_do_not_count() -> None:
    # 004 line 54: the three contact days are "on or after the first day of employment", while
    # the job is held: a day after its last day counts for no job.
    contacts = [event(d) for d in (JOB_START, JOB_START + timedelta(days=1), VR)]
    ended = run([job_start(), job_end(JOB_START + timedelta(days=5))], contacts)
    assert not ended.of("3-C")
    assert progress(ended, "3-C").missing == (
        "in-person contact days since the job start on 2026-03-04: 2 of 3",
    )
    # the job's last day itself counts
    last = run([job_start(), job_end(VR)], contacts)
    assert [(e.earned_on, e.event_ids) for e in last.of("3-C")] == [
        (VR, tuple(c.event_id for c in contacts))
    ]


def test_a_contact_between_two_jobs_counts_for_neither() -> None:
    # docs/milestones.md, "No double counting": a contact day counts for the latest started of
    # the jobs held that day, and for no job on a day none is held.
    second = date(2026, 3, 20)
    jobs = [job_start(), job_end(JOB_START + timedelta(days=1)), job_start(second, "Beta")]
    held = [
        event(d) for d in (JOB_START, JOB_START + timedelta(days=1), second, second + timedelta(1))
    ]
    between = [event(JOB_START + timedelta(days=k)) for k in (2, 5, 9)]
    result = run(jobs, [*held, *between])
    assert not result.of("3-C")
    assert progress(result, "3-C").missing == (
        "in-person contact days since the job start on 2026-03-20: 2 of 3",
    )
    third = event(second + timedelta(days=2))
    earned = run(jobs, [*held, *between, third]).of("3-C")
    assert [e.earned_on for e in earned] == [third.service_date]


def test_occurrences_are_numbered_in_earned_order_whichever_job_started_first() -> None:
    # An occurrence's number follows its earned date: a job started later (Beta, held Mar 9-13
    # inside Acme's) earns its 3-C first, on its third day, and is occurrence 1; Acme's days
    # resume after Beta ends and its third comes on Mar 16, occurrence 2.
    acme, beta = job_start(JOB_START, "Acme"), job_start(date(2026, 3, 9), "Beta")
    beta_end = ev(EvidenceKind.JOB_END, date(2026, 3, 13), employer="Beta")
    contacts = [event(d) for d in days(JOB_START, 2) + days(date(2026, 3, 9), 3)]
    contacts.append(event(date(2026, 3, 16)))
    earned = run([acme, beta, beta_end], contacts).of("3-C")
    assert [(e.occurrence, e.earned_on, e.job_key) for e in earned] == [
        (1, date(2026, 3, 11), beta.evidence_id),
        (2, date(2026, 3, 16), acme.evidence_id),
    ]


def test_3c_is_earned_on_the_third_day_with_exactly_three_contacts() -> None:
    contacts = [event(d) for d in days(JOB_START, 5)]
    (earned,) = run([job_start()], contacts).of("3-C")
    assert earned.earned_on == JOB_START + timedelta(days=2)
    assert earned.event_ids == tuple(c.event_id for c in contacts[:3])


@pytest.mark.parametrize(
    ("milestone", "first", "last"), [("5-A", 1, 30), ("5-B", 31, 60), ("5-C", 61, 90)]
)
def test_each_5x_window_runs_from_its_first_day_to_its_last(
    milestone: str, first: int, last: int
) -> None:
    # docs/milestones.md, "Dates chain the milestones": VR+1..VR+30, VR+31..VR+60, VR+61..VR+90.
    evidence, _ = recovered()
    inside = [event(VR + timedelta(days=k)) for k in (first, last)]
    (earned,) = run(evidence, inside).of(milestone)
    assert earned.earned_on == VR + timedelta(days=last)
    assert earned.event_ids == tuple(e.event_id for e in inside)
    for outside in (first - 1, last + 1):
        contacts = [event(VR + timedelta(days=k)) for k in sorted((outside, (first + last) // 2))]
        result = run(evidence, contacts)
        assert not result.of(milestone)
        assert progress(result, milestone).missing == (
            f"face-to-face contacts from {(VR + timedelta(days=first)).isoformat()} to "
            f"{(VR + timedelta(days=last)).isoformat()}: 1 of 2",
        )


def test_5x_needs_the_job_held_on_the_windows_last_day() -> None:
    evidence, _ = recovered()
    contacts = [event(VR + timedelta(days=k)) for k in (5, 20)]
    target = VR + timedelta(days=30)
    assert run([*evidence, job_end(target)], contacts).of("5-A")
    result = run([*evidence, job_end(target - timedelta(days=1))], contacts)
    assert not result.of("5-A")
    assert progress(result, "5-A").missing == ("job ended on 2026-05-14, before 2026-05-15",)


def test_5x_is_earned_once_its_last_day_has_come() -> None:
    evidence, _ = recovered()
    contacts = [event(VR + timedelta(days=k)) for k in (5, 20)]
    target = VR + timedelta(days=30)
    assert [e.earned_on for e in run(evidence, contacts, today=target).of("5-A")] == [target]
    early = run(evidence, contacts, today=target - timedelta(days=1))
    assert not early.of("5-A")
    assert progress(early, "5-A").missing == (
        "30 days after the vocational-recovery date: 2026-05-15",
    )


def test_5x_counts_only_the_contacts_it_needs() -> None:
    evidence, _ = recovered()
    contacts = [event(VR + timedelta(days=k)) for k in (5, 10, 20)]
    (earned,) = run(evidence, contacts).of("5-A")
    assert earned.event_ids == (contacts[0].event_id, contacts[1].event_id)


def test_month_6_merges_back_to_back_jobs() -> None:
    # docs/milestones.md, "Milestone 6": employed every day of the month; moving from one job
    # straight to the next (last day, then first day the day after) is no gap.
    evidence, _ = recovered()
    second = job_start(date(2026, 8, 16), "Beta")
    meeting = [event(date(2026, 8, 20))]
    straight = run([*evidence, job_end(date(2026, 8, 15)), second], meeting, date(2026, 8, 31))
    assert [e.earned_on for e in straight.of("6")] == [date(2026, 8, 31)]
    gap = run([*evidence, job_end(date(2026, 8, 14)), second], meeting, date(2026, 8, 31))
    assert not gap.of("6")
    assert progress(gap, "6").missing == ("not employed through 2026-08",)


def test_month_6_a_job_ending_inside_a_longer_one_is_no_gap() -> None:
    evidence, _ = recovered()
    side = [job_start(date(2026, 8, 3), "Side"), ev(EvidenceKind.JOB_END, date(2026, 8, 9),
                                                     employer="Side")]  # fmt: skip
    result = run([*evidence, *side], [event(date(2026, 8, 20))], date(2026, 8, 31))
    assert [e.earned_on for e in result.of("6")] == [date(2026, 8, 31)]


def test_month_6_missing_names_the_meetings_and_the_month() -> None:
    evidence, _ = recovered()
    result = run(evidence, [], date(2026, 8, 31))
    assert progress(result, "6").missing == ("in-person meetings in 2026-08: 0 of 1",)
    before = run(evidence, [], date(2026, 7, 20))
    assert progress(before, "6").missing == (
        "months count from 2026-08, the first after vocational recovery + 90 days",
    )


def test_the_recovery_date_belongs_to_the_latest_started_job_held_that_day() -> None:
    # docs/milestones.md, "No double counting": with two jobs held on the VR date, the date and
    # milestone 4 are the later job's; the first job has no recovery date of its own.
    first, second = job_start(), job_start(JOB_START + timedelta(days=14), "Beta")
    vr = ev(VR_EV, VR)
    result = run([first, second, vr], weekly_support(JOB_START, VR))
    (earned,) = result.of("4")
    assert earned.job_key == second.evidence_id
    assert earned.evidence_ids[0] == second.evidence_id and vr.evidence_id in earned.evidence_ids
    assert progress(result, "4").missing == (
        "no vocational-recovery date recorded for the job started 2026-03-04",
    )
    (five_a,) = run([first, second, vr], [event(VR + timedelta(days=k)) for k in (3, 9)]).of("5-A")
    assert five_a.job_key == second.evidence_id


def test_a_recovery_date_before_a_job_starts_is_not_that_jobs() -> None:
    vr = ev(VR_EV, JOB_START - timedelta(days=1))
    result = run([job_start(), vr], weekly_support(JOB_START, VR))
    assert not result.of("4")
    assert progress(result, "4").missing == (
        "no vocational-recovery date recorded for the job started 2026-03-04",
    )


def test_the_first_recovery_date_recorded_for_a_job_is_its_own() -> None:
    later = ev(VR_EV, VR + timedelta(days=7))
    result = run([job_start(), ev(VR_EV, VR), later], weekly_support(JOB_START, VR))
    assert [e.earned_on for e in result.of("4")] == [VR]


def test_milestone_4_weeks_count_only_the_jobs_own_days() -> None:
    # The VR week's only contact comes the day after the job's last day: that week has none.
    support = [e for e in weekly_support(JOB_START, VR) if e.service_date < VR]
    late = event(VR + timedelta(days=1))
    result = run([job_start(), ev(VR_EV, VR), job_end(VR)], [*support, late])
    assert not result.of("4")
    assert progress(result, "4").missing == (
        "no face-to-face contact with the individual or the employer in the week 2026-04-15 to "
        "2026-04-21",
    )
    on_last_day = run([job_start(), ev(VR_EV, VR), job_end(VR)], [*support, event(VR)])
    assert [e.earned_on for e in on_last_day.of("4")] == [VR]


def test_without_a_job_each_job_milestone_says_so() -> None:
    result = run([ev(VR_EV, VR)], [event(VR + timedelta(days=k)) for k in (3, 9)])
    for milestone in ("3-C", "4", "5-A"):
        assert progress(result, milestone).missing == ("no job start recorded",)


def test_a_met_job_milestone_lacks_nothing() -> None:
    evidence, support = recovered()
    contacts = [event(VR + timedelta(days=k)) for k in (5, 20, 35, 50, 65, 80)]
    result = run(evidence, [*support, *contacts])
    for milestone in ("3-C", "4", "5-A", "5-B", "5-C"):
        assert result.of(milestone) and progress(result, milestone).missing == ()


def test_milestone_4_takes_each_weeks_first_contact() -> None:
    vr = JOB_START + timedelta(days=13)
    contacts = [event(JOB_START + timedelta(days=k)) for k in (1, 3, 8, 12)]
    (earned,) = run([job_start(), ev(VR_EV, vr)], contacts).of("4")
    assert earned.event_ids == (contacts[0].event_id, contacts[2].event_id)


def test_month_6_counts_from_the_earliest_recovery_date_of_two_jobs() -> None:
    evidence, _ = recovered()  # VR 2026-04-15: months from August
    second = [job_start(date(2026, 6, 1), "Beta"), ev(VR_EV, date(2026, 7, 1))]
    result = run([*evidence, *second], [event(date(2026, 8, 20))], date(2026, 8, 31))
    assert [e.earned_on for e in result.of("6")] == [date(2026, 8, 31)]
    (earned,) = result.of("6")
    assert len(earned.event_ids) == 1


def test_a_support_week_does_not_count_a_contact_on_a_day_another_job_holds() -> None:
    # A side job (started later, so the holder of its days) covers the first week's only
    # contact: that week has none for the main job, which therefore lacks milestone 4.
    side = [job_start(JOB_START + timedelta(days=1), "Side"),
            ev(EvidenceKind.JOB_END, JOB_START + timedelta(days=4), employer="Side")]  # fmt: skip
    vr = JOB_START + timedelta(days=21)
    contacts = [event(JOB_START + timedelta(days=k)) for k in (2, 7, 14, 21)]
    result = run([job_start(), *side, ev(VR_EV, vr)], contacts)
    assert not result.of("4")  # (its missing note is the side job's: no recovery date)
    without_side = run([job_start(), ev(VR_EV, vr)], contacts)
    assert [e.earned_on for e in without_side.of("4")] == [vr]


def test_milestone_4_completed_by_its_job_start_is_the_jobs_providers() -> None:
    # Everything on the job's first day, all evidence: the recovery date, an employer contact
    # log entry (the week's face-to-face contact) and, recorded last, the job start, which then
    # completes the occurrence (marks of one day sort by record id).
    vr = ev(VR_EV, JOB_START)
    entry = log(JOB_START)
    (earned,) = run([vr, entry, job_start()]).of("4")
    assert earned.earned_on == JOB_START and earned.provider_id == PROVIDER


def test_milestone_4_is_earned_by_a_later_job_after_one_with_a_missing_week() -> None:
    # The first job's third week has no contact; the second job, after it, has every week.
    first_vr, second = JOB_START + timedelta(days=14), JOB_START + timedelta(days=28)
    evidence = [job_start(), ev(VR_EV, first_vr), job_end(first_vr + timedelta(days=2)),
                job_start(second, "Beta"), ev(VR_EV, second + timedelta(days=14))]  # fmt: skip
    contacts = [event(JOB_START), event(JOB_START + timedelta(days=7)),
                *weekly_support(second, second + timedelta(days=14))]  # fmt: skip
    result = run(evidence, contacts)
    assert [(e.job_key, e.earned_on) for e in result.of("4")] == [
        (evidence[3].evidence_id, second + timedelta(days=14))
    ]


def test_milestone_4_completed_by_the_recovery_date_is_its_providers() -> None:
    vr_day = JOB_START + timedelta(days=40)  # the last week's contact (day 35) comes before it
    vr = MilestoneEvidence("E-VR", MEMBER, "P-02", VR_EV, vr_day, {})
    (earned,) = run([job_start(), vr], weekly_support(JOB_START, vr_day)).of("4")
    assert (earned.earned_on, earned.provider_id) == (vr_day, "P-02")


def test_5x_rests_on_the_job_start_and_the_recovery_date() -> None:
    evidence, events = recovered()
    contacts = [event(VR + timedelta(days=k)) for k in (5, 20)]
    (five_a,) = run(evidence, [*events, *contacts]).of("5-A")
    assert five_a.evidence_ids == (evidence[0].evidence_id, evidence[1].evidence_id)
    assert five_a.event_ids == tuple(c.event_id for c in contacts)


def test_month_6_earned_last_lacks_nothing() -> None:
    result = _retained([date(2026, 8, 12)], date(2026, 8, 31))
    assert [e.earned_on for e in result.of("6")] == [date(2026, 8, 31)]
    assert progress(result, "6").missing == ()


def test_month_6_counts_a_job_starting_on_the_months_first_day() -> None:
    evidence, events = recovered()
    gap = [job_end(date(2026, 8, 20)), job_start(date(2026, 9, 1), "Beta")]
    result = run([*evidence, *gap], [*events, event(date(2026, 9, 10))], date(2026, 9, 30))
    assert [e.earned_on for e in result.of("6")] == [date(2026, 9, 30)]


def test_5x_with_the_recovery_date_on_the_jobs_first_day() -> None:
    evidence = [job_start(), ev(VR_EV, JOB_START)]
    contacts = [event(JOB_START + timedelta(days=k)) for k in (5, 20)]
    (five_a,) = run(evidence, contacts).of("5-A")
    assert five_a.earned_on == JOB_START + timedelta(days=30)


def test_a_job_end_naming_an_employer_closes_that_employers_job() -> None:
    # Two jobs open; the end names the first one's employer: the later-started job stays open,
    # so contacts after the end day still count for it (3-C for the second job).
    second = job_start(JOB_START + timedelta(days=2), "Beta")
    end = ev(EvidenceKind.JOB_END, JOB_START + timedelta(days=3), employer="Acme")
    contacts = [event(JOB_START + timedelta(days=k)) for k in (4, 5, 6)]
    result = run([job_start(), second, end], contacts)
    assert [e.job_key for e in result.of("3-C")] == [second.evidence_id]


def test_a_job_that_ends_the_day_it_starts_holds_only_that_day() -> None:
    end = ev(EvidenceKind.JOB_END, JOB_START)
    contacts = [event(JOB_START + timedelta(days=k)) for k in (0, 1, 2)]
    result = run([job_start(), end], contacts)
    assert not result.of("3-C")
    assert progress(result, "3-C").missing == (
        "in-person contact days since the job start on 2026-03-04: 1 of 3",
    )

"""Milestones earned on the job (billing-rules.md 3; docs/milestones.md): 3-C Job Placement,
4 Job Support, 5-A/5-B/5-C after vocational recovery and 6 Long-Term Job Retention, each at its
boundary through evaluate_member (seed 004)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from milestone_builders import (
    CATALOG,
    JOB_START,
    TODAY,
    VR,
    days,
    ev,
    event,
    job_start,
    progress,
    recovered,
    run,
    weekly_support,
)

from claims.milestones import EvidenceKind, MemberMilestones
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


def test_long_term_retention_needs_employment_through_the_month() -> None:
    evidence, events = recovered()
    contacts = [event(VR + timedelta(days=k)) for k in (5, 20, 35, 50, 65, 80)]
    ended = ev(EvidenceKind.JOB_END, date(2026, 8, 20))
    result = run([*evidence, ended], [*events, *contacts, event(date(2026, 8, 12))])
    assert not result.of("6")

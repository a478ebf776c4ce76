"""Whole-event exclusions (billing-rules.md 1.1.2 and 1.2, table 1.3): the first rule that
applies takes every minute of the event, which then takes no further part in the day.

Default context (units_builders): a member of 36 with full data, P-1 with ESP-1 and EPM-1, P-2
with ESP-2, no fidelity review, no authorizations, no DVR shared case.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from msgspec.structs import replace
from units_builders import DAY, MEMBER, PAYER, STAFF, ev, run

from claims.model import (
    NON_BILLABLE_ACTIVITIES,
    Activity,
    Authorization,
    Contact,
    DateRange,
    EipdAuthorization,
    EventStatus,
    FidelityReview,
    ReasonCode,
    Setting,
    Staff,
    StaffRole,
)

R = ReasonCode
BC = Activity.BENEFITS_COUNSELING
YOUNG = replace(MEMBER, birth_date=date(2010, 3, 2))  # 16 on DAY
ACT = replace(MEMBER, act_periods=(DateRange(DAY, DAY),))
DVR_CASE = replace(MEMBER, dvr_shared_case=True)
EIPD_3A = EipdAuthorization("D-1", MEMBER.member_id, "P-1", "3-A", DAY, None)


def auth(auth_id: str, provider: str, first: date = DAY, last: date = DAY) -> Authorization:
    return Authorization(auth_id, MEMBER.member_id, provider, PAYER, first, last, 100)


# --- 1.1.2 direct service only ----------------------------------------------------------------


@pytest.mark.parametrize("activity", sorted(NON_BILLABLE_ACTIVITIES))
def test_non_billable_activity_excludes_every_minute(activity: Activity) -> None:
    out = run([ev("E1", "09:00", "09:40", activity=activity)])
    assert out.codes("E1") == {R.NON_BILLABLE_ACTIVITY: 40}
    assert out.reason("E1", R.NON_BILLABLE_ACTIVITY).detail == (
        f"{activity.value} is not direct service"
    )
    assert (out.adj("E1").status, out.adj("E1").billable_minutes) == (EventStatus.EXCLUDED, 0)
    assert out.result.lines == ()


@pytest.mark.parametrize(
    ("changes", "code", "detail"),
    [
        ({"contact": Contact.NONE}, R.NO_DIRECT_CONTACT, "no direct contact with the member"),
        ({"setting": Setting.GROUP}, R.GROUP_SETTING, "services in a group are not billable"),
        ({"voided": True}, R.VOIDED, "event voided"),
        # first match wins: one reason for all the minutes
        ({"activity": Activity.TEAM_MEETING, "setting": Setting.GROUP}, R.NON_BILLABLE_ACTIVITY,
         "team_meeting is not direct service"),
        ({"contact": Contact.NONE, "setting": Setting.GROUP}, R.NO_DIRECT_CONTACT,
         "no direct contact with the member"),
        # voided wins over every other rule
        ({"activity": Activity.TRAVEL, "voided": True, "note_id": None}, R.VOIDED, "event voided"),
    ],
)  # fmt: skip
def test_event_level_exclusions(changes: dict[str, Any], code: ReasonCode, detail: str) -> None:
    out = run([replace(ev("E1", "09:00", "09:40"), **changes)])
    assert out.codes("E1") == {code: 40}
    assert out.reason("E1", code).detail == detail
    assert out.adj("E1").status is EventStatus.EXCLUDED
    assert out.result.lines == ()


def test_event_rules_come_before_the_members_day_rules() -> None:
    # Travel, no contact, in a group, under 16: one reason only, the first in rule order.
    event = ev("E1", activity=Activity.TRAVEL, contact=Contact.NONE, setting=Setting.GROUP)
    out = run([replace(event, service_date=DAY - timedelta(days=1))], member=YOUNG)
    assert out.codes("E1") == {R.NON_BILLABLE_ACTIVITY: 30}


@pytest.mark.parametrize("contact", [Contact.PHONE, Contact.VIDEO])
def test_remote_contact_is_direct_service(contact: Contact) -> None:
    out = run([ev("E1", contact=contact)])
    assert (out.adj("E1").status, out.adj("E1").reasons) == (EventStatus.BILLABLE, ())


def test_an_excluded_event_takes_no_minutes_from_an_overlapping_one() -> None:
    out = run([ev("E1", "09:00", "09:30", setting=Setting.GROUP), ev("E2", "09:10", "09:40")])
    assert out.codes("E1") == {R.GROUP_SETTING: 30}
    assert out.adj("E2").reasons == () and out.line().event_ids == ("E2",)


def test_a_voided_event_takes_no_minutes_from_an_overlapping_one() -> None:
    out = run([ev("E1", "09:00", "10:00", voided=True), ev("E2", "09:30", "10:00")])
    assert out.codes("E1") == {R.VOIDED: 60}
    assert out.adj("E2").reasons == () and out.line().event_ids == ("E2",)


# --- 1.2 the member's and provider's day ------------------------------------------------------


def test_member_reaches_sixteen_on_the_birthday() -> None:
    out = run([ev("E1", day=DAY - timedelta(days=1)), ev("E2", day=DAY)], member=YOUNG)
    assert out.codes("E1") == {R.MEMBER_UNDER_16: 30}
    assert out.reason("E1", R.MEMBER_UNDER_16).detail == "member under 16 on 2026-03-01"
    assert out.adj("E2").status is EventStatus.BILLABLE


def test_act_enrollment_excludes_the_covered_dates_only() -> None:
    out = run([ev("E1"), ev("E2", day=DAY + timedelta(days=1))], member=ACT)
    assert out.codes("E1") == {R.ACT_ENROLLMENT: 30}
    assert out.reason("E1", R.ACT_ENROLLMENT).detail == "member enrolled in ACT on 2026-03-02"
    assert out.adj("E2").status is EventStatus.BILLABLE


@pytest.mark.parametrize(
    ("member", "context", "code"),
    [
        (replace(MEMBER, birth_date=date(2015, 1, 1)), {}, R.MEMBER_UNDER_16),
        (ACT, {}, R.ACT_ENROLLMENT),
        (MEMBER, {"authorizations": (auth("A-2", "P-2"),)}, R.OTHER_PROVIDER_AUTHORIZED),
        (MEMBER, {"fidelity_reviews": (FidelityReview("P-1", "FR-1", 60, DAY),)},
         R.FIDELITY_BELOW_MINIMUM),
    ],
)  # fmt: skip
def test_day_rules_exclude_every_event_of_the_providers_day(
    member: Any, context: dict[str, Any], code: ReasonCode
) -> None:
    # The day's answer is worked out once per provider and date: the second and third events
    # of the day get the same one as the first.
    events = [ev("E1", "09:00", "09:30"), ev("E2", "11:00", "11:45"), ev("E3", "14:00", "14:15")]
    out = run(events, member=member, **context)
    assert [out.codes(e) for e in ("E1", "E2", "E3")] == [{code: 30}, {code: 45}, {code: 15}]
    assert out.result.lines == ()


def test_a_providers_day_answer_is_not_another_providers() -> None:
    low = (FidelityReview("P-1", "FR-1", 60, DAY),)
    out = run([ev("E1"), ev("E2", "10:00", "10:30", provider="P-2", staff="ESP-2"),
               ev("E3", "11:00", "11:30", day=DAY + timedelta(days=1), provider="P-2",
                  staff="ESP-2")], fidelity_reviews=low)  # fmt: skip
    assert out.codes("E1") == {R.FIDELITY_BELOW_MINIMUM: 30}
    assert out.adj("E2").status is EventStatus.BILLABLE
    assert out.adj("E3").status is EventStatus.BILLABLE


def test_another_providers_authorization_excludes_this_provider() -> None:
    out = run([ev("E1"), ev("E2", "10:00", "10:30", provider="P-2", staff="ESP-2")],
              authorizations=(auth("A-2", "P-2"),))  # fmt: skip
    assert out.codes("E1") == {R.OTHER_PROVIDER_AUTHORIZED: 30}
    assert out.reason("E1", R.OTHER_PROVIDER_AUTHORIZED).detail == (
        "authorization A-2 of provider P-2 covers 2026-03-02"
    )
    assert out.adj("E2").status is EventStatus.BILLABLE
    assert out.line("P-2").authorization_id == "A-2"


def test_another_providers_authorization_excludes_only_its_own_dates() -> None:
    out = run([ev("E1", day=DAY + timedelta(days=1))], authorizations=(auth("A-2", "P-2"),))
    assert out.adj("E1").status is EventStatus.BILLABLE


def test_both_providers_authorized_excludes_both() -> None:
    # billing-rules 1.2, literally: "another provider holds a YP630 authorization for the member
    # covering that date" excludes, whatever this provider holds ("only one IPS provider
    # organization during any active authorization period"): overlapping authorizations are
    # the LME-MCO's to resolve, and until then neither provider's time is billable.
    both = (auth("A-1", "P-1"), auth("A-2", "P-2"))
    out = run([ev("E1"), ev("E2", "11:00", "11:30", provider="P-2", staff="ESP-2")],
              authorizations=both)  # fmt: skip
    assert out.codes("E1") == {R.OTHER_PROVIDER_AUTHORIZED: 30}
    assert out.codes("E2") == {R.OTHER_PROVIDER_AUTHORIZED: 30}


def test_only_the_members_own_yp630_authorizations_count() -> None:
    # billing-rules 1.2: "another provider holds a YP630 authorization for the member".
    someone_else = replace(auth("A-2", "P-2"), member_id="M-2")
    other_procedure = replace(auth("A-3", "P-2"), procedure="H2023")
    out = run([ev("E1")], authorizations=(someone_else, other_procedure))
    assert out.adj("E1").reasons == () and out.adj("E1").status is EventStatus.BILLABLE


@pytest.mark.parametrize(
    ("score", "report", "excluded"),
    [(73, DAY, True), (74, DAY, False), (60, DAY + timedelta(days=1), False)],
)
def test_fidelity_review_in_force_from_its_final_report(
    score: int, report: date, excluded: bool
) -> None:
    review = FidelityReview("P-1", "FR-1", score, report)
    out = run([ev("E1")], fidelity_reviews=(review,))
    if excluded:
        assert out.codes("E1") == {R.FIDELITY_BELOW_MINIMUM: 30}
    else:
        assert out.adj("E1").status is EventStatus.BILLABLE


def test_the_latest_review_replaces_an_earlier_one() -> None:
    reviews = (
        FidelityReview("P-1", "FR-2", 90, DAY - timedelta(days=10)),
        FidelityReview("P-1", "FR-1", 60, DAY - timedelta(days=400)),
        FidelityReview("P-2", "FR-9", 50, DAY - timedelta(days=5)),  # another provider's
    )
    out = run([ev("E1"), ev("E0", day=DAY - timedelta(days=30))], fidelity_reviews=reviews)
    assert out.adj("E1").status is EventStatus.BILLABLE
    assert out.codes("E0") == {R.FIDELITY_BELOW_MINIMUM: 30}
    # and a later low review stops an earlier high one
    later_low = (reviews[0], FidelityReview("P-1", "FR-3", 60, DAY))
    assert run([ev("E1")], fidelity_reviews=later_low).codes("E1") == {R.FIDELITY_BELOW_MINIMUM: 30}


# --- 1.2 and 1.3: DVR shared cases ------------------------------------------------------------


def test_dvr_milestone_overlap_excludes_esp_time_on_a_covered_activity() -> None:
    out = run([ev("E1", staff="ESP-1")], member=DVR_CASE, eipd_authorizations=(EIPD_3A,))
    assert out.codes("E1") == {R.DVR_MILESTONE_OVERLAP: 30}
    assert out.reason("E1", R.DVR_MILESTONE_OVERLAP).detail == (
        "EIPD milestone 3-A (D-1) covers job_search"
    )
    assert out.adj("E1").status is EventStatus.EXCLUDED


def test_dvr_milestone_3c_covers_job_support() -> None:
    eipd = (replace(EIPD_3A, milestone="3-C"),)
    out = run([ev("E1", activity=Activity.JOB_SUPPORT)], member=DVR_CASE, eipd_authorizations=eipd)
    assert out.codes("E1") == {R.DVR_MILESTONE_OVERLAP: 30}


def test_of_two_open_milestones_the_earlier_started_is_named_whatever_the_input_order() -> None:
    # Both cover job_development; the result depends on the authorizations, not their order.
    earlier = EipdAuthorization(
        "D-7", MEMBER.member_id, "P-1", "3-C", DAY - timedelta(days=9), None
    )
    later = EipdAuthorization("D-1", MEMBER.member_id, "P-1", "3-B", DAY - timedelta(days=2), None)
    for given in ((later, earlier), (earlier, later)):
        out = run([ev("E1", activity=Activity.JOB_DEVELOPMENT)], member=DVR_CASE,
                  eipd_authorizations=given)  # fmt: skip
        assert out.reason("E1", R.DVR_MILESTONE_OVERLAP).detail == (
            "EIPD milestone 3-C (D-7) covers job_development"
        )


def test_dvr_milestone_overlap_leaves_epm_time_state_funded() -> None:
    out = run([ev("E1", staff="EPM-1")], member=DVR_CASE, eipd_authorizations=(EIPD_3A,))
    assert out.adj("E1").status is EventStatus.BILLABLE


@pytest.mark.parametrize(
    "activity",
    [Activity.INTAKE, Activity.CAREER_PROFILE, Activity.JOB_DEVELOPMENT, Activity.JOB_SUPPORT, BC],
)
def test_dvr_milestone_overlap_leaves_activities_the_milestone_does_not_cover(
    activity: Activity,
) -> None:
    out = run([ev("E1", activity=activity)], member=DVR_CASE, eipd_authorizations=(EIPD_3A,))
    assert out.adj("E1").status is EventStatus.BILLABLE


def test_dvr_milestone_overlap_needs_a_shared_case_and_an_open_milestone() -> None:
    closed = replace(EIPD_3A, start_date=DAY - timedelta(days=9), end_date=DAY - timedelta(days=1))
    assert run([ev("E1")], eipd_authorizations=(EIPD_3A,)).adj("E1").reasons == ()
    assert run([ev("E1")], member=DVR_CASE, eipd_authorizations=(closed,)).adj("E1").reasons == ()


@pytest.mark.parametrize("activity", [Activity.JOB_SEARCH, Activity.INTAKE])
def test_a_dvr_shared_case_keeps_the_day_rules_before_the_dvr_rule(activity: Activity) -> None:
    # ACT enrollment comes first in table 1.2, whether or not the DVR milestone covers the
    # activity; on every event of the day.
    events = [ev("E1", activity=activity), ev("E2", "10:00", "10:30", activity=activity)]
    dvr_act = replace(ACT, dvr_shared_case=True)
    out = run(events, member=dvr_act, eipd_authorizations=(EIPD_3A,))
    assert out.codes("E1") == {R.ACT_ENROLLMENT: 30}
    assert out.codes("E2") == {R.ACT_ENROLLMENT: 30}


def test_dvr_rule_applies_to_every_event_of_the_day() -> None:
    out = run([ev("E1"), ev("E2", "10:00", "10:30"), ev("E3", "11:00", "11:30", activity=BC)],
              member=DVR_CASE, eipd_authorizations=(EIPD_3A,))  # fmt: skip
    assert out.codes("E1") == {R.DVR_MILESTONE_OVERLAP: 30}
    assert out.codes("E2") == {R.DVR_MILESTONE_OVERLAP: 30}
    assert out.adj("E3").status is EventStatus.BILLABLE


# --- staff roles and places (docs/units.md, "Who bills", "Facility settings") ------------------


def test_a_program_assistants_event_names_the_staff_member() -> None:
    staff = (*STAFF, Staff("P-1", "PA-1", StaffRole.PA))
    out = run([ev("E1", staff="PA-1"), ev("E2", "10:00", "10:30")], staff=staff)
    assert out.codes("E1") == {R.STAFF_ROLE_NOT_BILLABLE: 30}
    assert out.reason("E1", R.STAFF_ROLE_NOT_BILLABLE).detail == (
        "staff PA-1 is a Program Assistant"
    )
    assert out.adj("E2").reasons == ()


def test_a_provider_with_a_program_assistant_keeps_the_day_rules() -> None:
    staff = (*STAFF, Staff("P-1", "PA-1", StaffRole.PA))
    young = replace(MEMBER, birth_date=date(2015, 1, 1))
    out = run([ev("E1"), ev("E2", "10:00", "10:30")], staff=staff, member=young)
    assert out.codes("E1") == {R.MEMBER_UNDER_16: 30}
    assert out.codes("E2") == {R.MEMBER_UNDER_16: 30}


def test_a_facility_place_of_service_is_named() -> None:
    out = run([replace(ev("E1"), place_of_service="31"), ev("E2", "10:00", "10:30")])
    assert out.codes("E1") == {R.FACILITY_SETTING: 30}
    assert out.reason("E1", R.FACILITY_SETTING).detail == (
        "place of service 31 is a facility or congregate setting"
    )
    assert out.adj("E2").reasons == ()

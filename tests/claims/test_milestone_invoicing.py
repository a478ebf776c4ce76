"""Invoice planning: new occurrences charged once, voids credited on the next invoice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from claims.milestones import (
    EarnedMilestone,
    EvidenceKind,
    InvoicedOccurrence,
    LineKind,
    MilestoneEvidence,
    PayerKind,
    PlannedLine,
    evaluate_member,
    load_catalog,
    plan_invoice,
)
from claims.model import Activity, Contact, EipdAuthorization, ServiceEvent, Setting

CATALOG = load_catalog()
THROUGH = date(2026, 6, 30)


def earned(
    member: str,
    milestone: str,
    occurrence: int = 1,
    on: date = date(2026, 3, 1),
    provider: str = "P-01",
) -> EarnedMilestone:
    m = CATALOG.get(milestone)
    return EarnedMilestone(member, milestone, occurrence, on, m.amount, m.payer_kind, provider,
                           None, ("E1",), ())  # fmt: skip


def as_invoiced(line: PlannedLine) -> InvoicedOccurrence:
    return InvoicedOccurrence(line.member_id, line.milestone, line.occurrence, line.earned_on,
                              line.amount, line.eipd_authorization_id)  # fmt: skip


def plan(
    occurrences: list[EarnedMilestone],
    kind: PayerKind = PayerKind.LME_MCO,
    invoiced: Sequence[InvoicedOccurrence] = (),
    auths: Sequence[EipdAuthorization] = (),
) -> tuple[PlannedLine, ...]:
    return plan_invoice(occurrences, payer_kind=kind, provider_id="P-01", through_date=THROUGH,
                        invoiced=invoiced, eipd_authorizations=auths)  # fmt: skip


def test_payer_kind_and_provider_and_through_date_select_lines() -> None:
    occurrences = [
        earned("M-1", "1"),
        earned("M-1", "3-A"),
        earned("M-2", "8", on=THROUGH + timedelta(days=1)),
        earned("M-3", "9", provider="P-02"),
    ]
    assert [(x.member_id, x.milestone) for x in plan(occurrences)] == [("M-1", "1")]
    auth = EipdAuthorization("A-1", "M-1", "P-01", "3-A", date(2026, 1, 1), None)
    eipd = plan(occurrences, PayerKind.EIPD, auths=[auth])
    assert [(x.member_id, x.milestone, x.amount) for x in eipd] == [
        ("M-1", "3-A", Decimal("2910.00"))
    ]


def test_nothing_is_invoiced_twice() -> None:
    occurrences = [earned("M-1", "1"), earned("M-1", "8"), earned("M-1", "8", 2)]
    first = plan(occurrences)
    assert len(first) == 3 and all(x.kind is LineKind.CHARGE for x in first)
    assert plan(occurrences, invoiced=[as_invoiced(x) for x in first]) == ()


def test_void_of_an_invoiced_occurrence_gives_a_credit_line() -> None:
    occurrences = [earned("M-1", "1"), earned("M-1", "9", on=date(2026, 4, 2))]
    sent = [as_invoiced(x) for x in plan(occurrences)]
    after_void = plan(occurrences[:1], invoiced=sent)
    assert after_void == (
        PlannedLine("M-1", "P-01", "9", 1, date(2026, 4, 2), Decimal("-1590.00"),
                    LineKind.CREDIT, None),
    )  # fmt: skip
    # Once credited it is settled: the credit is not repeated, and re-earning charges it again.
    settled = [*sent, as_invoiced(after_void[0])]
    assert plan(occurrences[:1], invoiced=settled) == ()
    again = plan(occurrences, invoiced=settled)
    assert [(x.milestone, x.kind, x.amount) for x in again] == [
        ("9", LineKind.CHARGE, Decimal("1590.00"))
    ]


def test_redated_occurrence_is_not_credited() -> None:
    sent = [as_invoiced(x) for x in plan([earned("M-1", "8")])]
    later = earned("M-1", "8", on=THROUGH + timedelta(days=10))
    assert plan([later], invoiced=sent) == ()


def test_eipd_lines_carry_the_covering_authorization() -> None:
    auths = [
        EipdAuthorization("A-1", "M-1", "P-01", "3-A", date(2026, 1, 1), date(2026, 2, 28)),
        EipdAuthorization("A-2", "M-1", "P-01", "3-A", date(2026, 3, 1), None),
        EipdAuthorization("A-3", "M-1", "P-01", "3-B", date(2026, 1, 1), None),
        EipdAuthorization("A-4", "M-1", "P-09", "4", date(2026, 1, 1), None),
    ]
    occurrences = [earned("M-1", "3-A", on=date(2026, 3, 1)), earned("M-1", "4")]
    lines = plan(occurrences, PayerKind.EIPD, auths=auths)
    # Milestone 4's only authorization is another provider's: it waits (issue 13, point 5).
    assert [(x.milestone, x.eipd_authorization_id) for x in lines] == [("3-A", "A-2")]


@given(
    voided=st.sets(st.integers(0, 11)),
    amounts=st.lists(st.sampled_from(["1", "8", "9", "7"]), min_size=12, max_size=12),
)
@settings(max_examples=50, deadline=None)
def test_invoiced_totals_always_equal_earned_totals(voided: set[int], amounts: list[str]) -> None:
    # After any voids, first invoice + next invoice sum to what is still earned: never silent.
    occurrences = [earned(f"M-{i}", mid) for i, mid in enumerate(amounts)]
    first = plan(occurrences)
    remaining = [o for i, o in enumerate(occurrences) if i not in voided]
    second = plan(remaining, invoiced=[as_invoiced(x) for x in first])
    assert sum(x.amount for x in first + second) == sum(o.amount for o in remaining)
    assert all(x.kind is LineKind.CREDIT and x.amount < 0 for x in second)


def test_engine_void_flows_into_a_credit() -> None:
    # From evidence to invoice and back: an education report voided after it was invoiced.
    report = MilestoneEvidence("E-9", "M-1", "P-01", EvidenceKind.EDUCATION_REPORT,
                               date(2026, 5, 1), {"document": "certificate"})  # fmt: skip
    meeting = ServiceEvent("V-1", "M-1", "P-01", "S-1", date(2026, 5, 1), time(9), time(10),
                           Activity.EDUCATION_SUPPORT, Contact.IN_PERSON,
                           Setting.INDIVIDUAL)  # fmt: skip
    before = evaluate_member([report], [meeting], CATALOG, THROUGH).earned
    sent = [as_invoiced(x) for x in plan(list(before))]
    assert [x.milestone for x in sent] == ["8"]
    voided = MilestoneEvidence("E-9", "M-1", "P-01", EvidenceKind.EDUCATION_REPORT,
                               date(2026, 5, 1), {"document": "certificate"}, True, 2)  # fmt: skip
    after = evaluate_member([report, voided], [meeting], CATALOG, THROUGH).earned
    credit = plan(list(after), invoiced=sent)
    assert [(x.milestone, x.kind, x.amount) for x in credit] == [
        ("8", LineKind.CREDIT, Decimal("-1060.00"))
    ]


def test_an_occurrence_earned_on_the_through_date_is_charged() -> None:
    # A charge goes out for each occurrence earned "on or before" the invoice's through date.
    on = earned("M-1", "8", on=THROUGH)
    after = earned("M-1", "8", 2, on=THROUGH + timedelta(days=1))
    assert plan([on, after]) == (
        PlannedLine("M-1", "P-01", "8", 1, THROUGH, Decimal("1060.00"), LineKind.CHARGE, None),
    )


def _auth(
    ident: str, start: date, end: date | None = None, milestone: str = "3-A"
) -> EipdAuthorization:
    return EipdAuthorization(ident, "M-1", "P-01", milestone, start, end)


def test_the_latest_starting_covering_authorization_wins_whatever_their_order() -> None:
    # docs/milestones.md, "Earned but waiting": the line carries the EIPD authorization covering
    # the earned date; when several overlap, the latest starting (on equal starts: the greatest id).
    occurrence = earned("M-1", "3-A", on=date(2026, 3, 10))
    overlapping = [
        _auth("A-9", date(2026, 1, 1)),
        _auth("A-1", date(2026, 3, 1)),
        _auth("A-5", date(2026, 2, 1), date(2026, 12, 31)),
        _auth("A-0", date(2026, 3, 11)),  # starts after the earned date: covers nothing here
    ]
    for auths in (overlapping, overlapping[::-1]):
        (line,) = plan([occurrence], PayerKind.EIPD, auths=auths)
        assert line.eipd_authorization_id == "A-1"
        assert line.provider_id == "P-01" and line.amount == Decimal("2910.00")
    same_start = [_auth("A-2", date(2026, 3, 1)), _auth("A-3", date(2026, 3, 1))]
    for auths in (same_start, same_start[::-1]):
        (line,) = plan([occurrence], PayerKind.EIPD, auths=auths)
        assert line.eipd_authorization_id == "A-3"


def test_an_lme_mco_line_carries_no_eipd_authorization() -> None:
    # Only EIPD milestones go out under an EIPD authorization; a record naming an LME-MCO
    # milestone never lends its id to that milestone's line.
    stray = [_auth("A-1", date(2026, 1, 1), milestone="8")]
    (line,) = plan([earned("M-1", "8")], auths=stray)
    assert line.eipd_authorization_id is None and line.kind is LineKind.CHARGE


@given(amount=st.decimals(Decimal("0.01"), Decimal("9999.99"), places=2))
@example(amount=Decimal("1.00"))
@example(amount=Decimal("0.01"))
@settings(max_examples=25, deadline=None)
def test_a_credit_reverses_the_latest_charge_with_its_date_and_authorization(
    amount: Decimal,
) -> None:
    # An occurrence charged, credited after a void, earned again on a later date under another
    # authorization and charged again, then voided again: the new credit reverses the net amount
    # and repeats the latest charge's date and authorization (sent invoices never change).
    first = InvoicedOccurrence("M-1", "3-A", 1, date(2026, 2, 2), amount, "A-1")
    credit = InvoicedOccurrence("M-1", "3-A", 1, date(2026, 2, 2), -amount, "A-1")
    second = InvoicedOccurrence("M-1", "3-A", 1, date(2026, 4, 4), amount, "A-2")
    lines = plan([], PayerKind.EIPD, invoiced=[first, credit, second])
    assert lines == (
        PlannedLine("M-1", "P-01", "3-A", 1, date(2026, 4, 4), -amount, LineKind.CREDIT, "A-2"),
    )
    assert plan([], PayerKind.EIPD, invoiced=[first]) == (
        PlannedLine("M-1", "P-01", "3-A", 1, date(2026, 2, 2), -amount, LineKind.CREDIT, "A-1"),
    )

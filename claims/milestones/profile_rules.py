"""Milestones earned by documents: career profile (1, 2), advancement (7, 8), independence (9)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from claims.milestones.catalog import MilestoneDef
from claims.milestones.evidence import EvidenceKind, MilestoneEvidence
from claims.milestones.facts import Facts, Mark
from claims.milestones.results import Draft, RuleOutcome, draft

Earned = Mapping[str, Sequence[Draft]]


def _mark(ev: MilestoneEvidence) -> Mark:
    return Mark(ev.date, False, ev.evidence_id, ev.provider_id)


def _first_sections(
    facts: Facts, sections: Sequence[str], in_person: bool
) -> tuple[dict[str, Mark], list[str]]:
    """The first qualifying document of each wanted section, and the sections documented only
    on days without an in-person contact."""
    contact_days = set(facts.contacts.days) if in_person else set()
    found: dict[str, Mark] = {}
    not_in_person: list[str] = []
    for ev in facts.of(EvidenceKind.CAREER_PROFILE_SECTION):
        section = ev.text("section")
        if section is None or section not in sections or section in found:
            continue
        if in_person and ev.date not in contact_days:
            not_in_person.append(section)
            continue
        found[section] = _mark(ev)
    return found, sorted(set(not_in_person) - set(found))


def _sections_missing(sections: Sequence[str], found: Mapping[str, Mark]) -> list[str]:
    absent = [s for s in sections if s not in found]
    return [f"career-profile sections missing: {', '.join(absent)}"] if absent else []


def initial_profile(m: MilestoneDef, facts: Facts, earned: Earned) -> RuleOutcome:
    # 004 lines 8 and 14: the six sections "must be detailed" and "Appointments and interactions
    # with the individual must be in-person": a section counts when documented on a day with an
    # in-person contact with the individual.
    sections = m.thresholds.sections or ()
    found, not_in_person = _first_sections(facts, sections, m.thresholds.in_person_required)
    missing = _sections_missing(sections, found)
    if not_in_person:
        missing.append(
            f"sections documented without an in-person contact that day: {', '.join(not_in_person)}"
        )
    if missing:
        return RuleOutcome((), tuple(missing))
    return RuleOutcome((draft(m.id, list(found.values())),), ())


def _signature(facts: Facts, not_before: Mark) -> Mark | None:
    # 004 line 21, "Completed/ Signed Career Profile": the signature on the completed profile.
    for ev in facts.of(EvidenceKind.CAREER_PROFILE_SIGNED):
        if ev.date >= not_before.day:
            return _mark(ev)
    return None


def completed_profile(m: MilestoneDef, facts: Facts, earned: Earned) -> RuleOutcome:
    # billing-rules.md 3: "once, after 1"; 004 line 20: "All sections of the Career Profile
    # complete"; line 21: "Completed/ Signed Career Profile".
    sections = m.thresholds.sections or ()
    found, _ = _first_sections(facts, sections, in_person=False)
    missing = _sections_missing(sections, found)
    prior = [d for r in m.requires for d in earned.get(r, ())[:1]]
    missing += [f"milestone {r} not yet earned" for r in m.requires if not earned.get(r)]
    signed = _signature(facts, max(found.values())) if found else None
    if m.thresholds.signature_required and signed is None:
        missing.append("career profile not signed after its last section")
    if missing:
        return RuleOutcome((), tuple(missing))
    marks = [*found.values(), *(d.marks[-1] for d in prior), *([signed] if signed else [])]
    return RuleOutcome((draft(m.id, marks),), ())


def _capped(m: MilestoneDef, drafts: list[Draft], pending: list[str]) -> RuleOutcome:
    kept = sorted(drafts, key=lambda d: d.sort_key)[: m.limit]
    if m.limit is not None and len(kept) >= m.limit:
        return RuleOutcome(tuple(kept), ())
    return RuleOutcome(tuple(kept), tuple(pending))


def _profile_updates(facts: Facts) -> list[MilestoneEvidence]:
    updates = [
        ev
        for kind in (EvidenceKind.CAREER_PROFILE_SECTION, EvidenceKind.CAREER_PROFILE_SIGNED)
        for ev in facts.of(kind)
    ]
    return sorted(updates, key=lambda ev: (ev.date, ev.evidence_id))


def _own_update(
    updates: list[MilestoneEvidence], used: set[str], advancement: MilestoneEvidence, days: int
) -> MilestoneEvidence | None:
    # The first unused update dated on or after the advancement, within ``days`` of it.
    last = advancement.date + timedelta(days=days)
    for ev in updates:
        if advancement.date <= ev.date <= last and ev.evidence_id not in used:
            used.add(ev.evidence_id)
            return ev
    return None


def career_advancement(m: MilestoneDef, facts: Facts, earned: Earned) -> RuleOutcome:
    # 004 line 95-97: an advancement (promotion, better job, pay increase, more hours, new title)
    # with "Submitting updated Career Profile", "Three times". Each advancement needs its own
    # update after it: a career-profile section or signature dated on or after the advancement,
    # within profile_update_window_days (catalog); one update pays one advancement
    # (docs/milestones.md, "No double counting"). Advancements take updates in date order.
    days = m.thresholds.profile_update_window_days or 0
    updates, used = _profile_updates(facts), set[str]()
    drafts: list[Draft] = []
    pending: list[str] = []
    for ev in facts.of(EvidenceKind.CAREER_ADVANCEMENT):
        if ev.text("type") not in (m.thresholds.advancement_types or ()):
            continue
        update = _own_update(updates, used, ev, days)
        if update is None:
            pending.append(
                f"a career-profile update of its own within {days} days after the career "
                f"advancement on {ev.date.isoformat()}"
            )
        else:
            drafts.append(draft(m.id, [_mark(ev), _mark(update)]))
    return _capped(m, drafts, pending or ["a career-advancement event with an updated profile"])


def educational_advancement(m: MilestoneDef, facts: Facts, earned: Earned) -> RuleOutcome:
    # 004 line 104: "Copy of certificate or grade report at the end of quarter/semester ... pass
    # or fail", "Three times".
    documents = m.thresholds.documents or ()
    drafts = [
        draft(m.id, [_mark(ev)])
        for ev in facts.of(EvidenceKind.EDUCATION_REPORT)
        if ev.text("document") in documents
    ]
    return _capped(m, drafts, ["a certificate or end-of-term grade report"])


def independence(m: MilestoneDef, facts: Facts, earned: Earned) -> RuleOutcome:
    # 004 line 109: "met when the individual has met the goals identified in their Career
    # Profile"; line 111: "Updated Career Profile with Vocational Recovery and Independence Plan".
    plans = [
        ev
        for ev in facts.of(EvidenceKind.INDEPENDENCE_PLAN)
        if ev.flag("goals_met") or not m.thresholds.goals_met_required
    ]
    if not plans:
        return RuleOutcome((), ("an independence plan with its goals met",))
    return RuleOutcome((draft(m.id, [_mark(plans[0])]),), ())

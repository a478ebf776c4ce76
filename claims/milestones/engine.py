"""evaluate_member: one member's NC CORE milestones, earned and in progress (billing-rules.md 3)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from msgspec.structs import replace

from claims.errors import InvalidInput
from claims.milestones import employment_rules as job
from claims.milestones import profile_rules as profile
from claims.milestones import search_rules as search
from claims.milestones.catalog import Frequency, MilestoneCatalog, MilestoneDef
from claims.milestones.evidence import MilestoneEvidence
from claims.milestones.facts import Facts, Mark, build_facts
from claims.milestones.gates import Gatekeeper, MilestoneGates
from claims.milestones.results import (
    Draft,
    EarnedMilestone,
    MemberMilestones,
    MilestoneProgress,
    RuleOutcome,
)
from claims.model import ServiceEvent

Rule = Callable[[MilestoneDef, Facts, Mapping[str, Sequence[Draft]]], RuleOutcome]

# Which rule reads each milestone's catalog entry; the entry holds the numbers.
RULES: dict[str, Rule] = {
    "1": profile.initial_profile,
    "2": profile.completed_profile,
    "3-A": search.job_search,
    "3-B": search.employer_networking,
    "3-C": job.job_placement,
    "4": job.job_support,
    "5-A": job.vocational_recovery_plus,
    "5-B": job.vocational_recovery_plus,
    "5-C": job.vocational_recovery_plus,
    "6": job.long_term_retention,
    "7": profile.career_advancement,
    "8": profile.educational_advancement,
    "9": profile.independence,
}


def evaluate_member(
    evidence: Iterable[MilestoneEvidence],
    events: Iterable[ServiceEvent],
    catalog: MilestoneCatalog,
    today: date,
    gates: MilestoneGates | None = None,
) -> MemberMilestones:
    """Every milestone occurrence the member has earned by ``today``, and progress toward the next.

    ``evidence`` and ``events`` are all of one member's records (voided ones and older versions
    may be included: they are set aside). Their order never matters. With ``gates``, each
    occurrence says what keeps it off an invoice, and so does its milestone's progress.
    """
    evidence, events = list(evidence), list(events)
    facts = build_facts(evidence, events, today, _one_member(evidence, events))
    drafts: dict[str, list[Draft]] = {}
    progress: list[MilestoneProgress] = []
    for m in _evaluation_order(catalog):
        outcome = RULES[m.id](m, facts, drafts)
        drafts[m.id] = _after_prerequisites(m, catalog, outcome.drafts, drafts)
        progress.append(MilestoneProgress(m.id, bool(drafts[m.id]), outcome.missing))
    progress.sort(key=lambda p: catalog.rank(p.milestone))
    earned = [e for m in catalog.milestones for e in _numbered(m, facts.member_id, drafts[m.id])]
    if gates is not None:
        earned, progress = _gated(earned, progress, Gatekeeper(gates))
    return MemberMilestones(tuple(earned), tuple(progress))


def _gated(
    earned: list[EarnedMilestone], progress: list[MilestoneProgress], keeper: Gatekeeper
) -> tuple[list[EarnedMilestone], list[MilestoneProgress]]:
    """Occurrences with what they wait for; each milestone's progress names those reasons."""
    gated: list[EarnedMilestone] = []
    notes: dict[str, list[str]] = {}
    for e in earned:
        waiting, auth = keeper.waiting(e)
        if waiting or auth:
            e = replace(e, waiting=waiting, eipd_authorization_id=auth)
        for why in waiting:
            notes.setdefault(e.milestone, []).append(
                f"occurrence {e.occurrence} earned on {e.earned_on.isoformat()} is not "
                f"invoiced: {why}"
            )
        gated.append(e)
    if notes:
        progress = [replace(p, missing=(*notes.get(p.milestone, ()), *p.missing)) for p in progress]
    return gated, progress


def _one_member(evidence: Sequence[MilestoneEvidence], events: Sequence[ServiceEvent]) -> str:
    members = {ev.member_id for ev in evidence} | {e.member_id for e in events}
    if len(members) > 1:
        raise InvalidInput("evidence and events must belong to one member")
    return members.pop() if members else ""


_ORDERS: dict[int, tuple[MilestoneCatalog, list[MilestoneDef]]] = {}


def _evaluation_order(catalog: MilestoneCatalog) -> list[MilestoneDef]:
    # Worked out once per catalog (kept alive in the cache, so its id is not reused).
    cached = _ORDERS.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        cached = _ORDERS[id(catalog)] = (catalog, _prerequisites_first(catalog))
    return cached[1]


def _prerequisites_first(catalog: MilestoneCatalog) -> list[MilestoneDef]:
    """Prerequisites first (the catalog's ``requires``), otherwise catalog order."""
    done: dict[str, MilestoneDef] = {}
    while len(done) < len(catalog.milestones):
        ready = [
            m for m in catalog.milestones if m.id not in done and all(r in done for r in m.requires)
        ]
        if not ready:
            raise InvalidInput("milestone catalog prerequisites form a cycle")
        done.update((m.id, m) for m in ready)
    return list(done.values())


def _after_prerequisites(
    m: MilestoneDef,
    catalog: MilestoneCatalog,
    found: Sequence[Draft],
    earned: Mapping[str, Sequence[Draft]],
) -> list[Draft]:
    """Occurrences whose prerequisites were earned first (for a per-job milestone: for the same
    job, when the prerequisite is per job too), in the order they are numbered."""
    kept = list(found)
    if m.requires:
        priors = [(catalog.get(r), earned.get(r, ())) for r in m.requires]
        kept = [d for d in kept if all(_prior_earned(p, d, ds) for p, ds in priors)]
    if len(kept) > 1:
        kept.sort(key=_draft_order)
    return kept


def _draft_order(d: Draft) -> tuple[date, str, tuple[Mark, ...]]:
    return (d.earned_on, d.job_key or "", d.marks)


def _prior_earned(prior: MilestoneDef, d: Draft, prior_drafts: Sequence[Draft]) -> bool:
    same_job = prior.frequency is Frequency.ONCE_PER_JOB and d.job_key is not None
    return any(
        p.earned_on <= d.earned_on and (not same_job or p.job_key == d.job_key)
        for p in prior_drafts
    )


def _refs(marks: Sequence[Mark]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Evidence ids and event ids, each once, in mark order."""
    evidence: dict[str, None] = {}
    events: dict[str, None] = {}
    for mark in marks:
        (events if mark.from_event else evidence)[mark.ref] = None
    return tuple(evidence), tuple(events)


def _numbered(m: MilestoneDef, member_id: str, drafts: Sequence[Draft]) -> list[EarnedMilestone]:
    amount, kind = m.amount, m.payer_kind
    return [
        EarnedMilestone(
            member_id, m.id, n, d.earned_on, amount, kind, d.provider_id, d.job_key, *_refs(d.marks)
        )  # fmt: skip
        for n, d in enumerate(drafts, start=1)
    ]

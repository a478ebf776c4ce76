"""From unit lines to claims, and from claims to the 837P's ST / HL tree.

billing-rules.md section 2: one claim (2300) per member per provider per calendar month of
service, at most ``profile.limits.lines_per_claim`` (50) lines; at most 100 claims per subscriber
HL and 5,000 claims per ST (TR3 005010X222A1 limits). Everything here is deterministic: the same
input gives the same groups in the same order.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

from msgspec import Struct

from claims.errors import InvalidInput
from claims.profile import ClaimLimits
from claims.x12.model import BillingProvider, ClaimGroup, ClaimInput, LineRecord, Subscriber

CLM01_MAX = 20  # TR3: CLM01 is AN 1-38, but payers echo only 20 (billing-rules.md section 2)


def group_lines(records: Iterable[LineRecord], lines_per_claim: int = 50) -> tuple[ClaimGroup, ...]:
    """Group lines into claims: sorted by member, provider, month, then date, procedure, line id.

    A month with more than ``lines_per_claim`` lines continues on a new claim (``part`` 2, ...).
    """
    if lines_per_claim < 1:
        raise InvalidInput("lines_per_claim must be at least 1")
    ordered = sorted(records, key=_line_order)
    groups: list[ClaimGroup] = []
    for key, lines in _runs(ordered):
        for part, (start, size) in enumerate(claim_slices(len(lines), lines_per_claim), start=1):
            chunk = tuple(lines[start : start + size])
            groups.append(ClaimGroup(key[0], key[1], key[2], part, chunk))
    return tuple(groups)


def claim_slices(count: int, lines_per_claim: int) -> list[tuple[int, int]]:
    """The claims of one member, provider and month of ``count`` lines in billing order, as
    (offset, size): a month past ``lines_per_claim`` lines continues on another claim."""
    if lines_per_claim < 1:
        raise InvalidInput("lines_per_claim must be at least 1")
    return [
        (start, min(lines_per_claim, count - start)) for start in range(0, count, lines_per_claim)
    ]


def _line_order(line: LineRecord) -> tuple[str, str, str, str, str]:
    day = line.service_date.isoformat()
    return (line.member_id, line.provider_id, day, line.procedure_key, line.line_id)


def _runs(ordered: list[LineRecord]) -> list[tuple[tuple[str, str, str], list[LineRecord]]]:
    runs: list[tuple[tuple[str, str, str], list[LineRecord]]] = []
    for line in ordered:
        key = (line.member_id, line.provider_id, line.service_date.isoformat()[:7])
        if not runs or runs[-1][0] != key:
            runs.append((key, []))
        runs[-1][1].append(line)
    return runs


def claim_id(prefix: str, batch_sequence: int, claim_sequence: int) -> str:
    """A CLM01 from parts: ``prefix`` + batch sequence (9 digits) + claim sequence (5 digits).

    E.g. ``claim_id("IP", 42, 7) == "IP00000004200007"``. Unique as long as the batch sequence is
    (the service draws it from its control-number counter) and a batch has < 100,000 claims.
    """
    if prefix and not (prefix.isascii() and prefix.isalnum() and prefix == prefix.upper()):
        raise InvalidInput("claim id prefix must be upper-case letters or digits")
    if not 0 <= batch_sequence <= 999_999_999 or not 0 <= claim_sequence <= 99_999:
        raise InvalidInput("claim id sequence out of range")
    value = f"{prefix}{batch_sequence:09d}{claim_sequence:05d}"
    if len(value) > CLM01_MAX:
        raise InvalidInput(f"claim id prefix too long: CLM01 holds {CLM01_MAX} characters")
    return value


def transactions_needed(claim_count: int, limits: ClaimLimits) -> int:
    """How many ST control numbers a batch of ``claim_count`` claims uses."""
    per_st = limits.claims_per_transaction
    return max(1, (claim_count + per_st - 1) // per_st)


# ---------------------------------------------------------------------------------------------
# The HL tree of one transaction set


class SubscriberBlock(Struct, frozen=True, gc=False):
    subscriber: Subscriber
    claims: tuple[ClaimInput, ...]  # at most claims_per_subscriber_hl


class ProviderBlock(Struct, frozen=True, gc=False):
    provider: BillingProvider
    subscribers: tuple[SubscriberBlock, ...]


def split_transactions(
    claims: Sequence[ClaimInput], limits: ClaimLimits
) -> list[Sequence[ClaimInput]]:
    """Claims in input order, ``claims_per_transaction`` per ST (claim i -> ST i // per_st)."""
    per_st = limits.claims_per_transaction
    return [claims[start : start + per_st] for start in range(0, len(claims), per_st)]


def hl_tree(claims: Iterable[ClaimInput], limits: ClaimLimits) -> tuple[ProviderBlock, ...]:
    """One 2000A per billing provider, one 2000B per member under it (another after every
    ``claims_per_subscriber_hl`` claims), in order of first appearance; claims keep their order."""
    ordered = tuple(claims)
    layout = hl_layout([(c.provider, c.subscriber) for c in ordered], limits)
    return tuple(
        ProviderBlock(
            ordered[blocks[0][0]].provider,
            tuple(
                SubscriberBlock(ordered[block[0]].subscriber, tuple(ordered[i] for i in block))
                for block in blocks
            ),
        )
        for blocks in layout
    )


def hl_layout(
    keys: Sequence[tuple[Hashable, Hashable]], limits: ClaimLimits
) -> list[list[list[int]]]:
    """``hl_tree`` on keys alone: claim i is keyed (provider, subscriber); the answer lists, per
    provider block, its subscriber blocks as claim indexes. The service lays out a transaction
    from ids before it loads any line, then writes it in pages in this order."""
    by_provider: dict[Hashable, dict[Hashable, list[int]]] = {}
    for index, (provider, subscriber) in enumerate(keys):
        by_provider.setdefault(provider, {}).setdefault(subscriber, []).append(index)
    size = limits.claims_per_subscriber_hl
    return [
        [claims[start : start + size] for claims in members.values()
         for start in range(0, len(claims), size)]
        for members in by_provider.values()
    ]  # fmt: skip

"""Per-line holds, the authorization count and money (billing-rules.md 1.2 and 1.4).

Lines are settled in date order (within a date by provider and modifiers), so the first-64
allowance and each authorization are drawn down in date-of-service order, as 1.2 requires.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from msgspec import Struct

from claims.model import PROCEDURE, Authorization, LineStatus, ReasonCode, UnitCounters, UnitLine
from claims.money import to_money
from claims.units.ledger import Line, take_latest_first
from claims.units.lookup import MemberLookup
from claims.units.rounding import UNIT_MINUTES

ZERO = to_money(0)
MEMBER_DATA_DETAIL = "member has no diagnosis or no subscriber id"


class Counters:
    """Units counted so far per provider (toward the first 64) and per authorization."""

    __slots__ = ("by_provider", "by_authorization")

    def __init__(self, start: UnitCounters) -> None:
        self.by_provider = dict(start.by_provider)
        self.by_authorization = dict(start.by_authorization)

    def count(
        self,
        provider_id: str,
        authorization_id: str | None,
        units: int,
        draws: tuple[tuple[str, int], ...] = (),
    ) -> None:
        self.by_provider[provider_id] = self.by_provider.get(provider_id, 0) + units
        if draws:  # drawn from several authorizations: each keeps its own count
            for drawn_id, drawn in draws:
                self.by_authorization[drawn_id] = self.by_authorization.get(drawn_id, 0) + drawn
        elif authorization_id is not None:
            used = self.by_authorization.get(authorization_id, 0)
            self.by_authorization[authorization_id] = used + units


class Grant(Struct, frozen=True, gc=False):
    """How many of a line's units the authorization rules let through, and why not the rest."""

    billable: int
    held: int
    code: ReasonCode | None
    authorization_id: str | None
    detail: str
    # Every (authorization, units) drawn when more than one authorization gave units, else ().
    draws: tuple[tuple[str, int], ...] = ()


NOTHING = Grant(0, 0, None, None, "")


def authorize(units: int, provider_id: str, day: date, look: MemberLookup, n: Counters) -> Grant:
    """YP630 def., Utilization Management: "no prior authorization for the first 64 units ...
    Authorization for continued services must occur after the 64 units"."""
    for auth in look.own.get(provider_id, ()):
        if auth.start_date <= day <= auth.end_date:
            left = auth.units - n.by_authorization.get(auth.authorization_id, 0)
            if units <= left:  # the usual case: the first one drawn from has room for the line
                return Grant(units, 0, None, auth.authorization_id, "")
            covering = [a for a in look.own[provider_id] if a.start_date <= day <= a.end_date]
            return _draw(units, covering, n)
    allowance = look.settings.units_without_authorization
    left = allowance - n.by_provider.get(provider_id, 0)
    if units <= left:
        return Grant(units, 0, None, None, "")
    left = max(0, left)
    detail = f"provider {provider_id} used the {allowance} units allowed without authorization"
    return Grant(left, units - left, ReasonCode.NO_AUTHORIZATION, None, detail)


def _draw(units: int, covering: list[Authorization], n: Counters) -> Grant:
    """docs/units.md, "Overlapping authorizations": the line draws from the covering
    authorization with the earliest end date first, then the next; units are held only when
    every covering authorization is used up. ``covering`` is in that order (lookup.own)."""
    draws: list[tuple[str, int]] = []
    needed = units
    for auth in covering:
        left = auth.units - n.by_authorization.get(auth.authorization_id, 0)
        if left > 0 and needed > 0:
            taken = left if left < needed else needed
            draws.append((auth.authorization_id, taken))
            needed -= taken
    first = draws[0][0] if draws else covering[0].authorization_id
    several = tuple(draws) if len(draws) > 1 else ()
    if needed == 0:
        return Grant(units, 0, None, first, "", several)
    names = ", ".join(a.authorization_id for a in covering)
    detail = (
        f"authorization {names} has no units left"
        if len(covering) == 1
        else (f"authorizations {names} have no units left")
    )
    return Grant(units - needed, needed, ReasonCode.AUTHORIZATION_EXHAUSTED, first, detail,
                 several)  # fmt: skip


def settle_line(line: Line, day: date, look: MemberLookup, counters: Counters) -> UnitLine:
    rate = look.rate(day, line.key)
    if line.units == 0:  # rounding or the cap left nothing to hold or bill
        return _unit_line(line, day, look, rate, NOTHING)
    holds = _documentation_holds(line, look, rate)
    grant = authorize(line.units, line.provider_id, day, look, counters)
    if holds:
        _hold_whole(line, holds, grant, day)
        return _unit_line(line, day, look, rate, Grant(0, line.units, holds[0], None, ""))
    counters.count(line.provider_id, grant.authorization_id, grant.billable, grant.draws)
    if grant.code is not None:
        _hold_part(line, grant, grant.code)
    return _unit_line(line, day, look, rate, grant)


def _documentation_holds(line: Line, look: MemberLookup, rate: Decimal | None) -> list[ReasonCode]:
    """Holds that stop the whole line, in priority order (the first takes the minutes)."""
    holds: list[ReasonCode] = []
    # YP630 def., Documentation: "A full service note shall be written per date of service".
    for ledger in line.ledgers:
        if ledger.event.note_id is None:
            holds.append(ReasonCode.MISSING_SERVICE_NOTE)
            break
    # Attachment A: the 837P carries an ICD-10-CM diagnosis and the subscriber id.
    if look.member_data_missing:
        holds.append(ReasonCode.MISSING_MEMBER_DATA)
    # billing-rules 1.4: "No rate ships as a default".
    if rate is None:
        holds.append(ReasonCode.MISSING_FEE_SCHEDULE)
    return holds


def _hold_whole(line: Line, holds: list[ReasonCode], grant: Grant, day: date) -> None:
    """All minutes under the first hold; the other applicable holds listed with 0 minutes."""
    undocumented = [lg.event.event_id for lg in line.ledgers if lg.event.note_id is None]
    details = {
        ReasonCode.MISSING_SERVICE_NOTE: "no service note on event " + ", ".join(undocumented),
        ReasonCode.MISSING_MEMBER_DATA: MEMBER_DATA_DETAIL,
        ReasonCode.MISSING_FEE_SCHEDULE: f"no {line.key} rate in effect on {day.isoformat()}",
    }
    others = [(code, details[code]) for code in holds[1:]]
    if grant.code is not None:  # what the authorization rules would hold once documented
        others.append((grant.code, grant.detail))
    for ledger in line.ledgers:
        primary = details[holds[0]]
        if holds[0] is ReasonCode.MISSING_SERVICE_NOTE and ledger.event.note_id is None:
            primary = "no service note"
        ledger.lose_all(holds[0], primary)
        for code, detail in others:
            ledger.lose(code, 0, detail)


def _hold_part(line: Line, grant: Grant, code: ReasonCode) -> None:
    # Billable minutes are billable_units*15 (never more than the line kept); the rest wait,
    # taken from the line's latest events first.
    retained = line.retained()
    held = retained - min(grant.billable * UNIT_MINUTES, retained)
    take_latest_first(line.ledgers, held, code, grant.detail)


def _unit_line(
    line: Line, day: date, look: MemberLookup, rate: Decimal | None, grant: Grant
) -> UnitLine:
    billable, held = grant.billable, grant.held
    if billable:
        status, charge = LineStatus.BILLABLE, look.charge(billable, rate)
    else:
        status, charge = (LineStatus.HELD if held else LineStatus.EXCLUDED), ZERO
    return UnitLine(
        look.member_id, line.provider_id, look.payer_id, day, PROCEDURE, line.modifiers,
        line.minutes, billable, held, status, tuple([lg.event.event_id for lg in line.ledgers]),
        rate, charge, grant.code, grant.authorization_id if billable else None, billable,
        grant.draws,
    )  # fmt: skip

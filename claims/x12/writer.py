"""The 837P writer, 005010X222A1: a BatchInput in, the X12 text out, byte-identical every time.

Hot path: segments are f-strings joined per piece (``StreamWriter``); values that repeat (dates,
amounts, subscriber and provider loops) are formatted once per batch. Amounts are written in the
shortest form X12's R type allows ("140", "6.5", "17.25"): CLM02 is the exact decimal sum of the
SV102 it heads. Free text is upper-cased ASCII with separators blanked; identifiers that would
need altering (a separator inside a line id) are refused instead, so REF*6R echoes back intact.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from msgspec import Struct

from claims.errors import InvalidInput
from claims.money import to_money
from claims.profile import InterchangeProfile, PayerProfile
from claims.x12.build import (
    CLM01_MAX,
    ProviderBlock,
    SubscriberBlock,
    hl_tree,
    split_transactions,
    transactions_needed,
)
from claims.x12.model import BatchInput, BillingProvider, ClaimInput, Subscriber

VERSION = "005010X222A1"


@dataclass(slots=True)
class _Ctx:
    """Per-batch state: separators, the profile, and caches of formatted values."""

    e: str  # element separator
    c: str  # component separator
    profile: PayerProfile
    dates: dict[date, str]
    amounts: dict[Decimal, str]
    forbidden: str  # characters no value may contain


def write_837p(batch: BatchInput) -> str:
    """The whole interchange: ISA, GS, one ST per ``claims_per_transaction`` claims, GE, IEA."""
    writer = StreamWriter(batch.profile)
    sets = split_transactions(batch.claims, batch.profile.limits)
    numbers = _st_numbers(batch, len(sets))
    parts = [writer.open(envelope_of(batch))]
    for number, claims in zip(numbers, sets, strict=True):
        parts.append(writer.begin_transaction(number))
        parts.extend(writer.provider_block(block) for block in hl_tree(claims, writer.limits))
        parts.append(writer.end_transaction())
    parts.append(writer.close())
    return "".join(parts)


class Envelope(Struct, frozen=True, gc=False):
    """What the ISA, GS and each ST header say: control numbers and the creation time."""

    interchange_control_number: int
    group_control_number: int
    created_at: datetime


def envelope_of(batch: BatchInput) -> Envelope:
    return Envelope(batch.interchange_control_number, batch.group_control_number, batch.created_at)


class StreamWriter:
    """The same bytes as ``write_837p``, written in pieces so a batch of any size is never
    held whole: ``open``, then per ST ``begin_transaction``, ``provider_block`` for each
    part of its HL tree (in ``hl_tree`` order; a block whose provider equals the previous
    one's continues that 2000A loop), ``end_transaction``; then ``close``. Each call returns
    whole segments, terminators included. The caller keeps ``hl_tree``'s order and the
    per-ST limits (``split_transactions``), as ``write_837p`` does."""

    def __init__(self, profile: PayerProfile) -> None:
        self._ctx = _context(profile)
        ic = profile.interchange
        self._term = ic.segment_terminator + ("\n" if ic.segment_newline else "")
        self.limits = profile.limits
        self._envelope: Envelope | None = None
        self._transactions = 0
        self._st02 = ""
        self._segments = 0  # written since ST, ST included
        self._hl = 0
        self._provider: tuple[BillingProvider, int] | None = None  # the open 2000A and its HL

    def open(self, envelope: Envelope) -> str:
        ic = self._ctx.profile.interchange
        self._envelope = envelope
        return self._join([_isa(ic, envelope), _gs(ic, envelope)])

    def begin_transaction(self, number: int) -> str:
        envelope = self._opened()
        self._transactions += 1
        self._st02 = f"{number:04d}"
        self._hl, self._provider = 0, None
        out = [f"ST{self._ctx.e}837{self._ctx.e}{self._st02}{self._ctx.e}{VERSION}"]
        _header(out, self._ctx, envelope, self._st02)
        self._segments = len(out)
        return self._join(out)

    def provider_block(self, block: ProviderBlock) -> str:
        out: list[str] = []
        if self._provider is None or self._provider[0] != block.provider:
            self._hl += 1
            self._provider = (block.provider, self._hl)
            out.append(f"HL{self._ctx.e}{self._hl}{self._ctx.e}{self._ctx.e}20{self._ctx.e}1")
            out.extend(_provider_segments(block.provider, self._ctx))
        for subscriber_block in block.subscribers:
            self._hl += 1
            _subscriber_loop(out, self._ctx, subscriber_block, self._hl, self._provider[1])
        self._segments += len(out)
        return self._join(out)

    def end_transaction(self) -> str:
        return self._join([f"SE{self._ctx.e}{self._segments + 1}{self._ctx.e}{self._st02}"])

    def close(self) -> str:
        envelope, e = self._opened(), self._ctx.e
        return self._join(
            [
                f"GE{e}{self._transactions}{e}{envelope.group_control_number}",
                f"IEA{e}1{e}{envelope.interchange_control_number:09d}",
            ]
        )

    def _opened(self) -> Envelope:
        if self._envelope is None:
            raise InvalidInput("the interchange is not open")
        return self._envelope

    def _join(self, segments: list[str]) -> str:
        return "".join(segment + self._term for segment in segments)


def _context(profile: PayerProfile) -> _Ctx:
    ic = profile.interchange
    seps = (
        ic.element_separator
        + ic.component_separator
        + ic.repetition_separator
        + ic.segment_terminator
    )
    if len(set(seps)) != 4 or any(ch.isalnum() or ch.isspace() for ch in seps):
        raise InvalidInput("profile separators must be four distinct non-alphanumeric characters")
    return _Ctx(ic.element_separator, ic.component_separator, profile, {}, {}, seps + "\n\r")


def _st_numbers(batch: BatchInput, count: int) -> Sequence[int]:
    if not batch.claims:
        raise InvalidInput("a claim batch needs at least one claim")
    needed = transactions_needed(len(batch.claims), batch.profile.limits)
    numbers = batch.transaction_control_numbers
    if len(numbers) < needed or len(set(numbers[:needed])) != needed:
        raise InvalidInput(f"the batch needs {needed} distinct transaction control numbers")
    if not all(1 <= n <= 999_999_999 for n in numbers[:needed]):
        raise InvalidInput("transaction control numbers must be 1 to 999999999")
    return numbers[:count]


def _isa(ic: InterchangeProfile, batch: Envelope) -> str:
    # ISA is fixed width: every element padded to its exact size (X12.5 / TR3 appendix B).
    icn = batch.interchange_control_number
    if not 1 <= icn <= 999_999_999 or not 1 <= batch.group_control_number <= 999_999_999:
        raise InvalidInput("interchange and group control numbers must be 1 to 999999999")
    fields = (
        "ISA", "00", " " * 10, "00", " " * 10,
        ic.isa_sender_qualifier, f"{ic.isa_sender_id.upper():<15}",
        ic.isa_receiver_qualifier, f"{ic.isa_receiver_id.upper():<15}",
        batch.created_at.strftime("%y%m%d"), batch.created_at.strftime("%H%M"),
        ic.repetition_separator, "00501", f"{icn:09d}",
        ic.acknowledgment_requested, ic.usage_indicator, ic.component_separator,
    )  # fmt: skip
    return ic.element_separator.join(fields)


def _gs(ic: InterchangeProfile, batch: Envelope) -> str:
    when = batch.created_at
    fields = ("GS", "HC", ic.gs_sender_code.upper(), ic.gs_receiver_code.upper(),
              when.strftime("%Y%m%d"), when.strftime("%H%M"),
              str(batch.group_control_number), "X", VERSION)  # fmt: skip
    return ic.element_separator.join(fields)


def _header(out: list[str], ctx: _Ctx, batch: Envelope, st02: str) -> None:
    ic, e = ctx.profile.interchange, ctx.e
    when = batch.created_at
    # BHT03 originator reference: ISA13 + ST02, unique per sender like both of its parts.
    reference = f"{batch.interchange_control_number:09d}{st02}"
    out.append(f"BHT{e}0019{e}00{e}{reference}{e}{when:%Y%m%d}{e}{when:%H%M}{e}CH")
    out.append(
        f"NM1{e}41{e}2{e}{_text(ic.submitter_name, ctx)}{e * 5}46{e}{_id(ic.submitter_id, ctx)}"
    )
    out.append(
        f"PER{e}IC{e}{_text(ic.submitter_contact_name, ctx)}{e}TE{e}{ic.submitter_contact_phone}"
    )
    out.append(
        f"NM1{e}40{e}2{e}{_text(ic.receiver_name, ctx)}{e * 5}46{e}{_id(ic.receiver_id, ctx)}"
    )


def _provider_segments(provider: BillingProvider, ctx: _Ctx) -> list[str]:
    e = ctx.e
    segments = [f"PRV{e}BI{e}PXC{e}{_id(provider.taxonomy, ctx)}"] if provider.taxonomy else []
    name, npi = _text(provider.name, ctx), _id(provider.npi, ctx)
    segments.append(f"NM1{e}85{e}2{e}{name}{e * 5}XX{e}{npi}")
    segments.extend(_address(provider.address.line1, provider.address.line2, ctx))
    segments.append(_n4(provider.address.city, provider.address.state, provider.address.zip, ctx))
    segments.append(f"REF{e}EI{e}{_id(provider.tax_id, ctx)}")
    return segments


def _subscriber_loop(
    out: list[str], ctx: _Ctx, block: SubscriberBlock, hl: int, parent: int
) -> None:
    e = ctx.e
    out.append(f"HL{e}{hl}{e}{parent}{e}22{e}0")
    out.extend(_subscriber_segments(block.subscriber, ctx))
    hi = _hi(block.subscriber, ctx)
    for claim in block.claims:
        _claim(out, ctx, claim, hi)


def _subscriber_segments(subscriber: Subscriber, ctx: _Ctx) -> list[str]:
    e, ic = ctx.e, ctx.profile.interchange
    last, first = _text(subscriber.last_name, ctx), _text(subscriber.first_name, ctx)
    segments = [
        f"SBR{e}P{e}18{e * 7}{_id(ic.claim_filing_code, ctx)}",
        f"NM1{e}IL{e}1{e}{last}{e}{first}{e * 4}MI{e}{_id(subscriber.subscriber_id, ctx)}",
        *_address(subscriber.address.line1, subscriber.address.line2, ctx),
        _n4(subscriber.address.city, subscriber.address.state, subscriber.address.zip, ctx),
        f"DMG{e}D8{e}{_date(subscriber.birth_date, ctx)}{e}{_id(subscriber.sex, ctx)}",
        f"NM1{e}PR{e}2{e}{_text(ic.payer_name, ctx)}{e * 5}PI{e}{_id(ic.payer_id, ctx)}",
    ]
    if ic.payer_address_line1 and ic.payer_city and ic.payer_state and ic.payer_zip:
        segments.extend(_address(ic.payer_address_line1, None, ctx))
        segments.append(_n4(ic.payer_city, ic.payer_state, ic.payer_zip, ctx))
    return segments


def _hi(subscriber: Subscriber, ctx: _Ctx) -> str:
    # billing-rules 2: ICD-10 without the decimal point, principal ABK then ABF, at most 12.
    codes = [_id(code.replace(".", "").strip(), ctx) for code in subscriber.diagnoses if code]
    if not codes:
        raise InvalidInput(f"member {subscriber.member_id} has no diagnosis: HI is required")
    codes = codes[: ctx.profile.limits.max_diagnoses]
    parts = [f"ABK{ctx.c}{codes[0]}", *(f"ABF{ctx.c}{code}" for code in codes[1:])]
    return "HI" + ctx.e + ctx.e.join(parts)


def _claim(out: list[str], ctx: _Ctx, claim: ClaimInput, hi: str) -> None:
    """2300 and its 2400 lines; the hottest function, kept flat on purpose."""
    _check_claim(claim, ctx)
    e, c, dates, amounts = ctx.e, ctx.c, ctx.dates, ctx.amounts
    charges = [to_money(line.charge) for line in claim.lines]
    pos = claim.place_of_service
    out.append(f"CLM{e}{claim.claim_id}{e}{_amount(sum(charges, Decimal(0)), amounts)}{e}{e}{e}"
               f"{pos}{c}B{c}{claim.frequency}{e}Y{e}A{e}Y{e}Y")  # fmt: skip
    if claim.frequency != "1":
        out.append(f"REF{e}F8{e}{claim.payer_claim_number}")
    out.append(hi)
    for number, (line, charge) in enumerate(zip(claim.lines, charges, strict=True), start=1):
        code = c.join((line.procedure, *line.modifiers)) if line.modifiers else line.procedure
        day = dates.get(line.service_date) or _date(line.service_date, ctx)
        amount = amounts.get(charge) or _amount(charge, amounts)
        sv105 = line.place_of_service if line.place_of_service not in (None, pos) else ""
        out.append(f"LX{e}{number}")
        out.append(f"SV1{e}HC{c}{code}{e}{amount}{e}UN{e}{line.units}{e}{sv105}{e}{e}1")
        out.append(f"DTP{e}472{e}D8{e}{day}")
        out.append(f"REF{e}6R{e}{line.line_id}")


def _check_claim(claim: ClaimInput, ctx: _Ctx) -> None:
    ref = f"claim {claim.claim_id[:CLM01_MAX]}"
    if not claim.lines or len(claim.lines) > ctx.profile.limits.lines_per_claim:
        raise InvalidInput(f"{ref}: needs 1 to {ctx.profile.limits.lines_per_claim} lines")
    if not 1 <= len(claim.claim_id) <= CLM01_MAX:
        raise InvalidInput(f"{ref}: CLM01 must be 1 to {CLM01_MAX} characters")
    if claim.frequency not in ("1", "7", "8"):
        raise InvalidInput(f"{ref}: frequency must be 1, 7 or 8")
    if claim.frequency != "1" and not claim.payer_claim_number:
        raise InvalidInput(f"{ref}: a replacement or void needs the payer claim number (REF*F8)")
    values = [claim.claim_id, claim.payer_claim_number or "", claim.place_of_service]
    for line in claim.lines:
        values.extend((line.line_id, line.procedure, *line.modifiers, line.place_of_service or ""))
        if line.units < 1 or line.charge < 0 or not line.line_id:
            raise InvalidInput(f"{ref}: line {line.line_id} needs units >= 1, a charge >= 0, an id")
    _check_identifiers("".join(values), ref, ctx)


def _check_identifiers(joined: str, ref: str, ctx: _Ctx) -> None:
    # Identifiers are echoed back (CLM01 in 277CA/835 CLP01, REF*6R in SVC): never altered.
    if (
        any(ch in joined for ch in ctx.forbidden)
        or not joined.isascii()
        or joined != joined.upper()
    ):
        raise InvalidInput(f"{ref}: an identifier has a separator, lower case or non-ASCII text")


def _address(line1: str, line2: str | None, ctx: _Ctx) -> list[str]:
    text2 = _text(line2, ctx) if line2 else ""
    suffix = f"{ctx.e}{text2}" if text2 else ""
    return [f"N3{ctx.e}{_text(line1, ctx)}{suffix}"]


def _n4(city: str, state: str, zip_code: str, ctx: _Ctx) -> str:
    e = ctx.e
    return f"N4{e}{_text(city, ctx)}{e}{_id(state, ctx)}{e}{_id(zip_code.replace('-', ''), ctx)}"


def _date(day: date, ctx: _Ctx) -> str:
    text = ctx.dates[day] = f"{day.year:04d}{day.month:02d}{day.day:02d}"
    return text


def _amount(value: Decimal, cache: dict[Decimal, str]) -> str:
    # X12 R type: no superfluous trailing zeros ("140", "6.5"); always cents first.
    text = str(to_money(value))
    if text.endswith(".00"):
        text = text[:-3]
    elif text.endswith("0"):
        text = text[:-1]
    cache[value] = text
    return text


def _text(value: str, ctx: _Ctx) -> str:
    """Free text (names, addresses): ASCII, upper case, separators blanked, spaces collapsed."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    for ch in ctx.forbidden:
        plain = plain.replace(ch, " ")
    return " ".join(plain.upper().split())


def _id(value: str, ctx: _Ctx) -> str:
    """A code or identifier from reference data: upper-cased, refused if it holds a separator."""
    text = value.strip().upper()
    if not text or any(ch in text for ch in ctx.forbidden) or not text.isascii():
        raise InvalidInput("an identifier or code is empty or holds a separator or non-ASCII text")
    return text

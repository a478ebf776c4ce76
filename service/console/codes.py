"""Payer codes in plain words (999, 277CA, 835), from data files: never a bare ``CO 29``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Explained:
    code: str
    words: str
    todo: str  # the key of what to do: resend, void, write_off, wait, none
    todo_words: str


@cache
def _tables() -> dict[str, Any]:
    text = resources.files("service.console").joinpath("data", "codes.toml").read_text("utf-8")
    tables = tomllib.loads(text)
    # Claim status categories (277CA STC01-1): the inbound parser's own table, one source.
    categories = resources.files("claims.inbound").joinpath("data", "claim_status_categories.toml")
    tables["category"] = {
        code: (words, group)
        for group, codes in tomllib.loads(categories.read_text("utf-8")).items()
        for code, words in codes.items()
    }
    return tables


def _explained(code: str, words: str, todo: str) -> Explained:
    return Explained(code, words, todo, _tables()["todo"][todo])


def explain(code: str) -> Explained:
    """One stored code: ``A7:21`` (277CA), ``CLP02:4`` (835), ``CO-29`` (CARC), ``N54`` (RARC)
    or a 999 error number."""
    tables = _tables()
    if code.startswith("CLP02:"):
        value = code.split(":", 1)[1]
        return _explained(code, tables["clp02"].get(value, f"claim status {value}"), "none")
    if ":" in code:
        return _status_277(code, tables)
    group, dash, reason = code.partition("-")
    if dash and group in tables["group"]:
        return adjustment(group, reason)
    if code in tables["rarc"]:
        return _explained(code, tables["rarc"][code], "none")
    if code.isdigit() and code in tables["ack999"]:
        return _explained(code, f"999: {tables['ack999'][code]}", "resend")
    return _explained(code, "a code this console has no words for yet", "none")


def _status_277(code: str, tables: dict[str, Any]) -> Explained:
    category, _, status = code.partition(":")
    words, group = tables["category"].get(category, (f"category {category}", "other"))
    detail = tables["status"].get(status)
    todo = "resend" if group == "rejected" else "none"
    return _explained(code, f"{words}" + (f": {detail}" if detail else ""), todo)


def adjustment(group: str, reason: str) -> Explained:
    """A CAS group and reason code: the reason's words, then whose amount it is."""
    tables = _tables()
    entry = tables["carc"].get(reason, {"text": f"adjustment reason {reason}", "todo": "none"})
    todo = entry["todo"] if group != "PR" else "none"
    return _explained(f"{group}-{reason}", f"{entry['text']} ({tables['group'][group]})", todo)


def no_reason() -> Explained:
    """A denial or rejection that came with no code the console can read."""
    return _explained("-", "The payer gave no reason code", "resend")


def reason_words(code: str | None) -> str:
    """One of ipsbill's own reason codes (billing-rules section 4) in words."""
    words: str = _tables()["reason"].get(code or "", (code or "unknown").replace("_", " "))
    return words

"""The problem vocabulary (RFC 9457): one ``type`` URI and ``code`` per kind of error, and field
errors in plain words. The kinds and the words are data (``service/data/problems.toml``,
listed in docs/errors.md); service/errors.py maps exceptions onto them.

A field error never quotes the value sent: it may be a name, a birth date or a diagnosis.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from claims.errors import DomainError

PROBLEM_BASE = "https://ipsbill.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
_DATA = Path(__file__).parent / "data" / "problems.toml"
# The kind an error without a narrower one gets, by HTTP status.
_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    500: "internal-error",
}


@dataclass(frozen=True, slots=True)
class Kind:
    code: str
    status: int
    title: str
    about: str

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.code


@dataclass(frozen=True, slots=True)
class Vocabulary:
    kinds: Mapping[str, Kind]
    fields: Mapping[str, tuple[str, str]]  # pydantic error type -> (code, message template)
    patterns: Mapping[str, str]  # regex -> the same rule in words


@cache
def vocabulary() -> Vocabulary:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    kinds = {code: Kind(code, **entry) for code, entry in data["kinds"].items()}
    fields = {name: (entry["code"], entry["msg"]) for name, entry in data["fields"].items()}
    return Vocabulary(kinds, fields, data["patterns"])


def kind_for(code: str | None, status: int) -> Kind:
    kinds = vocabulary().kinds
    if code is not None and code in kinds:
        return kinds[code]
    fallback = _BY_STATUS.get(status, "internal-error" if status >= 500 else "bad-request")
    return kinds[fallback]


def problem_body(
    status: int,
    detail: str,
    errors: Iterable[Mapping[str, Any]] = (),
    code: str | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    kind = kind_for(code, status)
    return {
        "type": kind.type,
        "code": kind.code,
        "title": title or kind.title,
        "status": status,
        "detail": detail,
        "errors": [
            {"loc": list(e.get("loc", ())), "code": e.get("code") or kind.code, "msg": e.get("msg")}
            for e in errors
        ],
    }


def domain_problem(exc: DomainError, status: int) -> dict[str, Any]:
    """A domain error as a problem object (the whole answer, or one item of a batch)."""
    errors = [{"loc": list(loc), "code": exc.code, "msg": msg} for loc, msg in exc.errors]
    return problem_body(status, exc.detail, errors, code=exc.code)


def field_problem(errors: Sequence[Mapping[str, Any]], detail: str | None = None) -> dict[str, Any]:
    """pydantic's errors as a 422 invalid-input problem (whole answer or batch item)."""
    items = field_errors(errors)
    detail = detail or f"{len(items)} field problem(s) in the request"
    return problem_body(422, detail, items, code="invalid-input")


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [field_error(error) for error in errors]


def field_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """One pydantic error as ``{"loc", "code", "msg"}``; ``input`` is never copied."""
    ctx = dict(error.get("ctx") or {})
    raised = ctx.get("error")
    if isinstance(raised, FieldProblem):  # a validator naming its own field and code
        loc = _clean_loc([*error.get("loc", ()), *raised.loc])
        return {"loc": loc, "code": raised.code, "msg": raised.msg}
    loc = _clean_loc(error.get("loc", ()))
    code, template = vocabulary().fields.get(str(error.get("type")), ("", ""))
    if not code:
        return {"loc": loc, "code": "invalid", "msg": _plain(str(error.get("msg", "invalid")))}
    pattern = ctx.get("pattern")
    if code == "invalid-format" and isinstance(pattern, str) and pattern in vocabulary().patterns:
        return {"loc": loc, "code": code, "msg": vocabulary().patterns[pattern]}
    if "error" in ctx:
        ctx["error"] = _plain(str(raised))
    try:
        message = template.format(**ctx)
    except (KeyError, IndexError):
        message = _plain(str(error.get("msg", "invalid")))
    return {"loc": loc, "code": code, "msg": message}


def _clean_loc(loc: Sequence[Any]) -> list[Any]:
    return [part for part in loc if part != "body"] or list(loc)


def _plain(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


class FieldProblem(ValueError):
    """Raised by a validator of a whole body to name the field at fault (``loc``), so a client
    sees ``["end_time"]`` rather than an empty location, with a code and a message."""

    def __init__(self, field: str, msg: str, code: str = "invalid") -> None:
        super().__init__(msg)
        self.loc = (field,)
        self.msg = msg
        self.code = code


# What /openapi.json says every error answers (the same shape the handlers build).
class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="where the problem is: field names and list positions, from the body's "
        "top (a query parameter starts with 'query', a path parameter with 'path')",
        examples=[["events", 3, "end_time"]],
    )
    code: str = Field(
        description="what is wrong, for a program (docs/errors.md)", examples=["invalid-format"]
    )
    msg: str = Field(
        description="what is wrong, in plain words",
        examples=["must be a clock time written HH:MM, 24 h (09:00 to 23:59)"],
    )


class Problem(BaseModel):
    type: str = Field(description="a URI naming the kind of problem; stable",
                      examples=[PROBLEM_BASE + "unknown-reference"])  # fmt: skip
    code: str = Field(description="the kind of problem, for a program (docs/errors.md)",
                      examples=["unknown-reference"])  # fmt: skip
    title: str = Field(description="the kind of problem, in words", examples=["Unknown reference"])
    status: int = Field(description="the HTTP status", examples=[422])
    detail: str = Field(description="this occurrence, in words",
                        examples=["unknown member M-9999"])  # fmt: skip
    errors: list[FieldError] = Field(
        default_factory=list, description="each field at fault (may be empty)"
    )

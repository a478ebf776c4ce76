"""Domain errors. They know nothing of HTTP; service/errors.py maps each to problem+json."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class DomainError(Exception):
    """Base of every error the core raises on purpose.

    ``code`` names the kind of problem for a program (docs/errors.md); each class has its
    default, and a raiser names a narrower kind (``Conflict(..., code="nothing-to-bill")``).
    """

    detail: str
    errors: Sequence[tuple[tuple[str | int, ...], str]] = field(default_factory=tuple)
    code: str = field(default="", kw_only=True)
    default_code: ClassVar[str] = "invalid-input"

    def __post_init__(self) -> None:
        self.code = self.code or self.default_code

    def __str__(self) -> str:
        return self.detail


class InvalidInput(DomainError):
    """The request is well formed but breaks a rule (422)."""


class UnknownReference(DomainError):
    """A referenced id (member, provider, staff, ...) does not exist (422, naming the id)."""

    default_code = "unknown-reference"


class NotFound(DomainError):
    """The record does not exist, or lies outside the caller's scope (404 either way)."""

    default_code = "not-found"


@dataclass
class Conflict(DomainError):
    """The request cannot be carried out in the current state (409), e.g. nothing to bill.

    ``keep_changes``: what the attempt established still stands (e.g. lines found past timely
    filing while looking for something to bill), so the caller's transaction commits it.
    """

    keep_changes: bool = False
    default_code: ClassVar[str] = "conflict"


class ValidationFailed(DomainError):
    """A generated file failed its release checks; it is not released (422/500-free)."""

    default_code = "release-checks-failed"

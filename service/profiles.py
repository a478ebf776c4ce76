"""Payer profiles loaded from ``edi_templates/`` once, at start-up, and validated by pydantic.

A broken profile stops the service from starting: a wrong rounding rule or a missing payer id
must never reach a claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from claims.errors import UnknownReference
from claims.model import RuleSettings
from claims.profile import PayerProfile, parse_profile
from service.models import Payer
from service.paths import templates_dir

DEFAULT = "default"


@dataclass(frozen=True)
class ProfileRegistry:
    profiles: dict[str, PayerProfile]

    @classmethod
    def load(cls, directory: Path | None = None) -> ProfileRegistry:
        folder = directory or templates_dir()
        found = {
            path.stem: parse_profile(path.stem, path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*.toml"))
        }
        if DEFAULT not in found:
            raise RuntimeError(f"{folder} has no {DEFAULT}.toml")
        return cls(found)

    def get(self, name: str | None) -> PayerProfile:
        return self.profiles.get(name or DEFAULT) or self.profiles[DEFAULT]

    def rules_for(self, payer: Payer | None) -> RuleSettings:
        """The rules a payer bills under: its profile's, with the payer record's own timely
        filing days when it has them (claims.profile.RulesProfile.settings)."""
        if payer is None:
            return self.get(None).rules.settings()
        return self.get(payer.edi_profile).rules.settings(payer.timely_filing_days)

    def require(self, name: str, loc: tuple[str, ...]) -> PayerProfile:
        if name not in self.profiles:
            known = ", ".join(sorted(self.profiles))
            raise UnknownReference(
                f"unknown edi_profile {name} (known: {known})", [(loc, f"unknown profile {name}")]
            )
        return self.profiles[name]

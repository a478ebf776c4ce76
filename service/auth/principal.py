"""Who is calling and what they may see: the contract's four roles and their scopes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    INTEGRATION = "integration"  # one payer: writes reference data and events for its members
    FINANCE = "finance"  # all payers or one: batches, invoices, downloads, inbound EDI, payments
    PROVIDER = "provider"  # one provider: reads its own events, claims, invoices, payment status


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: Role
    payer_id: str | None = None
    provider_id: str | None = None

    def sees_payer(self, payer_id: str) -> bool:
        if self.role is Role.ADMIN:
            return True
        if self.role in (Role.INTEGRATION, Role.FINANCE):
            return self.payer_id is None or self.payer_id == payer_id
        return False

    def sees_provider(self, provider_id: str) -> bool:
        return self.role is not Role.PROVIDER or self.provider_id == provider_id

    def sees_record(self, payer_id: str, provider_id: str | None) -> bool:
        """A payer-and-provider record (event, claim, invoice): in scope for this caller?"""
        if self.role is Role.PROVIDER:
            return provider_id is not None and provider_id == self.provider_id
        return self.sees_payer(payer_id)

    @property
    def payer_filter(self) -> str | None:
        return self.payer_id if self.role in (Role.INTEGRATION, Role.FINANCE) else None

    @property
    def provider_filter(self) -> str | None:
        return self.provider_id if self.role is Role.PROVIDER else None

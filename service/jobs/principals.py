"""The caller a job acts for: saved in its params at the request, restored when it runs."""

from __future__ import annotations

from typing import Any

from service.auth.principal import Principal, Role


def principal_params(principal: Principal) -> dict[str, Any]:
    return {
        "key_id": principal.key_id,
        "role": principal.role.value,
        "payer_id": principal.payer_id,
        "provider_id": principal.provider_id,
    }


def principal_of(params: dict[str, Any]) -> Principal:
    saved = params["principal"]
    return Principal(saved["key_id"], Role(saved["role"]), saved["payer_id"], saved["provider_id"])

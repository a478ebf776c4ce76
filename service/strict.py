"""Strict query strings, checked for every route before its own parameters (docs/input.md).

A query parameter the route does not take answers 400 naming it: ``GET /v1/claims?batch_id=B1``
used to answer every claim, as if the filter had been applied. A query value holding text a
database cannot store (NUL, a lone surrogate) answers 422 naming it, on every database alike.
Also the error responses every route may give, for the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from claims.errors import InvalidInput
from service.schemas_common import UNSTORABLE_MSG, unstorable

_DECLARED: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def declared_query(route: APIRoute) -> frozenset[str]:
    """The query parameters a route takes, its dependencies' included (computed once)."""
    key = id(route)
    if key not in _DECLARED:
        _DECLARED[key] = frozenset(_query_names(route.dependant))
    return _DECLARED[key]


async def check_query(request: Request) -> None:
    """An app-wide dependency: runs before the route's own parameters are read."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - declared_query(route))
    if unknown:
        raise HTTPException(400, f"unknown query parameter(s): {', '.join(unknown)}")
    bad = [name for name, value in request.query_params.multi_items() if unstorable(value)]
    if bad:
        raise InvalidInput(
            f"query parameter(s) {', '.join(bad)} {UNSTORABLE_MSG}",
            [(("query", name), UNSTORABLE_MSG) for name in bad],
        )


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM}},
    }


PROBLEM: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}},
            },
        },
    },
}

# Answers any /v1 route may give (contract, "Conventions" and "Auth"); FastAPI's own 422 schema
# (HTTPValidationError) is replaced, since every 422 here is a problem body.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("bad request: an unknown query parameter, a body that is not JSON"),
    401: _problem("no API key, or an unknown or revoked one"),
    403: _problem("the key's role may not use this route or write this record"),
    404: _problem("no such record, or one outside the key's scope"),
    409: _problem("conflict: nothing to do, or a concurrent change"),
    413: _problem("the body is larger than the route takes"),
    422: _problem("invalid input: every field problem listed"),
}

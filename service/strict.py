"""Strict query strings, checked for every route before its own parameters (docs/input.md).

A query parameter the route does not take answers 400 naming it: ``GET /v1/claims?batch_id=B1``
used to answer every claim, as if the filter had been applied. A query value holding text a
database cannot store (NUL, a lone surrogate) answers 422 naming it, on every database alike.
Console pages (not in the OpenAPI document) read their own query strings.
"""

from __future__ import annotations

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
    # The API's routes only: console pages read their forms' own query strings (next=, q=).
    if not isinstance(route, APIRoute) or not route.include_in_schema:
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

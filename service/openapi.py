"""What ``/openapi.json`` says about every operation beyond its own schemas, in one place:
the problem+json answers (docs/errors.md), the headers of the HTTP habits (request id,
Location, Idempotency-Key, ETag/If-Match) and schema names without module paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from service.etag import ENTITY_TAGS, RECORDS
from service.idempotency import HEADER as IDEMPOTENCY_KEY
from service.openapi_evidence import discriminate
from service.openapi_text import describe
from service.problems import PROBLEM_MEDIA_TYPE, Problem
from service.request_id import HEADER as REQUEST_ID

REF = "#/components/schemas/"
_PROBLEMS = {
    "400": "An unknown query parameter, or an unreadable body (`bad-request`, `malformed-json`)",
    "401": "No API key, or an unknown or revoked one (`unauthorized`)",
    "403": "The key's role may not use this route (`forbidden`)",
    "404": "No such record, or outside the key's scope (`not-found`)",
    "409": "Cannot be done in the records' current state (see docs/errors.md for the codes)",
    "412": "If-Match names a version that is no longer current (`precondition-failed`)",
    "413": "The body is too large (`payload-too-large`)",
    "415": "The body's Content-Type is not one this route reads (`unsupported-media-type`)",
    "422": "Field problems or unknown references (`invalid-input`, `unknown-reference`, ...)",
}
_HEADERS = {
    REQUEST_ID: "The request's id (the one sent, when it was a plain token); quote it to support",
    "Location": "Where the created record can be read",
    "ETag": 'The record\'s version as an entity tag (`"3"`); send it back in If-Match',
    "Idempotent-Replayed": "`true` when this is the kept answer to an earlier request",
}


def install(app: FastAPI) -> None:
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(schema: dict[str, Any]) -> dict[str, Any]:
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template=REF + "{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _operation(path, method, operation)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    renamed = _renamed(schema)
    discriminate(renamed["components"]["schemas"])
    describe(renamed)  # after renaming: the catalog names schemas as the document does
    return renamed


def _operation(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status in _problem_statuses(path, method, operation):
        responses[status] = {
            "description": _PROBLEMS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF + "Problem"}}},
        }
    for status, response in responses.items():
        if status >= "400" and not response.get("content"):  # a route naming only its reason
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF + "Problem"}}}
        headers = response.setdefault("headers", {})
        headers[REQUEST_ID] = _header(REQUEST_ID)
        if status == "201":
            headers["Location"] = _header("Location")
        if status in ("200", "201") and path in RECORDS and _one_record(path, method):
            headers["ETag"] = _header("ETag")
        if method == "post" and status.startswith(("2", "4")):
            headers["Idempotent-Replayed"] = _header("Idempotent-Replayed")
    parameters = operation.setdefault("parameters", [])
    if method == "post":
        parameters.append(_idempotency_key())
    if method == "put" and path in RECORDS:
        parameters.append(_if_match())


def _problem_statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    # Every route refuses query parameters it does not declare (service/strict.py).
    statuses = ["400"] + (["422"] if "422" in operation["responses"] else [])
    if path.startswith("/v1/"):
        # 404 too without an id in the path: a body may name a record outside the key's scope.
        statuses += ["400", "401", "403", "404"]
    if "requestBody" in operation:
        statuses += ["413", "415", "422"]
    if method == "post":
        statuses += ["400", "409", "422"]  # Idempotency-Key: invalid, in use, reused
    if method == "put" and path in RECORDS:
        statuses.append("412")
    return sorted(set(statuses) - {s for s in operation["responses"] if s not in ("422",)})


def _one_record(path: str, method: str) -> bool:
    # A payer's fee schedules are read as a list (no one version); each is written alone.
    return method == "put" or (method == "get" and not path.startswith("/v1/fee-schedules/"))


def _header(name: str) -> dict[str, Any]:
    return {"description": _HEADERS[name], "schema": {"type": "string"}}


def _idempotency_key() -> dict[str, Any]:
    return {
        "name": IDEMPOTENCY_KEY,
        "in": "header",
        "required": False,
        "description": "Any unique string, such as a UUID: the same key and request answers the "
        "first answer again for 24 hours; the same key with another request is a 422 "
        "(docs/http.md)",
        # Printable ASCII (service/idempotency.py); no space at either end, which HTTP drops.
        "schema": {"type": "string", "pattern": r"^[!-~]([ -~]{0,253}[!-~])?$"},
    }


def _if_match() -> dict[str, Any]:
    return {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": 'The ETag last read, such as `"3"`: the PUT is carried out only if the '
        "record is still at that version (`*`: if it exists); otherwise 412 and nothing "
        "changes (docs/http.md)",
        "schema": {"type": "string", "pattern": ENTITY_TAGS},
    }


_MODULE_PATH = re.compile(r"^(?:[a-z_]+__)+(?P<name>[A-Za-z0-9]+)$")
_PAGE = re.compile(r"^Page_(?P<item>.+)_$")


def _clean_name(name: str, schemas: dict[str, Any]) -> str:
    """``service__events__schemas__BatchOut`` -> ``EventBatchOut`` (the domain, singular);
    ``Page_EventOut_`` -> ``EventOutPage`` (named after its items' clean name)."""
    match = _MODULE_PATH.match(name)
    if match:
        domain = name.split("__")[-3] if name.count("__") >= 2 else ""
        return domain.removesuffix("s").title().replace("_", "") + match["name"]
    page = _PAGE.match(name)
    if page:
        items = schemas[name].get("properties", {}).get("items", {}).get("items", {})
        target = items.get("$ref", REF + page["item"]).removeprefix(REF)
        return _clean_name(target, schemas) + "Page"
    return name


def _renamed(schema: dict[str, Any]) -> dict[str, Any]:
    schemas = schema["components"]["schemas"]
    names = {name: _clean_name(name, schemas) for name in schemas}
    if len(set(names.values())) != len(names):  # a clash: keep FastAPI's unique names
        return schema
    schema["components"]["schemas"] = {names[name]: body for name, body in schemas.items()}
    refs = {REF + old: REF + new for old, new in names.items() if old != new}
    return _rewrite_refs(schema, refs)  # type: ignore[no-any-return]


def _rewrite_refs(node: Any, refs: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: refs.get(value, value) if key == "$ref" else _rewrite_refs(value, refs)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, refs) for item in node]
    return node

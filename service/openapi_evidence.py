"""Milestone evidence in ``/openapi.json`` as a discriminated schema: one schema per ``kind``,
with the common fields and that kind's own fields side by side, as the body is sent. Only the
document changes: the body is still read by ``EvidenceIn`` and checked per kind by
``claims.milestones.validate_fields``, from the same ``EVIDENCE_FIELDS`` this is built from."""

from __future__ import annotations

from typing import Any

from claims.milestones.catalog import Frequency, load_catalog
from claims.milestones.evidence import EVIDENCE_FIELDS, EvidenceKind

REF = "#/components/schemas/"
COMMON = "EvidenceIn"


def _catalog_enums() -> dict[str, tuple[str, ...]]:
    # The fields a kind checks against the milestone catalog (claims/milestones/evidence.py).
    catalog = load_catalog()
    repeatable = Frequency.REPEATABLE_WITH_APPROVAL_AFTER
    return {
        "section": catalog.get("2").thresholds.sections or (),
        "type": catalog.get("7").thresholds.advancement_types or (),
        "document": catalog.get("8").thresholds.documents or (),
        "milestone": tuple(m.id for m in catalog.milestones if m.frequency is repeatable),
    }


def _name(kind: EvidenceKind) -> str:
    return "Evidence" + kind.value.title().replace("_", "") + "In"


def _kind_schema(kind: EvidenceKind, common: dict[str, Any], enums: dict[str, Any]) -> Any:
    own = EVIDENCE_FIELDS[kind].model_json_schema()
    properties = {name: dict(prop) for name, prop in common["properties"].items()}
    properties["kind"] = {
        "type": "string",
        "enum": [kind.value],
        "description": "The kind of evidence, which decides the fields beside it",
        "example": kind.value,
    }
    for name, prop in own.get("properties", {}).items():
        numbers = [branch for branch in prop.get("anyOf", []) if branch.get("type") == "number"]
        prop = {"title": prop.get("title", name), **numbers[0]} if numbers else dict(prop)
        if name in enums:
            prop["enum"] = list(enums[name])
        properties[name] = prop
    return {
        "title": _name(kind),
        "type": "object",
        "description": f"Milestone evidence of kind {kind.value}: the common fields and its own",
        "properties": properties,
        "required": [*common.get("required", []), *own.get("required", [])],
        "additionalProperties": False,
    }


def discriminate(schemas: dict[str, Any]) -> None:
    """Replace the evidence body's schema (in place) with one schema per kind, chosen by kind."""
    common = schemas.get(COMMON)
    if common is None:
        return
    enums = _catalog_enums()
    for kind in EvidenceKind:
        schemas[_name(kind)] = _kind_schema(kind, common, enums)
    schemas[COMMON] = {
        "title": COMMON,
        "description": common.get("description", ""),
        "oneOf": [{"$ref": REF + _name(kind)} for kind in EvidenceKind],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {kind.value: REF + _name(kind) for kind in EvidenceKind},
        },
        "example": common.get("example"),
    }

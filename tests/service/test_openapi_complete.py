"""The OpenAPI document is enough to build against (issue 18): every operation has a summary and
a description, every property of every schema a description and an example, and the statuses and
reason codes the API sends are enums."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from claims.model import ReasonCode
from service.app import create_app
from service.config import Settings

# Generic internals whose meaning the schema already carries; each with the reason it is exempt.
EXEMPT: dict[tuple[str, str], str] = {}


@cache
def document() -> dict[str, Any]:
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"), migrate_embedded=False)
    return app.openapi()


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in document()["paths"].items()
        for method, operation in operations.items()
    ]


def _properties() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, prop, body)
        for name, schema in document()["components"]["schemas"].items()
        for prop, body in schema.get("properties", {}).items()
    ]


def test_every_operation_has_a_summary_and_a_description() -> None:
    missing = [
        f"{method} {path}"
        for method, path, operation in _operations()
        if len(operation.get("summary", "")) < 8 or len(operation.get("description", "")) < 30
    ]
    assert not missing, missing


def test_summaries_are_written_not_generated_from_function_names() -> None:
    # FastAPI names an undocumented operation after its function ("List Claims"): Title Case.
    generated = [
        f"{method} {path}: {operation['summary']}"
        for method, path, operation in _operations()
        if all(word[:1].isupper() for word in operation["summary"].split())
    ]
    assert not generated, generated


def test_every_property_has_a_description_and_an_example() -> None:
    missing = [
        f"{name}.{prop}"
        for name, prop, body in _properties()
        if (name, prop) not in EXEMPT
        and (not body.get("description") or not ("example" in body or body.get("examples")))
    ]
    assert not missing, missing


@pytest.mark.parametrize(
    ("schema", "prop", "values"),
    [
        ("ReasonOut", "code", {code.value for code in ReasonCode}),
        ("AdjudicationOut", "status", {"billable", "partial", "held", "excluded"}),
        ("ClaimBatchOut", "status", {"released", "accepted", "partially_accepted", "rejected"}),
        (
            "ClaimOut",
            "status",
            {"generated", "accepted", "rejected", "paid", "partially_paid", "denied", "void"},
        ),
        ("InvoiceOut", "status", {"sent", "partially_paid", "paid"}),
        ("JobOut", "state", {"queued", "running", "succeeded", "failed"}),
    ],
)
def test_reason_codes_and_statuses_are_enums(schema: str, prop: str, values: set[str]) -> None:
    body = document()["components"]["schemas"][schema]["properties"][prop]
    if "$ref" in body:
        body = document()["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(body.get("enum", [])) == values, body


def test_the_catalogs_name_only_what_the_document_has() -> None:
    # A renamed route or schema must not leave its words behind, silently describing nothing.
    from service.openapi_text import _catalog

    operations = {f"{method} {path}" for method, path, _ in _operations()}
    assert set(_catalog("openapi_operations.toml")) <= operations
    schemas = document()["components"]["schemas"]
    for name, props in _catalog("openapi_fields.toml")["schemas"].items():
        assert set(props) <= set(schemas[name]["properties"]), name
    names = {prop for _, prop, _ in _properties()}
    assert set(_catalog("openapi_fields.toml")["fields"]) <= names


def test_evidence_is_one_schema_per_kind_chosen_by_kind() -> None:
    from claims.milestones.evidence import EVIDENCE_FIELDS

    schemas = document()["components"]["schemas"]
    evidence = schemas["EvidenceIn"]
    mapping = evidence["discriminator"]["mapping"]
    assert evidence["discriminator"]["propertyName"] == "kind"
    assert set(mapping) == {kind.value for kind in EVIDENCE_FIELDS}
    for kind, model in EVIDENCE_FIELDS.items():
        variant = schemas[mapping[kind.value].rsplit("/", 1)[1]]
        assert variant["properties"]["kind"]["enum"] == [kind.value]
        own = set(model.model_fields)
        assert set(variant["properties"]) == {"member_id", "provider_id", "kind", "date"} | own
    section = schemas["EvidenceCareerProfileSectionIn"]["properties"]["section"]
    assert "work_history" in section["enum"]


def test_every_example_fits_its_own_schema() -> None:
    # A wrong example misleads a reader and is sent as-is by generated clients and fuzzers.
    import jsonschema_rs

    components = document()["components"]
    wrong = []
    for name, prop, body in _properties():
        if "example" not in body:
            continue
        schema = {**{k: v for k, v in body.items() if k != "example"}, "components": components}
        errors = list(jsonschema_rs.Draft202012Validator(schema).iter_errors(body["example"]))
        wrong += [f"{name}.{prop}: {str(error).splitlines()[0]}" for error in errors[:1]]
    assert not wrong, wrong

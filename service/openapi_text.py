"""The words of ``/openapi.json``: a summary and description on every operation, a description
and an example on every schema property. They are data (``service/data/openapi_operations.toml``,
``service/data/openapi_fields.toml``) so routers and schemas keep to code, and one meaning per
contract name is written once."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

_DATA = Path(__file__).parent / "data"


@cache
def _catalog(name: str) -> dict[str, Any]:
    with (_DATA / name).open("rb") as handle:
        return tomllib.load(handle)


def describe(schema: dict[str, Any]) -> None:
    """Add the catalogs' words to the document (in place): an operation's summary and
    description, a property's description and example where the schema gives none itself."""
    operations = _catalog("openapi_operations.toml")
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            words = operations.get(f"{method.upper()} {path}", {})
            operation.update(
                {key: words[key] for key in ("summary", "description") if key in words}
            )
    fields = _catalog("openapi_fields.toml")
    for name, body in schema.get("components", {}).get("schemas", {}).items():
        own = fields.get("schemas", {}).get(name, {})
        for prop, property_schema in body.get("properties", {}).items():
            _describe_property(property_schema, own.get(prop, {}), fields["fields"].get(prop, {}))


def _describe_property(prop: dict[str, Any], own: dict[str, Any], common: dict[str, Any]) -> None:
    words = {**common, **own}  # the schema's own meaning first
    if ("description" in own or not prop.get("description")) and "description" in words:
        prop["description"] = words["description"]
    if "example" not in prop and not prop.get("examples") and "example" in words:
        prop["example"] = words["example"]

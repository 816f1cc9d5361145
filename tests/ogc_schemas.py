"""Validate responses against the OGC API – Features Part 1 schemas in tests/data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

FOLDER = Path(__file__).parent / "data" / "ogcapi-features"


def _fix(node: Any) -> Any:
    # In YAML, `type: null` reads as the null value; the schemas mean the type "null".
    if isinstance(node, dict):
        return {k: ("null" if k == "type" and v is None else _fix(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_fix(v) for v in node]
    return node


def _registry() -> Registry[Any]:
    resources = []
    for path in FOLDER.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        # linkBase.yaml and link.yaml may hold "---"-separated documents; take the first.
        doc = _fix(next(yaml.safe_load_all(text)))
        resources.append(
            (path.name, Resource.from_contents(doc, default_specification=DRAFT202012))
        )
    return Registry().with_resources(resources)


_REGISTRY = _registry()


def validate(document: Any, schema_file: str) -> None:
    """Raise jsonschema.ValidationError if ``document`` breaks the named OGC schema."""
    schema = _REGISTRY.contents(schema_file)
    validator = jsonschema.Draft202012Validator(
        schema, registry=_REGISTRY, format_checker=jsonschema.FormatChecker()
    )
    validator.validate(document)

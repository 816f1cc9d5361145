"""What people read instead of codes: the titles of a layer's fields and of their values.

A layer's property schema carries them: each field's ``title`` (``"Vietnamese / English"``,
as the OGC API queryables show it) and, for coded fields, ``x-value-labels`` — for each code
its ``{"vi": …, "en": …}`` label (``commercial_service`` → "Đất thương mại, dịch vụ").
Layers stored before the labels existed get them from the core layer of the same id.
"""

from __future__ import annotations

from typing import Any

from dothi.i18n import Language, format_number
from dothi.spatial.layers import core_layer

#: Fields that are identifiers of the storage, not something a person reads.
INTERNAL_FIELDS = frozenset({"fid"})


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    props = schema.get("properties") or {}
    spec = props.get(name)
    return spec if isinstance(spec, dict) else {}


def _with_core(layer_id: str, schema: dict[str, Any], name: str) -> dict[str, Any]:
    spec = _field(schema, name)
    if "x-value-labels" in spec or "title" in spec:
        return spec
    core = core_layer(layer_id)
    return _field(core.property_schema, name) if core else spec


def field_title(layer_id: str, schema: dict[str, Any], name: str, lang: Language) -> str:
    """The field's title in ``lang`` (its name when the schema gives none)."""
    title = _with_core(layer_id, schema, name).get("title")
    if not isinstance(title, str) or not title:
        return name
    vi, _, en = title.partition(" / ")
    return en.strip() if lang == "en" and en else vi.strip()


def value_label(
    layer_id: str, schema: dict[str, Any], name: str, value: Any, lang: Language
) -> str | None:
    """The label of a coded value in ``lang``, or None when the field has no label for it."""
    labels = _with_core(layer_id, schema, name).get("x-value-labels") or {}
    label = labels.get(str(value))
    return label.get(lang) or label.get("vi") if isinstance(label, dict) else None


def display_value(
    layer_id: str, schema: dict[str, Any], name: str, value: Any, lang: Language
) -> str:
    """A value as a person reads it: a code's label, yes/no, Vietnamese numbers, – for none."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return ("Yes" if value else "No") if lang == "en" else ("Có" if value else "Không")
    label = value_label(layer_id, schema, name, value, lang)
    if label is not None:
        return label
    if isinstance(value, int | float):
        return format_number(value, lang=lang)
    return str(value)


def labelled_properties(
    layer_id: str, schema: dict[str, Any], properties: dict[str, Any], lang: Language
) -> list[tuple[str, str, str]]:
    """``(field, title, value)`` for each property a person should read, in schema order."""
    order = list((schema.get("properties") or {}).keys())
    names = sorted(
        (n for n in properties if n not in INTERNAL_FIELDS),
        key=lambda n: order.index(n) if n in order else len(order),
    )
    return [
        (
            n,
            field_title(layer_id, schema, n, lang),
            display_value(layer_id, schema, n, properties[n], lang),
        )
        for n in names
    ]


def labels_document(layer_id: str, schema: dict[str, Any], lang: Language) -> dict[str, Any]:
    """Every field's title and every code's label of a layer, for pages: ``{fields, values}``."""
    props = schema.get("properties") or {}
    values: dict[str, dict[str, str]] = {}
    for name in props:
        labels = _with_core(layer_id, schema, name).get("x-value-labels") or {}
        if labels:
            values[name] = {code: label.get(lang) or label["vi"] for code, label in labels.items()}
    return {"fields": {n: field_title(layer_id, schema, n, lang) for n in props}, "values": values}


def value_colours(layer_id: str, schema: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The colour of each code on maps, per field that gives them (``x-value-colours``):
    ``{"land_use_function": {"residential": "#f6d55c", …}}``."""
    out: dict[str, dict[str, str]] = {}
    for name in schema.get("properties") or {}:
        spec = _field(schema, name)
        colours = spec.get("x-value-colours")
        if not isinstance(colours, dict):
            core = core_layer(layer_id)
            colours = _field(core.property_schema, name).get("x-value-colours") if core else None
        if isinstance(colours, dict) and colours:
            out[name] = {str(code): str(colour) for code, colour in colours.items()}
    return out

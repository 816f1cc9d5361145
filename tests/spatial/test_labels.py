"""Labels of fields and codes: what people read instead of internal codes."""

from __future__ import annotations

import pytest

from dothi.i18n import format_number, negotiate_language
from dothi.spatial.labels import display_value, field_title, labelled_properties, labels_document
from dothi.spatial.layers import core_layer, core_layer_ids


def _schema(layer_id: str) -> dict:
    layer = core_layer(layer_id)
    assert layer is not None
    return layer.property_schema


def test_every_code_of_every_core_layer_has_both_labels() -> None:
    for layer_id in core_layer_ids():
        for name, spec in _schema(layer_id)["properties"].items():
            codes = [c for c in spec.get("enum", []) if c is not None]
            labels = spec.get("x-value-labels", {})
            for code in codes:
                assert labels.get(str(code), {}).get("vi"), (layer_id, name, code)
                assert labels[str(code)].get("en"), (layer_id, name, code)


def test_zone_function_reads_as_words_in_either_language() -> None:
    schema = _schema("planning_zone")
    vi = display_value("planning_zone", schema, "land_use_function", "commercial_service", "vi")
    en = display_value("planning_zone", schema, "land_use_function", "commercial_service", "en")
    assert vi == "Đất thương mại, dịch vụ"
    assert en == "Commercial service"
    assert field_title("planning_zone", schema, "land_use_function", "vi") == (
        "Chức năng sử dụng đất"
    )
    assert field_title("planning_zone", schema, "land_use_function", "en") == "Land-use function"


def test_stored_schema_without_labels_borrows_the_core_ones() -> None:
    bare = {"properties": {"kind": {"type": "string"}}}
    assert display_value("planning_constraint", bare, "kind", "road_red_line", "vi") == (
        "Chỉ giới đường đỏ"
    )
    # A layer of its own keeps its codes as they are.
    assert display_value("my_layer", bare, "kind", "road_red_line", "vi") == "road_red_line"


def test_properties_for_people_drop_storage_ids_and_format_values() -> None:
    schema = _schema("planning_zone")
    rows = labelled_properties(
        "planning_zone",
        schema,
        {"fid": 7, "max_far": 3.6, "illustrative": True, "zone_code": "BT-11"},
        "vi",
    )
    names = [r[0] for r in rows]
    assert "fid" not in names
    values = {r[0]: r[2] for r in rows}
    assert values["max_far"] == "3,6"
    assert values["illustrative"] == "Có"
    doc = labels_document("planning_zone", schema, "en")
    assert doc["values"]["land_use_function"]["residential"] == "Residential"


@pytest.mark.parametrize(
    ("value", "lang", "text"),
    [
        (1234.5, "vi", "1 234,5"),
        (1234.5, "en", "1,234.5"),
        (3.0, "vi", "3"),
        (12345, "vi", "12 345"),
        (None, "vi", "–"),
        (0.0, "vi", "0"),
    ],
)
def test_numbers_are_written_the_way_people_write_them(value, lang, text) -> None:
    assert format_number(value, lang=lang) == text


@pytest.mark.parametrize(
    ("chosen", "header", "lang"),
    [
        (None, None, "vi"),
        (None, "en-GB,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.5, vi;q=0.8", "vi"),
        (None, "de, fr", "vi"),
        ("en", "vi", "en"),
        ("xx", "en", "en"),
        (None, "en;q=0", "vi"),
    ],
)
def test_language_is_the_choice_then_the_browser_then_vietnamese(chosen, header, lang) -> None:
    assert negotiate_language(chosen, header) == lang

"""A look at a file before importing it (xem trước tệp): what it holds and how its columns
would fill a layer's fields. Nothing is written to the database.

The page of officials shows this as the mapping step of an import: each column of the file
with a few values, the field it would fill (:func:`dothi.spatial.column_map.resolve_columns`,
the rule the import itself applies), the layer's fields by their titles, the CRS the file
declares, and, for a layer id that does not exist, the ids it may have been meant to be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyogrio.raw
from sqlalchemy import Connection

from dothi.errors import InvalidInput
from dothi.geo import crs as crsmod
from dothi.geo.encodings import decode_latin1_text, detect_encoding
from dothi.spatial.column_map import ColumnChoice, how_label, resolve_columns
from dothi.spatial.importer import declared_crs
from dothi.spatial.labels import field_title
from dothi.spatial.layer_admin import similar_layer_ids
from dothi.spatial.layers import Layer, check_layer_id, core_layer, core_layer_ids, find_layer
from dothi.spatial.sources import Source, open_source

#: Rows read for the sample values of each column.
SAMPLE_ROWS = 5
_SAMPLE_CHARS = 80


@dataclass(frozen=True)
class FieldInfo:
    """A field of the target layer, with its title in both languages."""

    name: str
    title_vi: str
    title_en: str


@dataclass
class ImportPreview:
    """What a file holds and how an import into ``layer_id`` would read it."""

    layer_id: str
    driver: str
    features: int | None
    geometry_type: str | None
    #: The CRS the file declares: its spec (``EPSG:9210``) and its name; None when it
    #: declares none.
    crs_spec: str | None
    crs_name: str | None
    columns: list[str]
    samples: dict[str, list[str]]
    #: The suggested field of each column (``how``: see :data:`column_map.HOW`).
    mapping: list[ColumnChoice]
    #: Why no field could be suggested for some column (code, vi, en), if so.
    mapping_problem: tuple[str, str, str] | None
    #: ``"existing"``, ``"core"`` (created by the import), ``"deleted"`` or ``"new"``.
    layer_state: str
    layer: Layer | None
    fields: list[FieldInfo] = field(default_factory=list)
    similar: list[str] = field(default_factory=list)


def _state(conn: Connection, layer_id: str) -> tuple[str, Layer | None]:
    found = find_layer(conn, layer_id, deleted=True)
    if found is not None:
        return ("deleted" if found.deleted_at is not None else "existing"), found
    core = core_layer(layer_id)
    return ("core", core) if core is not None else ("new", None)


def _text(value: Any, src: Source, encoding: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.hex()
    text = str(value)
    if isinstance(value, str) and encoding is not None:
        text = decode_latin1_text(text, encoding)
    return text[:_SAMPLE_CHARS]


def _samples(src: Source, columns: list[str]) -> dict[str, list[str]]:
    """The first values of each column, as text, legacy encodings undone."""
    try:
        _meta, _fids, _geom, data = pyogrio.raw.read(
            src.path,
            layer=src.layer,
            encoding=src.gdal_encoding,
            read_geometry=False,
            max_features=SAMPLE_ROWS,
            **src.options,
        )
    except Exception as exc:  # GDAL raises several error types for damaged files
        msg = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InvalidInput(
            f"Không đọc được {src.path.name} (tệp hỏng hoặc bị cắt?): {msg}",
            f"Cannot read {src.path.name} (damaged or truncated file?): {msg}",
            code="UnreadableFile",
        ) from None
    encoding = src.legacy
    if encoding is None and src.detect:
        raw = [
            v.encode("latin-1", errors="replace")
            for values in data
            for v in values
            if isinstance(v, str)
        ]
        encoding = detect_encoding(raw)
    return {
        name: [_text(v, src, encoding) for v in values]
        for name, values in zip(columns, data, strict=False)
    }


def _crs(src: Source) -> tuple[str | None, str | None]:
    crs = declared_crs(src)
    if crs is None:
        return None, None
    try:
        spec: str | None = crsmod.crs_to_spec(crs)
    except InvalidInput:
        spec = None  # a CRS without an EPSG code: its name is all a person can check
    return spec, crs.name


def preview_file(
    conn: Connection,
    path: Path,
    layer_id: str,
    *,
    max_unzip_bytes: int,
    encoding: str = "auto",
    source_layer: str | None = None,
    column_map: dict[str, str] | None = None,
) -> ImportPreview:
    """Read what an import of ``path`` into ``layer_id`` needs to show before it runs."""
    check_layer_id(layer_id)
    with open_source(
        path, encoding=encoding, source_layer=source_layer, max_unzip_bytes=max_unzip_bytes
    ) as src:
        columns = [str(c) for c in src.info.get("fields", [])]
        samples = _samples(src, columns)
        crs_spec, crs_name = _crs(src)
        count = int(src.info.get("features", -1))
        geometry = src.info.get("geometry_type")
        driver = src.driver
    state, layer = _state(conn, layer_id)
    names = [] if layer is None else list(layer.property_schema.get("properties", {}))
    problem = None
    mapping: list[ColumnChoice] | None = None
    for strict in (True, False):
        try:
            mapping = resolve_columns(
                columns,
                names,
                column_map or {},
                layer_id=layer_id,
                core=layer_id in core_layer_ids(),
                fixed=layer is not None,
                strict=strict,
            )
            break
        except InvalidInput as exc:
            # The person chooses on the page: say why, and suggest what can be suggested.
            problem = problem or (exc.code, exc.vi, exc.en)
    if mapping is None:
        mapping = [ColumnChoice(c, c, "kept") for c in columns]
    fields = [
        FieldInfo(
            n,
            field_title(layer_id, layer.property_schema, n, "vi"),
            field_title(layer_id, layer.property_schema, n, "en"),
        )
        for n in names
        if layer is not None
    ]
    return ImportPreview(
        layer_id=layer_id,
        driver=driver,
        features=count if count >= 0 else None,
        geometry_type=str(geometry) if geometry else None,
        crs_spec=crs_spec,
        crs_name=crs_name,
        columns=columns,
        samples=samples,
        mapping=mapping,
        mapping_problem=problem,
        layer_state=state,
        layer=layer,
        fields=fields,
        similar=similar_layer_ids(conn, layer_id) if state == "new" else [],
    )


#: What the target layer is, in words.
LAYER_STATES = {
    "existing": {"vi": "lớp đã có", "en": "existing layer"},
    "core": {"vi": "lớp lõi, được tạo khi nhập", "en": "core layer, created by the import"},
    "deleted": {"vi": "lớp đã bị xóa", "en": "deleted layer"},
    "new": {"vi": "lớp mới", "en": "new layer"},
}


def preview_json(p: ImportPreview) -> dict[str, Any]:
    """The preview as the data API answers it: codes with their labels."""
    layer = p.layer
    return {
        "layer": {
            "id": p.layer_id,
            "state": p.layer_state,
            "state_label": LAYER_STATES[p.layer_state],
            "title_vi": layer.title_vi if layer else None,
            "title_en": layer.title_en if layer else None,
            "similar": p.similar,
            "fields": [
                {"name": f.name, "title": {"vi": f.title_vi, "en": f.title_en}} for f in p.fields
            ],
        },
        "file": {
            "format": p.driver,
            "features": p.features,
            "geometry_type": p.geometry_type,
            "crs": None if p.crs_name is None else {"spec": p.crs_spec, "name": p.crs_name},
        },
        "columns": [
            {
                "name": c.source,
                "samples": p.samples.get(c.source, []),
                "suggested": c.target,
                "how": c.how,
                "how_label": how_label(c.how),
            }
            for c in p.mapping
        ],
        "mapping_problem": None
        if p.mapping_problem is None
        else dict(zip(("code", "vi", "en"), p.mapping_problem, strict=True)),
    }

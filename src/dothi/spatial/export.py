"""Export of a layer to GeoJSON, GeoPackage, CSV or Shapefile, in WGS 84 or VN-2000.

Files are written beside the target under a temporary name and moved into place at
the end, so a failed export leaves no half-written file; an existing file is replaced
only when asked. GeoPackages are written as version 1.2, which every GDAL since 2.2 (and
QGIS) reads without a warning; booleans stay booleans (GeoPackage BOOLEAN, dBASE logical).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson
import pyogrio.raw
import pyproj
import shapely

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.db.spatial.base import FeatureRow
from dothi.errors import Conflict, InvalidInput
from dothi.geo import crs as crsmod
from dothi.geo.transform import mover
from dothi.spatial.layers import Layer, get_layer
from dothi.spatial.sources import check_allowed

FORMATS = ("geojson", "gpkg", "csv", "shp")
_CHUNK = 10_000
_OGR_DRIVER = {"gpkg": "GPKG", "shp": "ESRI Shapefile"}
#: GDAL ≥ 3.7 writes GeoPackage 1.4 by default, which GDAL 3.6 opens with a warning.
_DATASET_OPTIONS = {"gpkg": {"VERSION": "1.2"}, "shp": {}}
#: The files of a Shapefile besides the .shp.
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass
class ExportResult:
    """What an export wrote."""

    path: Path
    count: int
    crs: str


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(
            f"Định dạng «{fmt}» không hỗ trợ; chọn: {', '.join(FORMATS)}.",
            f"Unsupported format '{fmt}'; choose: {', '.join(FORMATS)}.",
        )
    return fmt


def _chunks(db: Database, layer_id: str, as_of: datetime | None) -> Iterator[list[FeatureRow]]:
    with db.read() as conn:
        chunk: list[FeatureRow] = []
        for row in db.port.iter_rows(conn, layer_id, as_of=as_of, chunk=_CHUNK):
            chunk.append(row)
            if len(chunk) >= _CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _reproject(target: pyproj.CRS) -> Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]] | None:
    if crsmod.is_geographic_wgs84(target):
        return None
    return mover(pyproj.CRS.from_epsg(4326), target)


def export_layer(
    db: Database,
    settings: Settings,
    layer_id: str,
    fmt: str,
    output: Path,
    *,
    crs: str | None = None,
    as_of: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    overwrite: bool = False,
) -> ExportResult:
    """Write the features of a layer (now, or as of a date) to ``output``; an existing
    file there is refused unless ``overwrite``."""
    _check_format(fmt)
    output = check_allowed(output, settings.allowed_dirs)
    if not output.parent.is_dir():
        raise InvalidInput(
            f"Thư mục {output.parent} không tồn tại.", f"Folder {output.parent} does not exist."
        )
    if not overwrite:
        _refuse_existing(output, fmt)
    target = crsmod.resolve_crs(crs) if crs else pyproj.CRS.from_epsg(4326)
    spec = crsmod.crs_to_spec(target)
    with db.read() as conn:
        layer = get_layer(conn, layer_id)
    if fmt == "shp" and layer.geometry_type == "Geometry":
        raise InvalidInput(
            "Shapefile chỉ chứa một kiểu hình học; lớp này có nhiều kiểu — hãy xuất GeoPackage.",
            "A Shapefile holds one geometry type; this layer mixes types — export GeoPackage.",
        )
    project = _reproject(target)
    tmpdir = Path(tempfile.mkdtemp(prefix=".dothi-export-", dir=output.parent))
    try:
        tmp = tmpdir / output.name
        count = 0
        chunks = _chunks(db, layer_id, as_of)
        if fmt == "geojson":
            with open(tmp, "wb") as fh:
                count = _write_geojson(fh, chunks, project, spec, progress)
        elif fmt == "csv":
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                count = _write_csv(fh, layer, chunks, project, progress)
        else:
            count = _write_ogr(tmp, fmt, layer, chunks, project, target, progress)
        for part in tmpdir.iterdir():
            part.replace(output.parent / part.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return ExportResult(path=output, count=count, crs=spec)


def _refuse_existing(output: Path, fmt: str) -> None:
    parts = [output]
    if fmt == "shp":
        parts = [output.with_suffix(ext) for ext in _SHAPEFILE_PARTS]
    found = [p for p in parts if p.exists()]
    if found:
        raise Conflict(
            f"Tệp {found[0]} đã tồn tại; chọn tên khác hoặc thêm --overwrite để ghi đè.",
            f"{found[0]} already exists; choose another name or add --overwrite to replace it.",
            code="FileExists",
        )


def _geoms(rows: list[FeatureRow], project: Any) -> np.ndarray[Any, Any]:
    geoms: np.ndarray[Any, Any] = shapely.from_wkb([r.wkb for r in rows])
    if project is not None:
        geoms = shapely.transform(geoms, project)
    return geoms


def _write_geojson(
    fh: IO[bytes], chunks: Iterator[list[FeatureRow]], project: Any, spec: str, progress: Any
) -> int:
    fh.write(b'{"type":"FeatureCollection",')
    if project is not None:
        # RFC 7946 allows WGS 84 only; other CRSs use the older named-CRS member that
        # GDAL and QGIS read.
        code = spec.split(":")[-1]
        name = f"urn:ogc:def:crs:EPSG::{code}"
        fh.write(b'"crs":' + orjson.dumps({"type": "name", "properties": {"name": name}}) + b",")
    fh.write(b'"features":[')
    count = 0
    for rows in chunks:
        geoms = _geoms(rows, project)
        for r, g in zip(rows, geoms, strict=True):
            if count:
                fh.write(b",\n")
            fh.write(
                orjson.dumps(
                    {
                        "type": "Feature",
                        "id": r.fid,
                        "geometry": shapely.geometry.mapping(g),
                        "properties": r.properties,
                    },
                    option=orjson.OPT_SERIALIZE_NUMPY,
                )
            )
            count += 1
        if progress:
            progress(count)
    fh.write(b"]}\n")
    return count


def _property_names(layer: Layer, rows: list[FeatureRow]) -> list[str]:
    names = list(layer.property_schema.get("properties", {}))
    seen = set(names)
    for r in rows:
        for k in r.properties:
            if k not in seen:
                names.append(k)
                seen.add(k)
    return names


def _write_csv(
    fh: IO[str], layer: Layer, chunks: Iterator[list[FeatureRow]], project: Any, progress: Any
) -> int:
    writer = csv.writer(fh)
    names: list[str] | None = None
    count = 0
    for rows in chunks:
        if names is None:
            names = _property_names(layer, rows)
            writer.writerow(["id", *names, "wkt"])
        wkts = shapely.to_wkt(_geoms(rows, project), rounding_precision=-1)
        for r, wkt in zip(rows, wkts, strict=True):
            writer.writerow([r.fid, *(_cell(r.properties.get(n)) for n in names), wkt])
            count += 1
        if progress:
            progress(count)
    if names is None:
        writer.writerow(["id", *_property_names(layer, []), "wkt"])
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return "" if value is None else value


def _field_arrays(
    names: list[str], layer: Layer, rows: list[FeatureRow]
) -> tuple[list[np.ndarray[Any, Any]], list[np.ndarray[Any, Any]]]:
    props = layer.property_schema.get("properties", {})
    data: list[np.ndarray[Any, Any]] = []
    masks: list[np.ndarray[Any, Any]] = []
    for name in names:
        values = [r.properties.get(name) for r in rows]
        types = props.get(name, {}).get("type", "string")
        types = {types} if isinstance(types, str) else set(types)
        mask = np.array([v is None for v in values])
        if "boolean" in types and all(isinstance(v, bool) or v is None for v in values):
            arr = np.array([bool(v) for v in values], dtype=np.bool_)
        elif "integer" in types and all(isinstance(v, int) or v is None for v in values):
            arr = np.array([0 if v is None else v for v in values], dtype=np.int64)
        elif "number" in types and all(isinstance(v, int | float) or v is None for v in values):
            arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        else:
            arr = np.array([None if v is None else str(_cell(v)) for v in values], dtype=object)
        data.append(arr)
        masks.append(mask)
    return data, masks


def _write_ogr(
    tmp: Path,
    fmt: str,
    layer: Layer,
    chunks: Iterator[list[FeatureRow]],
    project: Any,
    target: pyproj.CRS,
    progress: Any,
) -> int:
    geometry_type = {
        "Point": "MultiPoint",
        "LineString": "MultiLineString",
        "Polygon": "MultiPolygon",
    }.get(layer.geometry_type, "Unknown")
    names: list[str] | None = None
    count = 0
    wkt = target.to_wkt()
    for rows in chunks:
        if names is None:
            names = _property_names(layer, rows)
        data, masks = _field_arrays(names, layer, rows)
        geoms = shapely.to_wkb(_geoms(rows, project))
        with warnings.catch_warnings():
            # Shapefile field names are cut to 10 characters; GDAL warns each time.
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.raw.write(
                tmp,
                geoms,
                data,
                names,
                field_mask=masks,
                layer=layer.id,
                driver=_OGR_DRIVER[fmt],
                geometry_type=geometry_type,
                crs=wkt,
                encoding="UTF-8",
                promote_to_multi=geometry_type != "Unknown",
                append=count > 0,
                dataset_options=None if count else _DATASET_OPTIONS[fmt],
            )
        count += len(rows)
        if progress:
            progress(count)
    if names is None:
        pyogrio.raw.write(
            tmp,
            np.array([], dtype=object),
            [],
            [],
            layer=layer.id,
            driver=_OGR_DRIVER[fmt],
            geometry_type=geometry_type,
            crs=wkt,
            dataset_options=_DATASET_OPTIONS[fmt],
        )
    return count

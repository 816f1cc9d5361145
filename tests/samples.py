"""Sample files for import tests, written with GDAL (pyogrio) or by hand.

Reference geometries live here so that every test uses the same ones.
"""

from __future__ import annotations

import json
import shutil
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pyproj
import shapely
from shapely.geometry import Point, Polygon, box, mapping

from dothi.geo.crs import resolve_crs
from dothi.geo.transform import transformer

# Around Bến Thành market, TP Hồ Chí Minh (WGS 84 lon/lat).
ORIGIN = (106.6980, 10.7725)


def square(i: int, size: float = 0.0005) -> Polygon:
    """A small square in central TP HCM, the ``i``-th along a row."""
    x, y = ORIGIN[0] + (i % 50) * 0.001, ORIGIN[1] + (i // 50) * 0.001
    return Polygon([(x, y), (x + size, y), (x + size, y + size), (x, y + size)])


BOWTIE = Polygon([(106.70, 10.77), (106.701, 10.771), (106.701, 10.77), (106.70, 10.771)])


def parcels(n: int = 5) -> list[dict[str, Any]]:
    """Rows of a user layer: key, Vietnamese name, numbers, geometry."""
    return [
        {
            "ma": f"P{i:04d}",
            "ten": f"Thửa số {i} Phường Bến Thành",
            "dien_tich": 100.5 + i,
            "so_tang": i % 5 + 1,
            "geometry": square(i),
        }
        for i in range(n)
    ]


#: The ward around :data:`ORIGIN` as a test ``admin_commune`` row draws it (a box, not the
#: real boundary): every :func:`square` up to the 20th lies inside it.
WARD = box(106.690, 10.765, 106.725, 10.780)


def commune(code: str = "26734", geometry: Polygon = WARD) -> dict[str, Any]:
    """An ``admin_commune`` row (core layer schema)."""
    return {
        "code": code,
        "name": f"Phường {code}",
        "province_code": "79",
        "unit_type": "ward",
        "geometry": geometry,
    }


def land_parcel(i: int, commune_code: str = "26734", **extra: Any) -> dict[str, Any]:
    """A ``land_parcel`` row (core layer schema) on :func:`square` ``i``."""
    return {
        "parcel_uid": f"{commune_code}-12-{i + 1}",
        "sheet_no": 12,
        "parcel_no": i + 1,
        "commune_code": commune_code,
        "land_use_code": "ODT",
        "area_m2": 80.5 + i,
        **extra,
        "geometry": square(i),
    }


def write_geojson(
    path: Path, rows: list[dict[str, Any]], extra: dict[str, Any] | None = None
) -> Path:
    """A GeoJSON FeatureCollection (RFC 7946) of ``rows``."""
    features = [
        {
            "type": "Feature",
            "geometry": None if r["geometry"] is None else mapping(r["geometry"]),
            "properties": {k: v for k, v in r.items() if k != "geometry"},
        }
        for r in rows
    ]
    doc = {"type": "FeatureCollection", "features": features, **(extra or {})}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def write_ogr(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    driver: str,
    crs: str | None = "EPSG:4326",
    encoding: str | None = None,
    geometry_type: str = "Polygon",
    to_crs: str | None = None,
) -> Path:
    """Write ``rows`` with GDAL; ``to_crs`` reprojects the WGS 84 geometries first."""
    geoms = [r["geometry"] for r in rows]
    if to_crs is not None:
        t = transformer(pyproj.CRS.from_epsg(4326), resolve_crs(to_crs))
        geoms = [
            shapely.transform(g, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
            for g in geoms
        ]
    names = [k for k in rows[0] if k != "geometry"]
    data = [
        np.array([r[k] for r in rows], dtype=object if isinstance(rows[0][k], str) else None)
        for k in names
    ]
    kwargs: dict[str, Any] = {}
    if encoding is not None:
        kwargs["encoding"] = encoding
    with warnings.catch_warnings():
        # Files without a CRS are written on purpose, to test that imports refuse them.
        warnings.filterwarnings("ignore", message="'crs' was not provided")
        pyogrio.raw.write(
            path,
            np.array([g.wkb for g in geoms], dtype=object),
            data,
            names,
            driver=driver,
            geometry_type=geometry_type,
            crs=crs,
            **kwargs,
        )
    return path


def zip_folder(folder: Path, target: Path) -> Path:
    """Zip every file of ``folder`` into ``target``."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, p.name)
    return target


def copy_without(folder: Path, dest: Path, suffix: str) -> Path:
    """Copy a Shapefile folder leaving out one part (e.g. ``.prj``)."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in folder.iterdir():
        if p.suffix.lower() != suffix:
            shutil.copy(p, dest / p.name)
    return dest


__all__ = ["BOWTIE", "ORIGIN", "Point", "parcels", "square", "write_geojson", "write_ogr"]

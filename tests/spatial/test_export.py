"""Export to every format and CRS, and back in again unchanged."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyogrio
import pytest
import shapely
from prepared import dataset
from samples import parcels, write_geojson

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import InvalidInput, NotFound
from dothi.spatial.export import export_layer
from dothi.spatial.importer import ImportOptions, import_file

ROWS = parcels(25)


@dataset(shared=True)
def thua_layer(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "src.geojson", ROWS)
    import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma"),
    )


@pytest.fixture
def loaded(thua_layer: None, db: Database) -> Database:
    return db


def _geoms(db: Database, layer: str) -> dict[str, shapely.Geometry]:
    with db.read() as conn:
        return {r.fid: r.geometry for r in db.port.find(conn, layer)}


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("geojson", "o.geojson"), ("gpkg", "o.gpkg"), ("csv", "o.csv"), ("shp", "o.shp")],
)
@pytest.mark.parametrize("crs", [None, "vn2000-tm3:79", "vn2000-utm48"])
@pytest.mark.writes
def test_round_trip(
    loaded: Database, settings: Settings, tmp_path: Path, fmt: str, name: str, crs: str | None
) -> None:
    out = tmp_path / name
    result = export_layer(loaded, settings, "thua", fmt, out, crs=crs)
    assert result.count == len(ROWS)
    opts = ImportOptions(
        layer_id="back",
        new_layer=True,
        access="public",
        key="ma",
        crs=crs if fmt in ("csv", "geojson") else None,
    )
    report = import_file(loaded, settings, out, opts)
    assert report.inserted == len(ROWS) and report.rejected == 0
    original, back = _geoms(loaded, "thua"), _geoms(loaded, "back")
    for fid, geom in original.items():
        # Through VN-2000 and back, a few millimetres at most.
        assert shapely.hausdorff_distance(geom, back[fid]) < 1e-7, fid
    with loaded.read() as conn:
        props = {r.fid: r.properties for r in loaded.port.find(conn, "back")}
    assert props["P0007"]["ten"] == "Thửa số 7 Phường Bến Thành"
    assert props["P0007"]["so_tang"] == 3


def test_files_are_in_the_asked_crs(loaded: Database, settings: Settings, tmp_path: Path) -> None:
    gpkg = tmp_path / "vn.gpkg"
    export_layer(loaded, settings, "thua", "gpkg", gpkg, crs="vn2000-tm3:ho-chi-minh")
    info = pyogrio.read_info(gpkg)
    assert info["crs"] == "EPSG:9210" and info["features"] == len(ROWS)
    bounds = pyogrio.read_bounds(gpkg)[1]
    assert 590_000 < bounds[0].min() < 610_000 and 1_180_000 < bounds[1].min() < 1_200_000
    plain = tmp_path / "wgs.geojson"
    export_layer(loaded, settings, "thua", "geojson", plain)
    doc = json.loads(plain.read_text(encoding="utf-8"))
    assert "crs" not in doc and len(doc["features"]) == len(ROWS)
    table = tmp_path / "vn.csv"
    export_layer(loaded, settings, "thua", "csv", table, crs="vn2000-utm48")
    with open(table, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(ROWS) and rows[0]["wkt"].startswith("MULTIPOLYGON") is False
    assert float(rows[0]["wkt"].split("((")[1].split()[0]) > 100_000


def test_export_as_of_and_errors(loaded: Database, settings: Settings, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    out = tmp_path / "past.geojson"
    export_layer(loaded, settings, "thua", "geojson", out, as_of=datetime(2001, 1, 1, tzinfo=UTC))
    assert json.loads(out.read_text(encoding="utf-8"))["features"] == []
    with pytest.raises(NotFound):
        export_layer(loaded, settings, "khong_co", "geojson", tmp_path / "x.geojson")
    with pytest.raises(InvalidInput):
        export_layer(loaded, settings, "thua", "kml", tmp_path / "x.kml")
    with pytest.raises(InvalidInput):
        export_layer(loaded, settings, "thua", "geojson", tmp_path / "no" / "dir.geojson")
    with pytest.raises(InvalidInput):
        export_layer(loaded, settings, "thua", "gpkg", tmp_path / "x.gpkg", crs="vn2000-tm3:")
    # A failed export leaves nothing behind.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".dothi")) == []

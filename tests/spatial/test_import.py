"""Import from every format, on SQLite and PostGIS: counts, CRS, upsert, reports."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest
import shapely
from samples import BOWTIE, ORIGIN, parcels, square, write_geojson, write_ogr, zip_folder
from shapely.geometry import LineString

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import feature_counts, get_layer


def run(db: Database, settings: Settings, path: Path, layer: str = "thua", **kw: object):
    return import_file(
        db,
        settings,
        path,
        ImportOptions(**{"layer_id": layer, "new_layer": True, "access": "public", **kw}),
    )  # type: ignore[arg-type]


def current(db: Database, layer: str) -> dict[str, dict]:
    with db.read() as conn:
        return {r.fid: r.properties for r in db.port.find(conn, layer)}


def test_geojson_creates_user_layer(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "p.geojson", parcels(5))
    report = run(db, settings, path, key="ma", title_vi="Thửa thử", access="internal")
    assert (report.read, report.inserted, report.rejected) == (5, 5, 0)
    with db.read() as conn:
        layer = get_layer(conn, "thua")
        assert feature_counts(conn)["thua"] == 5
    assert layer.geometry_type == "Polygon"
    assert layer.access == "internal" and layer.title_vi == "Thửa thử"
    assert layer.property_schema["properties"]["so_tang"]["type"] == ["integer", "null"]
    props = current(db, "thua")["P0003"]
    assert props["ten"] == unicodedata.normalize("NFC", "Thửa số 3 Phường Bến Thành")
    assert props["dien_tich"] == pytest.approx(103.5)


def test_reimport_is_idempotent_and_updates_changed_rows(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(4)
    path = write_geojson(tmp_path / "p.geojson", rows)
    run(db, settings, path, key="ma")
    again = run(db, settings, path, key="ma")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    rows[1]["so_tang"] = 9
    rows.append({**rows[0], "ma": "P9999", "geometry": square(99)})
    third = run(db, settings, write_geojson(tmp_path / "p2.geojson", rows), key="ma")
    assert (third.inserted, third.updated, third.unchanged) == (1, 1, 3)
    assert current(db, "thua")["P0001"]["so_tang"] == 9
    assert len(current(db, "thua")) == 5


def test_duplicate_keys_in_one_file_are_rejected(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(3)
    rows.append({**rows[0]})
    report = run(db, settings, write_geojson(tmp_path / "d.geojson", rows), key="ma")
    assert (report.inserted, report.rejected) == (3, 1)
    assert "duplicate key" in report.notes[0].reason


def test_a_key_repeated_in_a_later_batch_is_rejected_in_a_filled_layer(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    # Rows are held back to be written in space order; a repeated key must still meet
    # its first row in the table, in an empty layer and in one that has rows.
    for layer in ("trong", "co_san"):
        if layer == "co_san":
            run(db, settings, write_geojson(tmp_path / "a.geojson", parcels(2)), layer, key="ma")
        rows = parcels(9)
        rows.append({**rows[1], "ten": "lặp lại"})
        path = write_geojson(tmp_path / f"{layer}.geojson", rows)
        opts = ImportOptions(
            layer_id=layer, new_layer=True, access="public", key="ma", batch_size=3
        )
        report = import_file(db, settings, path, opts)
        assert report.rejected == 1 and "duplicate key" in report.notes[0].reason
        assert len(current(db, layer)) == 9
        assert current(db, layer)["P0001"]["ten"] == rows[1]["ten"]


def test_gpkg_shapefile_zip_and_csv(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = parcels(6)
    gpkg = write_ogr(tmp_path / "p.gpkg", rows, driver="GPKG")
    assert run(db, settings, gpkg, "from_gpkg", key="ma").inserted == 6
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    write_ogr(shp_dir / "p.shp", rows, driver="ESRI Shapefile", encoding="UTF-8")
    assert run(db, settings, shp_dir, "from_folder", key="ma").inserted == 6
    assert run(db, settings, shp_dir / "p.shp", "from_shp", key="ma").inserted == 6
    z = zip_folder(shp_dir, tmp_path / "p.zip")
    assert run(db, settings, z, "from_zip", key="ma").inserted == 6
    lonlat = tmp_path / "pts.csv"
    with open(lonlat, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ma", "ten", "lon", "lat"])
        for i in range(3):
            w.writerow([f"C{i}", f"Trạm {i}", ORIGIN[0] + i * 0.01, ORIGIN[1]])
    report = run(db, settings, lonlat, "from_csv", key="ma")
    assert report.inserted == 3
    with db.read() as conn:
        pts = {r.fid: r.geometry for r in db.port.find(conn, "from_csv")}
    assert pts["C2"].x == pytest.approx(ORIGIN[0] + 0.02)
    wkt = tmp_path / "wkt.csv"
    with open(wkt, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ma", "wkt"])
        w.writerow(["W1", square(1).wkt])
    assert run(db, settings, wkt, "from_wkt", key="ma").inserted == 1
    for layer in ("from_gpkg", "from_folder", "from_shp", "from_zip"):
        got = current(db, layer)
        assert got["P0002"]["ten"] == "Thửa số 2 Phường Bến Thành", layer


def test_vn2000_tm3_shapefile_is_stored_in_wgs84(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(3)
    shp = write_ogr(
        tmp_path / "vn.shp",
        rows,
        driver="ESRI Shapefile",
        crs="EPSG:9210",
        to_crs="EPSG:9210",
        encoding="UTF-8",
    )
    report = run(db, settings, shp, key="ma")
    assert report.source_crs == "EPSG:9210"
    with db.read() as conn:
        assert get_layer(conn, "thua").source_crs == "EPSG:9210"
        got = {r.fid: r.geometry for r in db.port.find(conn, "thua")}
    for r in rows:
        # Shapefile rewinds rings; compare shapes, to about a centimetre.
        assert shapely.equals_exact(
            shapely.normalize(got[r["ma"]]), shapely.normalize(r["geometry"]), tolerance=1e-7
        )


def test_bare_projected_coordinates_are_refused(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(2)
    shp = write_ogr(
        tmp_path / "noprj.shp",
        rows,
        driver="ESRI Shapefile",
        crs=None,
        to_crs="EPSG:9210",
        encoding="UTF-8",
    )
    with pytest.raises(InvalidInput) as err:
        run(db, settings, shp, key="ma")
    assert err.value.code == "MissingCRS" and "--crs" in err.value.en and "--crs" in err.value.vi
    with db.read() as conn:
        assert feature_counts(conn) == {}
    report = run(db, settings, shp, key="ma", crs="vn2000-tm3:ho-chi-minh")
    assert report.inserted == 2 and report.source_crs == "EPSG:9210"
    with db.read() as conn:
        got = {r.fid: r.geometry for r in db.port.find(conn, "thua")}
    assert shapely.equals_exact(
        shapely.normalize(got["P0001"]), shapely.normalize(rows[1]["geometry"]), tolerance=1e-7
    )


def test_geometry_repair_wrong_type_and_missing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(4)
    rows[1]["geometry"] = BOWTIE
    rows[2]["geometry"] = LineString([(106.7, 10.77), (106.71, 10.78)])
    rows[3]["geometry"] = None
    report = run(db, settings, write_geojson(tmp_path / "g.geojson", rows), key="ma")
    # A mixed file becomes a "Geometry" layer, so the line is accepted there.
    assert report.repaired == 1 and report.rejected == 1
    repaired = current(db, "thua")
    assert "P0001" in repaired
    with db.read() as conn:
        g = {r.fid: r.geometry for r in db.port.find(conn, "thua")}
    # The bow-tie becomes its two triangles: nothing of its area is lost.
    fixed = g["P0001"]
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon" and len(fixed.geoms) == 2
    assert fixed.area == pytest.approx(2 * 0.5 * 0.001 * 0.0005)
    kinds = {(n.kind, n.key) for n in report.notes}
    assert ("repaired", "P0001") in kinds and ("rejected", "P0003") in kinds


def test_core_layer_schema_rejects_bad_rows_and_writes_report(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    good = {
        "parcel_uid": "26734-12-1",
        "sheet_no": 12,
        "parcel_no": 1,
        "commune_code": "26734",
        "land_use_code": "ODT",
        "area_m2": 85.2,
    }
    rows = [
        {**good, "geometry": square(0)},
        {**good, "parcel_uid": "x2", "land_use_code": "XYZ", "geometry": square(1)},
        {**good, "parcel_uid": "x3", "sheet_no": -4, "geometry": square(2)},
        {**good, "parcel_uid": "x4", "commune_code": "12", "geometry": square(3)},
        {**good, "parcel_uid": "x5", "geometry": LineString([(106.7, 10.77), (106.8, 10.8)])},
    ]
    report = run(db, settings, write_geojson(tmp_path / "t.geojson", rows), "land_parcel")
    assert (report.inserted, report.rejected) == (1, 4)
    reasons = {n.key: n.reason for n in report.notes if n.kind == "rejected"}
    assert "land_use_code" in reasons["x2"] and "XYZ" in reasons["x2"]
    assert "sheet_no" in reasons["x3"]
    assert "commune_code" in reasons["x4"]
    assert "does not match layer type Polygon" in reasons["x5"]
    assert report.report_path is not None
    lines = report.report_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "kind,row,key,reason" and len(lines) == 5


def test_missing_required_column_refuses_whole_file(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write_geojson(tmp_path / "p.geojson", parcels(2))
    with pytest.raises(InvalidInput) as err:
        run(db, settings, path, "land_parcel")
    assert "parcel_uid" in err.value.en
    with db.read() as conn:
        assert feature_counts(conn) == {}


def test_outside_vietnam_is_flagged_not_dropped(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(2)
    rows[1]["geometry"] = shapely.affinity.translate(rows[1]["geometry"], xoff=-100)
    report = run(db, settings, write_geojson(tmp_path / "p.geojson", rows), key="ma")
    assert (report.inserted, report.flagged) == (2, 1)
    assert any(n.kind == "flagged" and "outside" in n.reason for n in report.notes)


def test_heights_are_dropped(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = parcels(2)
    rows[0]["geometry"] = shapely.force_3d(rows[0]["geometry"], 12.5)
    report = run(db, settings, write_geojson(tmp_path / "z.geojson", rows), key="ma")
    assert report.inserted == 2
    with db.read() as conn:
        got = {r.fid: r.geometry for r in db.port.find(conn, "thua")}
    assert not got["P0000"].has_z
    assert shapely.equals_exact(got["P0000"], shapely.force_2d(rows[0]["geometry"]), 1e-9)


def test_many_small_batches_index_every_feature(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(120)
    path = write_geojson(tmp_path / "many.geojson", rows)
    report = import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma", batch_size=7),
    )
    assert report.inserted == 120
    with db.read() as conn:
        for r in rows[::13]:
            found = db.port.find(conn, "thua", bbox=r["geometry"].buffer(-0.0001).bounds)
            assert [f.fid for f in found] == [r["ma"]]

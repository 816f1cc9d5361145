"""A wrong CRS must not move data silently: --crs against the file's own CRS, features
outside the commune they name or far from the layer (SQLite and PostGIS)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import shapely
from samples import commune, land_parcel, parcels, write_geojson, write_ogr
from shapely.geometry import box

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import feature_counts


def load_communes(db: Database, settings: Settings, tmp_path: Path) -> None:
    # Bến Thành, and a ward 80 km to the west (around Tân An, Tây Ninh since 2025).
    rows = [commune("26734"), commune("27694", box(105.95, 10.70, 106.00, 10.85))]
    import_file(
        db, settings, write_geojson(tmp_path / "xa.geojson", rows), ImportOptions("admin_commune")
    )


def test_crs_contradicting_the_prj_is_refused_unless_forced(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(3)
    shp = write_ogr(
        tmp_path / "p.shp", rows, driver="ESRI Shapefile", crs="EPSG:9210", to_crs="EPSG:9210"
    )
    opts = ImportOptions("thua", key="ma", new_layer=True, crs="EPSG:9209")
    with pytest.raises(InvalidInput) as err:
        import_file(db, settings, shp, opts)
    assert err.value.code == "CRSConflict"
    assert "--crs EPSG:9209 contradicts the CRS the file declares (EPSG:9210)" in err.value.en
    assert "--force-crs" in err.value.en and "mâu thuẫn" in err.value.vi
    with db.read() as conn:
        assert feature_counts(conn) == {}
    # The CRS the file declares, spelt another way, is no contradiction.
    same = ImportOptions("thua", key="ma", new_layer=True, crs="vn2000-tm3:79")
    assert import_file(db, settings, shp, same).inserted == 3
    forced = ImportOptions("thua_2", key="ma", new_layer=True, crs="EPSG:9209", force_crs=True)
    assert import_file(db, settings, shp, forced).inserted == 3


def test_a_wrong_crs_that_moves_parcels_out_of_their_commune_is_refused(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load_communes(db, settings, tmp_path)
    rows = [land_parcel(i) for i in range(5)]
    # No .prj: the CRS comes from --crs alone; a zone 1° too far west moves them ~110 km.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL cuts the long field names
        shp = write_ogr(
            tmp_path / "p.shp", rows, driver="ESRI Shapefile", crs=None, to_crs="EPSG:9210"
        )
    # land_use_c could be land_use_code or land_use_code_generation: say which.
    fix = {"land_use_c": "land_use_code"}
    with pytest.raises(InvalidInput) as err:
        import_file(
            db, settings, shp, ImportOptions("land_parcel", crs="EPSG:9208", column_map=fix)
        )
    assert err.value.code == "Misplaced"
    assert "5/5 features lie outside the commune their commune_code names" in err.value.en
    assert "nothing was written" in err.value.en
    with db.read() as conn:
        assert "land_parcel" not in feature_counts(conn)
    opts = ImportOptions("land_parcel", crs="EPSG:9210", column_map=fix)
    report = import_file(db, settings, shp, opts)
    assert (report.inserted, report.placement.misplaced, report.placement.checked) == (5, 0, 5)


def test_one_parcel_outside_its_commune_is_rejected_and_counted(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load_communes(db, settings, tmp_path)
    rows = [land_parcel(i) for i in range(4)]
    rows[2] = land_parcel(2, commune_code="27694")  # drawn in Bến Thành, coded Tân An
    path = write_geojson(tmp_path / "p.geojson", rows)
    report = import_file(db, settings, path, ImportOptions("land_parcel"))
    assert (report.inserted, report.rejected) == (3, 1)
    assert report.placement.outside_commune == 1 and report.placement.misplaced == 1
    (note,) = [n for n in report.notes if n.kind == "rejected"]
    assert note.key == "27694-12-3"
    assert "outside commune 27694" in note.reason and "lies in 26734" in note.reason


def test_features_far_from_the_layer_are_flagged(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    first = write_geojson(tmp_path / "a.geojson", parcels(3))
    import_file(db, settings, first, ImportOptions("thua", key="ma", new_layer=True))
    rows = parcels(5)
    rows[4]["geometry"] = shapely.affinity.translate(rows[4]["geometry"], xoff=-0.75)
    report = import_file(
        db, settings, write_geojson(tmp_path / "b.geojson", rows), ImportOptions("thua", key="ma")
    )
    assert (report.inserted, report.flagged, report.placement.far_from_layer) == (2, 1, 1)
    assert any("far (over 20 km) from the layer" in n.reason for n in report.notes)

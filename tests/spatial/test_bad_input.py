"""Bad input gets a clear error in both languages, and leaves the database as it was."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
from samples import copy_without, parcels, write_geojson, write_ogr, zip_folder

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import DothiError, InvalidInput
from dothi.geo.encodings import encode_text
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import feature_counts

NAMES = ["Phường Bến Nghé", "Đường Nguyễn Huệ", "Quận Hoàn Kiếm", "Thành phố Hồ Chí Minh"]


def _fails(db: Database, settings: Settings, path: Path, **kw: object) -> DothiError:
    with pytest.raises(DothiError) as err:
        import_file(
            db,
            settings,
            path,
            ImportOptions(**{"layer_id": "thua", "new_layer": True, "access": "public", **kw}),
        )  # type: ignore[arg-type]
    e = err.value
    assert e.vi and e.en and e.vi != e.en, "both languages"
    with db.read() as conn:
        assert feature_counts(conn) == {}, "nothing written"
    return e


def _legacy_shapefile(folder: Path, encoding: str) -> Path:
    """A Shapefile whose .dbf holds ``NAMES`` in a legacy encoding and has no .cpg."""
    folder.mkdir()
    rows = parcels(len(NAMES))
    raw = [encode_text(n, encoding).decode("latin1") for n in NAMES]
    path = folder / "legacy.shp"
    pyogrio.raw.write(
        path,
        np.array([r["geometry"].wkb for r in rows], dtype=object),
        [np.array([r["ma"] for r in rows], dtype=object), np.array(raw, dtype=object)],
        ["ma", "ten"],
        driver="ESRI Shapefile",
        geometry_type="Polygon",
        crs="EPSG:4326",
        encoding="latin1",
    )
    (folder / "legacy.cpg").unlink(missing_ok=True)
    return path


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "cp1258"])
def test_legacy_text_is_detected_and_converted(
    db: Database, settings: Settings, tmp_path: Path, encoding: str
) -> None:
    shp = _legacy_shapefile(tmp_path / encoding, encoding)
    report = import_file(
        db, settings, shp, ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma")
    )
    assert report.encoding == encoding
    with db.read() as conn:
        names = sorted(r.properties["ten"] for r in db.port.find(conn, "thua"))
    assert names == sorted(NAMES)


def test_legacy_encoding_by_flag(db: Database, settings: Settings, tmp_path: Path) -> None:
    shp = _legacy_shapefile(tmp_path / "vni", "vni")
    opts = ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma", encoding="vni")
    assert import_file(db, settings, shp, opts).encoding == "vni"
    with db.read() as conn:
        assert "Đường Nguyễn Huệ" in {r.properties["ten"] for r in db.port.find(conn, "thua")}


def test_wrong_encoding_flag(db: Database, settings: Settings, tmp_path: Path) -> None:
    csv_path = tmp_path / "t.csv"
    csv_path.write_bytes(b"ma,lon,lat,ten\n1,106.7,10.77," + encode_text(NAMES[1], "tcvn3") + b"\n")
    e = _fails(db, settings, csv_path, encoding="utf-8")
    assert "UTF-8" in e.en and "--encoding" in e.en


def test_truncated_and_malformed_files(db: Database, settings: Settings, tmp_path: Path) -> None:
    good = write_geojson(tmp_path / "good.geojson", parcels(50))
    cut = tmp_path / "cut.geojson"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert _fails(db, settings, cut).code == "UnreadableFile"
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"this is not a geopackage" * 10)
    _fails(db, settings, junk)
    gpkg = write_ogr(tmp_path / "p.gpkg", parcels(50), driver="GPKG")
    half = tmp_path / "half.gpkg"
    half.write_bytes(gpkg.read_bytes()[: gpkg.stat().st_size // 3])
    _fails(db, settings, half)
    _fails(db, settings, tmp_path / "missing.geojson")


def test_zip_problems(db: Database, settings: Settings, tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    assert "zip" in _fails(db, settings, fake).en
    empty = tmp_path / "nothing.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("readme.txt", "no data here")
    assert "Shapefile" in _fails(db, settings, empty).en
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", b"\0" * (settings.max_unzip_bytes + 1024))
    assert bomb.stat().st_size < 1_000_000
    assert _fails(db, settings, bomb).code == "ZipTooLarge"
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escape.shp", b"x")
    assert "unsafe" in _fails(db, settings, evil).en
    assert not (tmp_path.parent / "escape.shp").exists()


def test_incomplete_shapefile(db: Database, settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    write_ogr(folder / "p.shp", parcels(3), driver="ESRI Shapefile", encoding="UTF-8")
    no_dbf = copy_without(folder, tmp_path / "nodbf", ".dbf")
    assert ".dbf" in _fails(db, settings, no_dbf / "p.shp").en
    zipped = zip_folder(no_dbf, tmp_path / "nodbf.zip")
    assert ".dbf" in _fails(db, settings, zipped).en


def test_bad_options(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "p.geojson", parcels(2))
    assert "EPSG:99999999" in _fails(db, settings, path, crs="EPSG:99999999").en
    assert "vn2000-tm3" in _fails(db, settings, path, crs="gauss-kruger").en
    assert "tcvn3" in _fails(db, settings, path, encoding="latin-9").en
    with pytest.raises(InvalidInput):
        import_file(db, settings, path, ImportOptions(layer_id="Bad Layer!"))
    assert "access" in _fails(db, settings, path, access="secret").en.lower()


def test_path_outside_allowed_folders(db: Database, settings: Settings, tmp_path: Path) -> None:
    inside = tmp_path / "inbox"
    inside.mkdir()
    outside = write_geojson(tmp_path / "p.geojson", parcels(2))
    limited = replace(settings, allowed_dirs=(inside,))
    with pytest.raises(InvalidInput) as err:
        import_file(
            db, limited, outside, ImportOptions(layer_id="thua", new_layer=True, access="public")
        )
    assert err.value.code == "PathNotAllowed"
    sneaky = inside / ".." / "p.geojson"
    with pytest.raises(InvalidInput):
        import_file(
            db, limited, sneaky, ImportOptions(layer_id="thua", new_layer=True, access="public")
        )
    ok = write_geojson(inside / "ok.geojson", parcels(2))
    assert (
        import_file(
            db, limited, ok, ImportOptions(layer_id="thua", new_layer=True, access="public")
        ).inserted
        == 2
    )

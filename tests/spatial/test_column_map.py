"""Column mapping of imports: --map, mapping files, DBF-truncated names, cadastral names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from samples import land_parcel, square, write_geojson, write_ogr

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.spatial.column_map import parse_map_options, read_map_file, resolve_columns
from dothi.spatial.export import export_layer
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import core_layer, get_layer

PARCEL_FIELDS = list(core_layer("land_parcel").property_schema["properties"])  # type: ignore[union-attr]


def parcel(i: int) -> dict[str, Any]:
    """A land_parcel row with every field filled, in central TP HCM."""
    return land_parcel(
        i,
        legacy_commune_code="26740",
        land_use_code_generation="2024",
        address=f"{i + 1} Lê Lợi",
        illustrative=i % 2 == 0,
        note=None,
        source="test",
    )


def cadastral(i: int) -> dict[str, Any]:
    """A row as a Vietnamese cadastral Shapefile names its columns."""
    return {
        "parcel_uid": f"26734-7-{i + 1}",
        "MaXa": "26734",
        "SoTo": 7,
        "SoThua": i + 1,
        "DiaChi": f"{i + 1} Nguyễn Huệ",
        "LoaiDat": "TMD",
        "DienTich": 120.0 + i,
        "geometry": square(i),
    }


def current(db: Database, layer: str) -> dict[str, dict[str, Any]]:
    with db.read() as conn:
        return {r.fid: r.properties for r in db.port.find(conn, layer)}


# -- the rules, without a database -----------------------------------------------------------


def test_truncated_names_map_to_the_one_field_they_start() -> None:
    cols = ["parcel_uid", "commune_co", "legacy_com", "illustrati", "extra"]
    found = resolve_columns(cols, PARCEL_FIELDS, {}, layer_id="land_parcel", core=True, fixed=True)
    assert [(c.source, c.target, c.how) for c in found] == [
        ("parcel_uid", "parcel_uid", "same"),
        ("commune_co", "commune_code", "truncated"),
        ("legacy_com", "legacy_commune_code", "truncated"),
        ("illustrati", "illustrative", "truncated"),
        ("extra", "extra", "kept"),
    ]


def test_gdal_numbered_names_resolve_in_schema_order_and_a_lone_one_is_ambiguous() -> None:
    found = resolve_columns(
        ["land_use_c", "land_use_1"],
        PARCEL_FIELDS,
        {},
        layer_id="land_parcel",
        core=True,
        fixed=True,
    )
    assert {c.source: c.target for c in found} == {
        "land_use_c": "land_use_code",
        "land_use_1": "land_use_code_generation",
    }
    with pytest.raises(InvalidInput) as err:
        resolve_columns(
            ["land_use_c"], PARCEL_FIELDS, {}, layer_id="land_parcel", core=True, fixed=True
        )
    assert "land_use_code, land_use_code_generation" in err.value.en
    assert "--map land_use_c=FIELD" in err.value.en
    # The user's mapping settles it.
    found = resolve_columns(
        ["land_use_c"],
        PARCEL_FIELDS,
        {"land_use_c": "land_use_code"},
        layer_id="land_parcel",
        core=True,
        fixed=True,
    )
    assert found[0].target == "land_use_code" and found[0].how == "map"


def test_cadastral_names_apply_to_core_layers_only() -> None:
    cols = ["MAXA", "So_To", "soThua", "DiaChi", "LoaiDat", "DienTich"]
    core = resolve_columns(cols, PARCEL_FIELDS, {}, layer_id="land_parcel", core=True, fixed=True)
    assert [c.target for c in core] == [
        "commune_code",
        "sheet_no",
        "parcel_no",
        "address",
        "land_use_code",
        "area_m2",
    ]
    assert {c.how for c in core} == {"cadastral"}
    user = resolve_columns(cols, [], {}, layer_id="thua", core=False, fixed=False)
    assert [c.target for c in user] == cols


def test_unknown_targets_are_refused_with_the_field_list() -> None:
    with pytest.raises(InvalidInput) as err:
        resolve_columns(
            ["MaXa"],
            PARCEL_FIELDS,
            {"MaXa": "commune"},
            layer_id="land_parcel",
            core=True,
            fixed=True,
        )
    assert "no field commune" in err.value.en and "commune_code" in err.value.en
    assert "không có trường commune" in err.value.vi


def test_two_columns_to_one_field_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        resolve_columns(
            ["a", "b"],
            PARCEL_FIELDS,
            {"a": "note", "b": "note"},
            layer_id="land_parcel",
            core=True,
            fixed=True,
        )
    assert "Two columns are mapped to 'note'" in err.value.en


def test_map_options_and_files(tmp_path: Path) -> None:
    assert parse_map_options(["MaXa=commune_code", " SoTo = sheet_no "]) == {
        "MaXa": "commune_code",
        "SoTo": "sheet_no",
    }
    with pytest.raises(InvalidInput):
        parse_map_options(["MaXa"])
    j = tmp_path / "m.json"
    j.write_text(json.dumps({"MaXa": "commune_code"}), encoding="utf-8")
    assert read_map_file(j) == {"MaXa": "commune_code"}
    c = tmp_path / "m.csv"
    c.write_text("source,target\nMaXa,commune_code\n\nSoTo,sheet_no\n", encoding="utf-8")
    assert read_map_file(c) == {"MaXa": "commune_code", "SoTo": "sheet_no"}
    bad = tmp_path / "m.txt"
    bad.write_text("x", encoding="utf-8")
    with pytest.raises(InvalidInput):
        read_map_file(bad)
    (tmp_path / "l.json").write_text("[1]", encoding="utf-8")
    with pytest.raises(InvalidInput):
        read_map_file(tmp_path / "l.json")


# -- imports, on both backends ---------------------------------------------------------------


def test_cadastral_shapefile_goes_into_the_core_layer(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    shp = write_ogr(
        tmp_path / "thua.shp", [cadastral(i) for i in range(3)], driver="ESRI Shapefile"
    )
    report = import_file(db, settings, shp, ImportOptions("land_parcel"))
    assert (report.inserted, report.rejected) == (3, 0)
    renamed = {c.source: (c.target, c.how) for c in report.renamed_columns}
    assert renamed["MaXa"] == ("commune_code", "cadastral")
    assert renamed["DienTich"] == ("area_m2", "cadastral")
    props = current(db, "land_parcel")["26734-7-2"]
    assert props["commune_code"] == "26734" and props["parcel_no"] == 2
    assert props["land_use_code"] == "TMD" and props["address"] == "2 Nguyễn Huệ"


def test_user_mapping_renames_columns_of_a_new_layer(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = [{"Ma": f"K{i}", "Ten": f"Cây {i}", "geometry": square(i)} for i in range(2)]
    path = write_geojson(tmp_path / "c.geojson", rows)
    opts = ImportOptions(
        "cay_xanh", key="ma_cay", new_layer=True, column_map={"Ma": "ma_cay", "Ten": "ten"}
    )
    import_file(db, settings, path, opts)
    with db.read() as conn:
        layer = get_layer(conn, "cay_xanh")
    assert set(layer.property_schema["properties"]) == {"ma_cay", "ten"}
    assert current(db, "cay_xanh")["K1"] == {"ma_cay": "K1", "ten": "Cây 1"}


def test_mapping_to_a_field_the_layer_lacks_is_refused(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    shp = write_ogr(tmp_path / "thua.shp", [cadastral(0)], driver="ESRI Shapefile")
    with pytest.raises(InvalidInput) as err:
        import_file(db, settings, shp, ImportOptions("land_parcel", column_map={"MaXa": "ma_xa"}))
    assert "Layer 'land_parcel' has no field ma_xa" in err.value.en
    assert "parcel_uid, sheet_no" in err.value.en


@pytest.mark.parametrize("crs", [None, "vn2000-tm3:79"])
def test_land_parcel_shapefile_export_imports_back_into_the_core_layer(
    db: Database, settings: Settings, tmp_path: Path, crs: str | None
) -> None:
    rows = [parcel(i) for i in range(4)]
    first = import_file(
        db, settings, write_geojson(tmp_path / "p.geojson", rows), ImportOptions("land_parcel")
    )
    assert first.inserted == 4
    before = current(db, "land_parcel")
    out = tmp_path / "thua_dat.shp"
    export_layer(db, settings, "land_parcel", "shp", out, crs=crs)
    report = import_file(db, settings, out, ImportOptions("land_parcel"))
    assert report.rejected == 0, report.notes
    how = {c.source: (c.target, c.how) for c in report.renamed_columns}
    assert how["commune_co"] == ("commune_code", "truncated")
    assert how["land_use_c"] == ("land_use_code", "truncated")
    assert how["land_use_1"] == ("land_use_code_generation", "truncated")
    assert how["illustrati"] == ("illustrative", "truncated")
    after = current(db, "land_parcel")
    assert set(after) == set(before)
    for fid, props in before.items():
        for name in ("commune_code", "legacy_commune_code", "land_use_code_generation"):
            assert after[fid][name] == props[name]
        assert after[fid]["illustrative"] is props["illustrative"]
        assert after[fid]["area_m2"] == pytest.approx(props["area_m2"])

"""Layer names per Circular 16/2025/TT-BXD: parsing, and imports that keep and use them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
from samples import square, write_geojson

from dothi.capabilities import import_hooks
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.planning.layer_names import naming_table, parse_layer_name
from dothi.spatial.import_report import ImportReport
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import core_layer

PLAN = {
    "plan_decision_no": "1234/QĐ-UBND",
    "plan_decision_date": "2024-05-20",
    "plan_level": "zoning",
    "illustrative": True,
}


def zones(prefix: str, n: int, first: int = 0, **extra: Any) -> list[dict[str, Any]]:
    """Zones without a land-use function: the layer name is to give it."""
    return [
        {
            "zone_uid": f"{prefix}-{i}",
            "zone_code": f"{prefix}.{i}",
            **PLAN,
            **extra,
            "geometry": square(first + i),
        }
        for i in range(n)
    ]


def write_layers(path: Path, layers: dict[str, list[dict[str, Any]]]) -> Path:
    """One GeoPackage holding each list of rows as a layer of that name."""
    for i, (name, rows) in enumerate(layers.items()):
        names = [k for k in rows[0] if k != "geometry"]
        pyogrio.raw.write(
            path,
            np.array([r["geometry"].wkb for r in rows], dtype=object),
            [np.array([r[k] for r in rows], dtype=object) for k in names],
            names,
            driver="GPKG",
            layer=name,
            geometry_type="Polygon",
            crs="EPSG:4326",
            append=i > 0,
        )
    return path


def run(
    db: Database, settings: Settings, path: Path, source_layer: str | None, layer: str
) -> ImportReport:
    key = core_layer(layer)
    assert key is not None
    opts = ImportOptions(layer_id=layer, key=key.key_property, source_layer=source_layer)
    return import_file(db, settings, path, opts, hooks=import_hooks())


def stored(db: Database, layer: str) -> dict[str, dict[str, Any]]:
    """The features of a core layer by their key."""
    found = core_layer(layer)
    assert found is not None and found.key_property is not None
    with db.read() as conn:
        return {
            str(r.properties[found.key_property]): r.properties for r in db.port.find(conn, layer)
        }


def naming_notes(report: ImportReport) -> list[str]:
    return [w for w in report.warnings if "16/2025" in w]


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stage", "code", "level", "level_known", "function"),
    [
        ("QH_DAT_O_NHOMNHAO_PK", "planned", "DAT_O_NHOMNHAO", "PK", True, "residential"),
        ("QH_DAT_HTXH_TRUONGHOC_PK", "planned", "DAT_HTXH_TRUONGHOC", "PK", True, "education"),
        ("HT_DAT_DICHVU", "existing", "DAT_DICHVU", None, True, "commercial_service"),
        ("qh_dat_htkt_duonggt", "planned", "DAT_HTKT_DUONGGT", None, True, "transport"),
        ("Qh_Dat_Htxh_CayxanhCC_Dvo", "planned", "DAT_HTXH_CAYXANHCC", "DVO", True, "green_public"),
        ("QHDH-DAT-HTXH-Yte-DVO", "planned", "DAT_HTXH_YTE", "DVO", True, "health"),
        ("QHDD DAT HTXH TRUONGHOC MN", "planned", "DAT_HTXH_TRUONGHOC", "MN", True, "education"),
        (
            "HT_DAT_HTXH_TRUONGHOC_MN_DVO",
            "existing",
            "DAT_HTXH_TRUONGHOC",
            "MN_DVO",
            True,
            "education",
        ),
        # No stage prefix: the code alone is enough.
        ("DAT_O_NHOMNHAO", None, "DAT_O_NHOMNHAO", None, True, "residential"),
        # The longest code wins: DAT_O_HONHOP_NHOMO, not DAT_O_HONHOP plus a suffix.
        ("QH_DAT_O_HONHOP_NHOMO_PK", "planned", "DAT_O_HONHOP_NHOMO", "PK", True, "mixed_use"),
        # An alias reads as its code.
        ("QH_DAT_O_HONHOP", "planned", "DAT_O_HONHOP_NHOMO", None, True, "mixed_use"),
        # Tone marks typed by hand are dropped before matching.
        ("QH_ĐẤT_Ở_NHÓMNHÀỞ", "planned", "DAT_O_NHOMNHAO", None, True, "residential"),
        # An unknown suffix is accepted and flagged.
        ("QH_DAT_O_NHOMNHAO_KHU_A", "planned", "DAT_O_NHOMNHAO", "KHU_A", False, "residential"),
        ("QHDH_DAT_DD_DONVIO_CT", "planned", "DAT_DD_DONVIO", "CT", True, "residential"),
    ],
)
def test_parse_layer_name(
    name: str,
    stage: str | None,
    code: str,
    level: str | None,
    level_known: bool,
    function: str,
) -> None:
    parsed = parse_layer_name(name)
    assert parsed is not None
    assert (parsed.name, parsed.stage, parsed.code, parsed.level) == (name, stage, code, level)
    assert parsed.level_known is level_known
    assert parsed.entry.fill_for("planning_zone")["land_use_function"] == function


@pytest.mark.parametrize(
    "name",
    [
        None,
        "",
        "___",
        "planning_zone",
        "entities",
        "QH",
        "QH_DAT",
        "QH_DAT_O",  # a group, not a code
        "QH_DAT_NHOMNHAO",
        "XQH_DAT_DICHVU",  # not a stage prefix, and the name does not start with a code
        "QH_QH_DAT_DICHVU",
        "KHU_A_DAT_DICHVU",
    ],
)
def test_names_that_do_not_follow_the_circular(name: str | None) -> None:
    assert parse_layer_name(name) is None


def test_table_values_fit_the_layer_schemas() -> None:
    """Every value the table fills is one the target layer accepts."""
    table = naming_table()
    assert set(table.targets) == {"planning_zone", "green_water"}
    for layer_id, target in table.targets.items():
        layer = core_layer(layer_id)
        assert layer is not None
        props = layer.property_schema["properties"]
        assert target.name_property in props and target.stage_property in props
        assert set(table.stages.values()) <= set(props[target.stage_property]["enum"])
        filled = 0
        for entry in table.codes.values():
            for prop, value in entry.fill_for(layer_id).items():
                assert value in props[prop]["enum"], (entry.code, prop, value)
                filled += 1
        assert filled > 0
    # Every code gives planning_zone a function; the file is not a list of confirmed facts.
    assert all("land_use_function" in e.fill_for("planning_zone") for e in table.codes.values())
    raw = json.loads(
        (Path(__file__).parents[2] / "src/dothi/planning/data/circular16_layers.json").read_text(
            encoding="utf-8"
        )
    )
    assert raw["confirmed"] is False and raw["source"]


# --- imports ------------------------------------------------------------------------------


def test_geopackage_layers_named_per_circular_import_one_by_one(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write_layers(
        tmp_path / "qhpk.gpkg",
        {
            "QH_DAT_O_NHOMNHAO_PK": zones("O", 3),
            "QH_DAT_HTXH_TRUONGHOC_PK": zones("GD", 2, first=10),
            "HT_DAT_DICHVU": zones("DV", 1, first=20),
        },
    )
    # Several layers: still one picked at a time, as for any GeoPackage.
    with pytest.raises(InvalidInput, match="source-layer"):
        run(db, settings, path, None, "planning_zone")
    for name in ("QH_DAT_O_NHOMNHAO_PK", "QH_DAT_HTXH_TRUONGHOC_PK", "HT_DAT_DICHVU"):
        report = run(db, settings, path, name, "planning_zone")
        assert report.rejected == 0 and naming_notes(report) == []
    got = stored(db, "planning_zone")
    assert len(got) == 6
    assert {k: v["land_use_function"] for k, v in got.items()} == {
        "O-0": "residential",
        "O-1": "residential",
        "O-2": "residential",
        "GD-0": "education",
        "GD-1": "education",
        "DV-0": "commercial_service",
    }
    assert got["O-1"]["source_layer"] == "QH_DAT_O_NHOMNHAO_PK"
    assert got["O-1"]["stage"] == "planned" and got["O-1"].get("land_use_code") is None
    assert (got["GD-1"]["source_layer"], got["GD-1"]["land_use_code"]) == (
        "QH_DAT_HTXH_TRUONGHOC_PK",
        "DGD",
    )
    assert got["DV-0"]["source_layer"] == "HT_DAT_DICHVU"
    assert (got["DV-0"]["stage"], got["DV-0"]["land_use_code"]) == ("existing", "TMD")
    # The rest of each feature is as the file gave it.
    assert got["O-2"]["zone_code"] == "O.2" and got["O-2"]["plan_decision_no"] == "1234/QĐ-UBND"
    # A re-import finds nothing to change: the filled values are stable.
    again = run(db, settings, path, "QH_DAT_O_NHOMNHAO_PK", "planning_zone")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


def test_lower_case_and_hyphenated_names_are_kept_as_written(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write_layers(
        tmp_path / "thuong.gpkg",
        {"qh_dat_htxh_truonghoc_pk": zones("a", 1), "qhdh-dat-htxh-yte-dvo": zones("b", 1, 5)},
    )
    run(db, settings, path, "qh_dat_htxh_truonghoc_pk", "planning_zone")
    run(db, settings, path, "qhdh-dat-htxh-yte-dvo", "planning_zone")
    got = stored(db, "planning_zone")
    assert got["a-0"]["land_use_function"] == "education"
    assert got["a-0"]["source_layer"] == "qh_dat_htxh_truonghoc_pk"
    assert got["b-0"]["land_use_function"] == "health"
    assert got["b-0"]["source_layer"] == "qhdh-dat-htxh-yte-dvo"
    assert got["b-0"]["stage"] == "planned"


def test_values_a_feature_gives_are_never_replaced(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = zones("DV", 4)
    rows[0]["land_use_function"] = "mixed_use"
    rows[1]["land_use_function"] = ""  # blank text counts as not given
    rows[2]["land_use_function"] = None
    rows[3]["land_use_function"] = "commercial_service"
    for i, row in enumerate(rows):
        row["source_layer"] = "Bản vẽ gốc" if i == 0 else None
        row["stage"] = None
    path = write_layers(tmp_path / "dv.gpkg", {"QH_DAT_DICHVU_PK": rows})
    report = run(db, settings, path, None, "planning_zone")
    got = stored(db, "planning_zone")
    assert [got[f"DV-{i}"]["land_use_function"] for i in range(4)] == [
        "mixed_use",
        "commercial_service",
        "commercial_service",
        "commercial_service",
    ]
    assert got["DV-0"]["source_layer"] == "Bản vẽ gốc"
    assert got["DV-1"]["source_layer"] == "QH_DAT_DICHVU_PK"
    assert all(got[f"DV-{i}"]["stage"] == "planned" for i in range(4))
    # The one feature that disagrees with its layer name is reported once, not per row.
    notes = naming_notes(report)
    assert len(notes) == 1 and notes[0].startswith("1 đối tượng ghi land_use_function")


def test_an_unknown_layer_name_leaves_features_as_they_were(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = zones("X", 3, land_use_function="residential")
    path = write_layers(tmp_path / "khac.gpkg", {"ranh_o_quy_hoach": rows, "DAT_LAMSAO": rows})
    report = run(db, settings, path, "ranh_o_quy_hoach", "planning_zone")
    assert report.inserted == 3
    got = stored(db, "planning_zone")
    assert all("source_layer" not in p and "stage" not in p for p in got.values())
    # Most data is not named per the Circular: nothing to report.
    assert naming_notes(report) == []
    # Without a function and with a name the Circular does not give, the file is refused
    # as before: nothing is guessed.
    bare = write_layers(tmp_path / "tran.gpkg", {"DAT_LAMSAO": zones("Y", 1)})
    with pytest.raises(InvalidInput, match="land_use_function"):
        run(db, settings, bare, None, "planning_zone")


def test_an_unknown_level_suffix_is_read_and_reported(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write_layers(tmp_path / "k.gpkg", {"QH_DAT_O_NHOMNHAO_KHU_A": zones("K", 2)})
    report = run(db, settings, path, None, "planning_zone")
    got = stored(db, "planning_zone")
    assert got["K-1"]["land_use_function"] == "residential"
    assert got["K-1"]["source_layer"] == "QH_DAT_O_NHOMNHAO_KHU_A"
    notes = naming_notes(report)
    assert len(notes) == 1 and "QH_DAT_O_NHOMNHAO_KHU_A (KHU_A)" in notes[0]


def test_a_layer_column_from_cad_names_each_feature(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    # GDAL's DXF reader puts every entity's layer in a "Layer" column, and conversions
    # (ogr2ogr to GeoPackage or Shapefile) keep it.
    rows = zones("C", 5)
    cad = ["QHDH_DAT_HTXH_Yte_DVO", "QHDH_DAT_HTXH_Yte_DVO", "HT_DAT_O_NHOMNHAO", "0", "0"]
    for row, layer in zip(rows, cad, strict=True):
        row["Layer"] = layer
        row["land_use_function"] = "other" if layer == "0" else None
    path = write_layers(tmp_path / "cad.gpkg", {"entities": rows})
    report = run(db, settings, path, None, "planning_zone")
    assert report.inserted == 5
    got = stored(db, "planning_zone")
    assert [got[f"C-{i}"]["land_use_function"] for i in range(5)] == [
        "health",
        "health",
        "residential",
        "other",
        "other",
    ]
    assert got["C-0"]["source_layer"] == "QHDH_DAT_HTXH_Yte_DVO"
    assert got["C-0"]["Layer"] == "QHDH_DAT_HTXH_Yte_DVO"
    assert (got["C-2"]["stage"], got["C-2"]["source_layer"]) == ("existing", "HT_DAT_O_NHOMNHAO")
    assert got["C-3"].get("source_layer") is None and got["C-3"].get("stage") is None
    notes = naming_notes(report)
    assert len(notes) == 1 and notes[0].startswith("2 đối tượng có tên lớp không theo")
    assert "«0» ×2" in notes[0]


def test_a_row_without_a_circular_layer_falls_back_to_the_file_layer_name(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = zones("F", 2)
    rows[0]["LAYER"] = "QH_DAT_HTKT_DUONGGT"
    rows[1]["LAYER"] = "Defpoints"
    path = write_layers(tmp_path / "f.gpkg", {"QH_DAT_COQUAN": rows})
    report = run(db, settings, path, None, "planning_zone")
    got = stored(db, "planning_zone")
    assert got["F-0"]["land_use_function"] == "transport"
    assert got["F-1"]["land_use_function"] == "administrative"
    assert got["F-1"]["source_layer"] == "QH_DAT_COQUAN"
    assert naming_notes(report) == []


def test_green_and_water_layers_take_their_kind_from_the_name(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    # A GeoJSON file's layer is named after the file.
    rows = [{"surface_uid": f"S{i}", "geometry": square(i)} for i in range(2)]
    path = write_geojson(tmp_path / "QH_DAT_KHAC_SONGSUOI.geojson", rows)
    report = run(db, settings, path, None, "green_water")
    assert report.inserted == 2 and naming_notes(report) == []
    got = stored(db, "green_water")
    assert (got["S1"]["category"], got["S1"]["kind"]) == ("water", "river")
    assert (got["S1"]["source_layer"], got["S1"]["stage"]) == ("QH_DAT_KHAC_SONGSUOI", "planned")
    # Housing land has no counterpart among green and water surfaces: the name is kept,
    # nothing is made up, and the rows lack what the layer requires.
    housing = write_geojson(
        tmp_path / "HT_DAT_O_NHOMNHAO.geojson", [{**rows[0], "surface_uid": "S9"}]
    )
    report = run(db, settings, housing, None, "green_water")
    assert report.rejected == 1
    assert any("no match in layer green_water" in w for w in naming_notes(report))


def test_other_layers_are_untouched(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = [{"ma": "P1", "ten": "Thửa", "geometry": square(0)}]
    path = write_geojson(tmp_path / "QH_DAT_O_NHOMNHAO.geojson", rows)
    report = import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma"),
    )
    assert naming_notes(report) == []
    with db.read() as conn:
        (feature,) = list(db.port.find(conn, "thua"))
    assert set(feature.properties) == {"ma", "ten"}

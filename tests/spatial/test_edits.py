"""Single-feature edits: create, replace, merge-patch, delete, with optimistic concurrency."""

from __future__ import annotations

from pathlib import Path

import pytest
from prepared import dataset
from samples import parcels, square, write_geojson
from shapely.geometry import mapping

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import Conflict, InvalidInput, NotFound
from dothi.spatial import history
from dothi.spatial.edits import (
    PreconditionFailed,
    create_feature,
    delete_feature,
    etag_of,
    replace_feature,
)
from dothi.spatial.importer import ImportOptions, import_file


@dataset
def layer(db: Database, settings: Settings, tmp_path: Path) -> str:
    path = write_geojson(tmp_path / "p.geojson", parcels(3))
    import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma"),
    )
    return "thua"


def doc(i: int, **props: object) -> dict:
    base = {"ma": f"P{i:04d}", "ten": f"Thửa {i}", "dien_tich": 50.0, "so_tang": 2}
    return {"type": "Feature", "geometry": mapping(square(i)), "properties": {**base, **props}}


def test_create_replace_patch_delete_keep_history(db: Database, layer: str) -> None:
    made = create_feature(db, layer, doc(10), "editor")
    assert made.fid == "P0010" and made.version == 1 and made.changed_by == "editor"
    with pytest.raises(Conflict):
        create_feature(db, layer, doc(10), "editor")
    replaced = replace_feature(db, layer, "P0010", doc(10, so_tang=7), "editor", etag_of(made))
    assert replaced.version == 2 and replaced.properties["so_tang"] == 7
    with pytest.raises(PreconditionFailed):
        replace_feature(db, layer, "P0010", doc(10, so_tang=8), "other", etag_of(made))
    patched = replace_feature(
        db,
        layer,
        "P0010",
        {"properties": {"ten": "Thửa mới", "so_tang": None}},
        "editor",
        etag_of(replaced),
        merge=True,
    )
    assert patched.properties["ten"] == "Thửa mới" and "so_tang" not in patched.properties
    assert patched.geometry.equals(replaced.geometry)
    with pytest.raises(PreconditionFailed):
        delete_feature(db, layer, "P0010", "editor", etag_of(replaced))
    delete_feature(db, layer, "P0010", "editor", etag_of(patched))
    with db.read() as conn:
        versions = history.feature_history(db, conn, layer, "P0010")
        kinds = [c.kind for c in history.layer_history(conn, layer)]
    assert [v.version for v in versions] == [1, 2, 3] and versions[-1].valid_to is not None
    assert kinds == ["import", "create", "replace", "update", "delete"]


def test_invalid_edits_are_refused_and_change_nothing(db: Database, layer: str) -> None:
    with pytest.raises(InvalidInput):
        create_feature(db, layer, {"type": "Feature", "geometry": None, "properties": {}}, "e")
    with pytest.raises(InvalidInput):
        create_feature(db, layer, {"type": "FeatureCollection"}, "e")
    with pytest.raises(InvalidInput):
        create_feature(db, layer, doc(11, so_tang="nhiều"), "e")
    bad_geometry = {**doc(12), "geometry": {"type": "Polygon", "coordinates": "x"}}
    with pytest.raises(InvalidInput):
        create_feature(db, layer, bad_geometry, "e")
    with pytest.raises(InvalidInput):
        create_feature(db, layer, doc(13, ten=[True, 0]), "e")
    with pytest.raises(InvalidInput):
        create_feature(db, layer, {**doc(14), "geometry": {"type": "", "coordinates": []}}, "e")
    with pytest.raises(InvalidInput):
        replace_feature(db, layer, "P0001", {"properties": [1]}, "e", None, merge=True)
    with pytest.raises(NotFound):
        replace_feature(db, layer, "nope", doc(1), "e", None)
    with db.read() as conn:
        assert len(db.port.find(conn, layer)) == 3
        assert [c.kind for c in history.layer_history(conn, layer)] == ["import"]

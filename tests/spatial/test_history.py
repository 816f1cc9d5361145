"""History, as-of reading and rollback of imports, on SQLite and PostGIS."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from samples import parcels, write_geojson

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import Conflict, NotFound
from dothi.spatial import history
from dothi.spatial.importer import ImportOptions, import_file


def _import(db: Database, settings: Settings, path: Path, user: str = "tester") -> int:
    opts = ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma", user=user)
    return import_file(db, settings, path, opts).changeset_id


def _props(db: Database, as_of: datetime | None = None) -> dict[str, dict]:
    with db.read() as conn:
        return {r.fid: r.properties for r in db.port.find(conn, "thua", as_of=as_of)}


def test_versions_as_of_and_feature_history(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(3)
    first = _import(db, settings, write_geojson(tmp_path / "a.geojson", rows), user="an")
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    rows[0]["so_tang"] = 7
    second = _import(db, settings, write_geojson(tmp_path / "b.geojson", rows), user="binh")
    assert second > first
    assert _props(db)["P0000"]["so_tang"] == 7
    assert _props(db, as_of=between)["P0000"]["so_tang"] == 1
    assert _props(db, as_of=datetime(2000, 1, 1, tzinfo=UTC)) == {}
    with db.read() as conn:
        versions = history.feature_history(db, conn, "thua", "P0000")
        changes = history.layer_history(conn, "thua")
    assert [v.version for v in versions] == [1, 2]
    assert [v.changed_by for v in versions] == ["an", "binh"]
    assert versions[0].valid_to == versions[1].valid_from
    assert versions[0].closed_in == second and versions[1].valid_to is None
    assert [(c.id, c.kind, c.summary["updated"]) for c in changes] == [
        (first, "import", 0),
        (second, "import", 1),
    ]
    with db.read() as conn, pytest.raises(NotFound):
        history.feature_history(db, conn, "thua", "no-such-feature")


def test_rollback_restores_the_state_before_a_bad_import(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(3)
    _import(db, settings, write_geojson(tmp_path / "a.geojson", rows))
    before = _props(db)
    bad_rows = [dict(r, ten="SAI") for r in rows] + [dict(rows[0], ma="EXTRA")]
    bad = _import(db, settings, write_geojson(tmp_path / "bad.geojson", bad_rows))
    assert _props(db)["P0001"]["ten"] == "SAI" and "EXTRA" in _props(db)
    change = history.rollback(db, "thua", bad, "officer")
    assert change.kind == "rollback" and change.reverts == bad
    assert change.summary == {"reverts": bad, "removed": 4, "restored": 3}
    assert _props(db) == before
    with db.read() as conn:
        versions = history.feature_history(db, conn, "thua", "P0001")
        assert history.get_change(conn, bad).reverted_by == change.id
    # Nothing is lost: the bad version is still in the history.
    assert [v.properties["ten"] for v in versions][-2:] == ["SAI", before["P0001"]["ten"]]
    with pytest.raises(Conflict):
        history.rollback(db, "thua", bad, "officer")


def test_rollback_refuses_when_later_changes_exist(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    rows = parcels(2)
    first = _import(db, settings, write_geojson(tmp_path / "a.geojson", rows))
    rows[0]["so_tang"] = 4
    second = _import(db, settings, write_geojson(tmp_path / "b.geojson", rows))
    with pytest.raises(Conflict) as err:
        history.rollback(db, "thua", first, "officer")
    assert str(second) in err.value.en
    history.rollback(db, "thua", second, "officer")
    history.rollback(db, "thua", first, "officer")
    assert _props(db) == {}


def test_failed_import_leaves_no_trace(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = parcels(120)
    good = write_geojson(tmp_path / "good.geojson", rows)
    _import(db, settings, good)
    before = _props(db)
    # Valid rows first, then a geometry in projected metres: the import stops in its
    # third batch, after two batches were already written inside the transaction.
    bad_rows = [dict(r, ten="mới") for r in rows]
    from shapely.affinity import translate

    bad_rows[100]["geometry"] = translate(rows[100]["geometry"], xoff=600000, yoff=1190000)
    path = write_geojson(tmp_path / "bad.geojson", bad_rows)
    opts = ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma", batch_size=40)
    with pytest.raises(Exception) as err:
        import_file(db, settings, path, opts)
    assert "--crs" in str(err.value)
    assert _props(db) == before
    with db.read() as conn:
        assert len(history.layer_history(conn, "thua")) == 1
    assert list((settings.data_dir / "reports").glob("*.csv")) == list(
        (settings.data_dir / "reports").glob("import-1-*.csv")
    )


def test_delete_keeps_the_deleted_version(db: Database, settings: Settings, tmp_path: Path) -> None:
    from dothi.spatial.edits import delete_features

    _import(db, settings, write_geojson(tmp_path / "a.geojson", parcels(3)))
    time.sleep(0.01)
    before = datetime.now(UTC)
    with pytest.raises(NotFound):
        delete_features(db, "thua", ["P0001", "nope"], "officer")
    assert set(_props(db)) == {"P0000", "P0001", "P0002"}, "a failed delete deletes nothing"
    cs = delete_features(db, "thua", ["P0001"], "officer")
    assert set(_props(db)) == {"P0000", "P0002"}
    assert "P0001" in _props(db, as_of=before)
    with db.read() as conn:
        versions = history.feature_history(db, conn, "thua", "P0001")
        change = history.get_change(conn, cs)
    assert versions[-1].closed_in == cs and change.kind == "delete"
    assert change.created_by == "officer" and change.summary == {"deleted": 1}
    history.rollback(db, "thua", cs, "officer")
    assert set(_props(db)) == {"P0000", "P0001", "P0002"}
    # A re-import brings a deleted feature back as a new version.
    delete_features(db, "thua", ["P0002"], "officer")
    report = import_file(
        db,
        settings,
        tmp_path / "a.geojson",
        ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma"),
    )
    assert (report.inserted, report.unchanged) == (1, 2)
    with db.read() as conn:
        assert [v.version for v in history.feature_history(db, conn, "thua", "P0002")] == [1, 2]
